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

import secrets
import threading

from absl import app
from absl import flags
from absl import logging
from tornado import ioloop

from drums import language
from rl_tuner import paths
from sonification import clock as clock_lib
from sonification import live_session
from sonification import osc_control
from sonification import sinks as sinks_lib
from sonification.audio import engine as engine_lib
from sonification.audio import outputs as audio_outputs
from sonification.carl import carl_hparams
from sonification.carl import carl_session
from sonification.studio import audio_blocks
from sonification.studio import engine_sink
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
flags.DEFINE_enum('carl_learner_algo', 'ddpg', ['ddpg', 'rwsl'],
                  'CARL learner: ddpg (MEMLNaut, SPEC section 3) or rwsl '
                  '(reward-weighted supervised learning, NISPS); '
                  '--carl_hparams=algo=... overrides it')
flags.DEFINE_string('carl_hparams', '', 'CARL hparams overrides "a=1,b=2"')
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
      autosave_every_bars=4 if FLAGS.state_dir else 0).start()
  return session, agent


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'unexpected arguments {argv[1:]}')
  text = _program_text()
  try:
    program = language.parse(text)
    hp = carl_hparams.CarlHParams.parse(
        FLAGS.carl_hparams, seed=FLAGS.seed, algo=FLAGS.carl_learner_algo)
    sink = live_session.open_sinks(live_session.SinkConfig(
        FLAGS.midi_port, FLAGS.osc_out))
  except (sinks_lib.SinkError, ValueError) as e:
    raise app.UsageError(str(e)) from e
  engine = engine_lib.Engine(sample_rate=audio_blocks.DEFAULT_SAMPLE_RATE,
                             block_size=256)
  engine.warm_up()  # compiles the DSP kernels before the clock starts.
  sink.sinks.append(engine_sink.EngineSink(
      engine, carl_outputs=hp.output_size if FLAGS.carl else 0))
  sound_card = None
  if FLAGS.output == 'soundcard':
    try:
      sound_card = audio_outputs.SoundDeviceOutput(
          engine, device=FLAGS.sound_device).start()
    except audio_outputs.AudioDeviceError as e:
      raise app.UsageError(f'--output=soundcard: {e}') from e
  clock = clock_lib.Clock(bpm=program.bpm)
  carl, carl_agent = _carl(sink, hp) if FLAGS.carl else (None, None)
  logging.info('building the beat agents (TensorFlow) ...')
  the_app = studio_app.StudioApp(text, sink, carl=carl,
                                 set_bpm=clock.set_bpm)
  control = studio_server.StudioInput()
  inputs = {'studio': control}
  if FLAGS.osc_port >= 0:
    inputs['osc'] = osc_control.OscControlServer(osc_control.DEFAULT_HOST,
                                                 FLAGS.osc_port)
  session = live_session.LiveSession(the_app, clock, inputs)
  outputs = ['sound card' if sound_card else 'browser']
  if FLAGS.test_tone:
    audio_source = audio_blocks.TestTone()
  else:
    audio_source = None if sound_card else engine
  server = studio_server.StudioServer(
      the_app, control,
      studio_store.Store(paths.resolve_user_path(FLAGS.studio_dir)),
      audio_source=audio_source,
      token=FLAGS.token or secrets.token_urlsafe(16), host=FLAGS.host,
      port=FLAGS.port, outputs=outputs)
  loop = ioloop.IOLoop.current()
  result = {}

  def run_clock():
    result['stats'] = session.run(duration_s=FLAGS.seconds)
    loop.add_callback(loop.stop)

  clock_thread = threading.Thread(target=run_clock, name='clock')
  clock_thread.start()
  print(f'Studio: {server.url}', flush=True)
  try:
    loop.start()
  except KeyboardInterrupt:
    pass
  finally:
    clock.stop()
    clock_thread.join(timeout=30.0)
    server.close()
    if sound_card is not None:
      sound_card.close()
    if carl_agent is not None and hasattr(carl_agent, 'close'):
      carl_agent.close()
  if 'stats' in result:
    live_session.print_stats(result['stats'])


if __name__ == '__main__':
  app.run(main)
