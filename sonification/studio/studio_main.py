r"""The studio: a local web page to write, hear, teach and see the agents.

  bazel run //sonification:studio            (or: make studio)
  bazel run //sonification:studio -- --program=drums/examples/tutorial.gos \
      --output=soundcard --midi_port=virtual:studio

Prints a URL with a random access token (http://127.0.0.1:PORT/?token=...);
open it in a browser. The page has an editor (Ctrl/Cmd-Enter evaluates,
Ctrl-. stops all sound), mode buttons, the pattern and loss views, the beat
agent's meta-parameters, save/load and session export/import, a CARL panel
and the audio engine (sonification/audio/) heard in the browser (default)
or on the sound card (--output=soundcard). Everything it does goes through
the same command queue as OSC (--osc_port, default 9000); see
docs/studio.md.
"""

import functools
import os
import secrets
import sys
import tempfile
import threading

from absl import app
from absl import flags
from tornado import ioloop

from drums import language
from rl_tuner import paths
from sonification import clock as clock_lib
from sonification import gc_pauses
from sonification import live_session
from sonification import osc_control
from sonification import sinks as sinks_lib
from sonification.audio import engine as engine_lib
from sonification.audio import outputs as audio_outputs
from sonification.carl import carl_hparams
from sonification.carl import carl_session
from sonification.audio import engine_sink
from sonification.studio import audio_blocks
from sonification.studio import studio_app
from sonification.studio import studio_server
from sonification.studio import studio_store

DEFAULT_PROGRAM = """// Ctrl-Enter (Cmd-Enter) evaluates; Ctrl-. stops all sound.
bpm 120;
source kick*2;
learn snare*2+0.5;
"""

FLAGS = flags.FLAGS
flags.DEFINE_string('host', '127.0.0.1', 'interface to serve on; anything '
                    'but loopback opens the studio to other machines (the '
                    'token is still required)')
flags.DEFINE_integer('port', 0, 'TCP port (0: a free one)')
flags.DEFINE_string('token', '', 'access token (default: a random one)')
flags.DEFINE_string('program', '', 'the first program (.gos); default: a '
                    'kick source and a snare to learn')
flags.DEFINE_string('studio_dir', '~/.rl_tuner_studio', 'saved programs and '
                    'agents')
flags.DEFINE_bool('carl', True, 'run CARL beside the drums (XY pad panel)')
flags.DEFINE_enum('carl_learner', 'process', ['process', 'thread'],
                  'CARL learner in a child process or a thread')
flags.DEFINE_enum('carl_learner_algo', 'pref',
                  sorted(carl_hparams.LEARNERS),
                  carl_hparams.LEARNER_FLAG_HELP)
flags.DEFINE_string('carl_hparams', '', 'CARL hparams overrides "a=1,b=2"')
flags.DEFINE_integer('carl_rate', 50, 'CARL control loop rate, Hz (1-1000), '
                     'independent of the drums\' tempo (as live --carl)')
flags.DEFINE_string('state_dir', '', 'CARL autosave dir (default: none)')
flags.DEFINE_integer('osc_port', osc_control.DEFAULT_PORT, 'OSC in port '
                     '(-1: off)')
flags.DEFINE_string('osc_out', '', 'OSC out host:port')
flags.DEFINE_string('midi_port', '', 'MIDI out port; virtual:NAME')
flags.DEFINE_enum('output', 'browser', ['browser', 'soundcard'],
                  'where the audio engine plays: streamed to the page, or '
                  'this machine\'s sound card (PortAudio)')
flags.DEFINE_string('sound_device', None, 'sound card device (index or name '
                    'part; default: the system default)')
flags.DEFINE_bool('test_tone', False, 'stream a 440 Hz test tone to the '
                  'browser instead of the session')
flags.DEFINE_float('switch_interval_ms', 0.5, 'Python thread switch interval '
                   '(sys.setswitchinterval), as live\'s flag')
flags.DEFINE_bool('realtime', True, 'run the drum clock thread with '
                  'SCHED_FIFO priority when the system allows it '
                  '(clock.try_realtime_priority), as live does')
flags.DEFINE_bool('agent_lookahead', True, 'ask the beat agents for the '
                  'next tick ahead, never waiting on them on the clock '
                  '(drums/agent_pipeline.py); false: a round trip per tick '
                  'on the clock thread (to measure the difference)')
flags.DEFINE_bool('gc_freeze', True, 'freeze the objects alive after '
                  'start-up so that garbage collections (which stop every '
                  'thread) do not walk them again (sonification/gc_pauses.py)')
flags.DEFINE_string('lateness_out', '', 'write each drum tick\'s lateness '
                    'and "done" time after its deadline (ms) to this CSV '
                    '(bench/studio_bench.py)')
flags.DEFINE_float('seconds', None, 'stop after N seconds (tests)')
flags.DEFINE_integer('seed', 0, 'random seed')


def _program_text() -> str:
  if not FLAGS.program:
    return DEFAULT_PROGRAM
  path = paths.resolve_user_path(FLAGS.program)
  try:
    with open(path) as f:
      return f.read()
  except OSError as e:
    raise app.UsageError(f'--program: {e}') from e


def _carl(sink, hp):
  if FLAGS.carl_learner == 'process':
    from sonification.carl import carl_remote  # pylint: disable=g-import-not-at-top
    agent = carl_remote.RemoteAgent(hp)
  else:
    from sonification.carl import carl_agent  # pylint: disable=g-import-not-at-top
    agent = carl_agent.make_agent(hp)
  session = carl_session.CarlSession(
      agent, sink, state_dir=paths.resolve_user_path(FLAGS.state_dir) or None,
      autosave_every_bars=4 if FLAGS.state_dir else 0,
      ticks_per_bar=FLAGS.carl_rate).start()
  return session, agent


def _open_output():
  """EngineSink's open_output for --output (and --test_tone: None, the
  engine then follows the clock with nothing heard).

  Returns:
    (open_output or None, where the sound goes, for the page).
  """
  if FLAGS.test_tone:
    return None, 'browser (test tone)'
  if FLAGS.output == 'browser':
    return audio_blocks.open_browser_output, 'browser'

  def open_sound_card(engine, tap):
    return audio_outputs.SoundDeviceOutput(
        engine, device=FLAGS.sound_device, tap=tap).start()
  return open_sound_card, 'sound card'


CARL_BPM = 240.0  # one bar of carl_rate ticks = one second (as live).


def _write_lateness(path: str, clock) -> None:
  """tick, lateness_ms, done_ms per delivered tick (the clock keeps the last
  100,000), written atomically."""
  lateness, done = clock.jitter.values() * 1e3, clock.done.values() * 1e3
  rows = ['tick,lateness_ms,done_ms'] + [
      f'{i},{a:.4f},{b:.4f}' for i, (a, b) in enumerate(zip(lateness, done))]
  with tempfile.NamedTemporaryFile(
      'w', dir=os.path.dirname(os.path.abspath(path)), delete=False) as f:
    f.write('\n'.join(rows) + '\n')
  os.replace(f.name, path)


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'unexpected arguments {argv[1:]}')
  if not 1 <= FLAGS.carl_rate <= 1000:
    raise app.UsageError(f'--carl_rate must be in [1, 1000] Hz, got '
                         f'{FLAGS.carl_rate}')
  text = _program_text()
  try:
    program = language.parse(text)
    hp = carl_hparams.CarlHParams.for_learner(
        FLAGS.carl_learner_algo, FLAGS.carl_hparams, seed=FLAGS.seed)
    sink = live_session.open_sinks(live_session.SinkConfig(
        FLAGS.midi_port, FLAGS.osc_out))
  except (sinks_lib.SinkError, ValueError) as e:
    raise app.UsageError(str(e)) from e
  engine = engine_lib.Engine(sample_rate=audio_blocks.DEFAULT_SAMPLE_RATE,
                             block_size=256)
  open_output, where = _open_output()
  try:  # warms the engine up (DSP kernels) before the clock starts.
    audio = engine_sink.EngineSink(
        engine, open_output=open_output,
        latency_s=audio_blocks.block_duration_s(
            audio_blocks.BLOCK_FRAMES, engine.sample_rate))
  except audio_outputs.AudioDeviceError as e:
    raise app.UsageError(f'--output=soundcard: {e}') from e
  sink.sinks.append(audio)
  clock = clock_lib.Clock(bpm=program.bpm)
  carl, carl_agent = _carl(sink, hp) if FLAGS.carl else (None, None)
  # Beat agents are built in child processes by the runtime's worker
  # (drums/remote_beat_agent.py): no TensorFlow in this process.
  the_app = studio_app.StudioApp(
      text, sink, carl=carl, agent_factory_fn=functools.partial(
          studio_app.remote_factory_fn, pipelined=FLAGS.agent_lookahead))
  control = studio_server.StudioInput()
  inputs = {'studio': control}
  if FLAGS.osc_port >= 0:
    inputs['osc'] = osc_control.OscControlServer(osc_control.DEFAULT_HOST,
                                                 FLAGS.osc_port)
  sys.setswitchinterval(FLAGS.switch_interval_ms / 1000.0)
  session = live_session.LiveSession(the_app, clock, inputs)
  if FLAGS.test_tone:
    audio_source = audio_blocks.TestTone()
  else:
    audio_source = audio.output if FLAGS.output == 'browser' else None
  server = studio_server.StudioServer(
      the_app, control,
      studio_store.Store(paths.resolve_user_path(FLAGS.studio_dir)),
      audio_source=audio_source,
      token=FLAGS.token or secrets.token_urlsafe(16), host=FLAGS.host,
      port=FLAGS.port, outputs=[where])
  loop = ioloop.IOLoop.current()
  result = {}
  carl_clock = None
  if carl is not None:  # CARL at its own control rate (issue 11 item 4).
    carl_clock = clock_lib.Clock(bpm=CARL_BPM, ticks_per_bar=FLAGS.carl_rate)

  def run_clock():
    if FLAGS.realtime:  # other processes (agents' TF) cannot delay a tick.
      clock_lib.try_realtime_priority()
    result['stats'] = session.run(duration_s=FLAGS.seconds)
    loop.add_callback(loop.stop)

  if FLAGS.gc_freeze:
    gc_pauses.freeze()
  pauses = gc_pauses.GcPauses().start()
  clock_thread = threading.Thread(target=run_clock, name='clock')
  clock_thread.start()
  if carl_clock is not None:
    the_app.run_carl(carl_clock)  # stopped by the app's close.
  print(f'Studio: {server.url}', flush=True)
  try:
    loop.start()
  except KeyboardInterrupt:
    pass
  finally:
    clock.stop()
    clock_thread.join(timeout=30.0)
    server.close()
    if carl_agent is not None and hasattr(carl_agent, 'close'):
      carl_agent.close()
  if 'stats' in result:
    live_session.print_stats(result['stats'])
    if carl_clock is not None:
      j = carl_clock.jitter.summary()
      print(f"CARL at {FLAGS.carl_rate} Hz: lateness p99 {j['p99_ms']:.3f} ms"
            f"  max {j['max_ms']:.3f} ms")
    print(pauses.describe())
    if FLAGS.lateness_out:
      _write_lateness(FLAGS.lateness_out, clock)
    a = the_app.agent_stats
    print(f"beat agent steps {a['steps']}  late {a['late']}  first "
          f"(not asked ahead) {a['not_ahead']}")
    print('TensorFlow in the clock process: '
          f"{'yes' if 'tensorflow' in sys.modules else 'no'}")


if __name__ == '__main__':
  app.run(main)
