r"""Live sessions on the realtime clock, controlled over OSC.

  bazel run //sonification:live -- --carl --ticks=400 --osc_out=127.0.0.1:57120
  bazel run //sonification:live -- --melody --checkpoint=out/q --seconds=30 \
      --midi_port=virtual:rl-tuner
  bazel run //sonification:live -- --program=beat.gos --midi_port=virtual:rl
  bazel run //sonification:live -- --program=beat.gos --watch   # your editor
  bazel run //sonification:live -- --agent --midi_port=virtual:agent
  bazel run //sonification:live -- --agent --agent_ticks=clock \
      --midi_in=virtual:agent-in --midi_clock --midi_port=virtual:agent \
      --agent_source_channel=10 --agent_source_note=36 \
      --agent_target_channel=10 --agent_target_note=38 --agent_out_channel=11
  bazel run //sonification:live -- --carl --pad --joystick \
      --midi_in=virtual:carl-in --midi_clock

Exactly one of --program, --melody, --carl, --agent (a beat agent for any
sequencer over OSC /agent/tick, sonification/agent_bridge.py). Control inputs: OSC on
--osc_host:--osc_port (sonification/osc_control.py has the address table),
MIDI in on --midi_in with --midi_map (sonification/midi_control.py), the
mouse pad (--pad) and a joystick (--joystick) (sonification/pad_input.py).
The tick source is the internal clock, or MIDI clock from --midi_in with
--midi_clock. --ticks/--seconds bound headless runs. CARL's control loop
runs at --carl_rate Hz whatever the tempo (a "bar" is then one second);
it autosaves to --state_dir every --autosave_bars bars and restores from it
at start. --watch re-evaluates --program on every save (a parse error is
reported with line and column; the old program keeps playing).

Every flag and output path is checked before any work starts; a bad one
ends the run with one line on stderr and exit status 1.
"""

import math
import os
import sys
import tempfile

from absl import app
from absl import flags
from absl import logging

from drums import session as session_lib
from rl_tuner import paths
from sonification.carl import carl_hparams
from sonification.carl import carl_session
from sonification import clock as clock_lib
from sonification import live_session
from sonification import melody_stream
from sonification import midi_control
from sonification import osc_control
from sonification import program_watch
from sonification import sinks as sinks_lib

FLAGS = flags.FLAGS
flags.DEFINE_string('program', None, 'a Rubber Gosling program (.gos) to run '
                    'live with the beat agent')
flags.DEFINE_bool('melody', False, 'stream RL Tuner melodies note by note')
flags.DEFINE_string('checkpoint', None, 'RL Tuner run dir (--melody)')
flags.DEFINE_bool('carl', False, 'run CARL on the OSC input vector')
flags.DEFINE_bool('agent', False, 'a beat agent for any sequencer: OSC '
                  '/agent/tick in, /agent/prediction back')
flags.DEFINE_string('agent_hparams', '', 'beat agent hparams overrides '
                    '"structure=16/8,learning_rate=0.01,..." (--agent)')
flags.DEFINE_enum('agent_mode', 'learn', ['learn', 'predict', 'off'],
                  'the --agent bridge\'s starting mode')
flags.DEFINE_enum('agent_ticks', 'osc', ['osc', 'clock'], 'the --agent '
                  'bridge steps on each OSC /agent/tick (osc), or at each '
                  'clock tick on the MIDI notes mapped to agent_source / '
                  'agent_target (clock; --midi_clock follows the sender)')
flags.DEFINE_integer('agent_source_channel', 10, 'MIDI channel (1-16) of '
                     'the --agent_ticks=clock source notes (10: GM drums)')
flags.DEFINE_integer('agent_source_note', 36, 'MIDI note (0-127) of the '
                     'source hits on that channel (36: GM kick)')
flags.DEFINE_integer('agent_target_channel', 10, 'MIDI channel (1-16) of '
                     'the target notes (teaching)')
flags.DEFINE_integer('agent_target_note', 38, 'MIDI note (0-127) of the '
                     'target hits on that channel (38: GM snare)')
flags.DEFINE_integer('agent_out_channel', 10, 'MIDI channel (1-16) the '
                     '--agent bridge\'s predicted hits go out on (e.g. 11 '
                     'for a DAW track of their own)')
flags.DEFINE_string('agent_instrument', 'snare', 'the drum the --agent '
                    'bridge predicts (its GM note on the sinks)')
flags.DEFINE_integer('ticks', None, 'stop after N ticks')
flags.DEFINE_float('seconds', None, 'stop after N seconds')
flags.DEFINE_float('bpm', None, 'tempo (default: the program\'s bpm, 80 qpm '
                   'for melodies, 120 otherwise)')
flags.DEFINE_integer('ticks_per_bar', None, 'ticks per bar (default 8; 16 '
                     'for --melody: sixteenth-note steps)')
flags.DEFINE_string('osc_host', osc_control.DEFAULT_HOST, 'OSC in: host')
flags.DEFINE_integer('osc_port', osc_control.DEFAULT_PORT, 'OSC in: UDP port '
                     '(-1 disables OSC in)')
flags.DEFINE_string('midi_in', '', 'MIDI in port for controls (and MIDI '
                    'clock); virtual:NAME makes a virtual port')
flags.DEFINE_string('midi_map', '', 'MIDI in map "cc1=input:0,note60=reward+,'
                    '..." (default: midi_control.DEFAULT_MAP_SPEC)')
flags.DEFINE_bool('midi_clock', False, 'follow MIDI clock from --midi_in '
                  'instead of the internal clock (tempo from the sender)')
flags.DEFINE_bool('pad', False, 'open the pad: the mouse is CARL\'s inputs x, '
                  'y (a drum program\'s mousex, mousey); left/right click '
                  'like/dislike')
flags.DEFINE_bool('joystick', False, 'joystick axes are CARL inputs, buttons '
                  'like/dislike/randomise')
flags.DEFINE_integer('joystick_axis_base', 0, 'CARL input index of joystick '
                     'axis 0 (e.g. 2 with --pad)')
flags.DEFINE_string('osc_out', '', 'OSC out: host:port (e.g. '
                    '127.0.0.1:57120 for SuperCollider)')
flags.DEFINE_string('midi_port', '', 'MIDI out port name; virtual:NAME makes '
                    'a virtual port')
flags.DEFINE_string('audio', '', 'play through the sound card: with '
                    '--synth=engine a PortAudio output device (default, an '
                    'index or a name); with --synth=gm a fluidsynth driver '
                    '(alsa, pulseaudio, pipewire, jack, coreaudio); empty: no '
                    'live audio')
flags.DEFINE_string('wav_out', '', 'write the whole session\'s audio to this '
                    'WAV at the end')
flags.DEFINE_enum('synth', 'engine', ['engine', 'gm'], 'audio for --audio and '
                  '--wav_out: the project\'s engine (every effect, synth '
                  'setting and CARL parameter heard) or fluidsynth General '
                  'MIDI (notes only)')
flags.DEFINE_enum('voice', 'lead', ['lead', 'bass'], 'engine voice that '
                  '--melody plays on')
flags.DEFINE_string('carl_voice', '', 'CARL voice parameter per actor output, '
                    'e.g. "cutoff,resonance,mod_depth,amplitude" (default '
                    'pitch,cutoff,resonance,drive; see README)')
flags.DEFINE_integer('block_size', 128, 'engine block size (samples) of the '
                     'sound card stream', lower_bound=16)
flags.DEFINE_string('latency', 'low', 'sound card output latency: low, high '
                    'or seconds')
flags.DEFINE_string('state_dir', '/tmp/rl_tuner_live', 'CARL save/restore dir')
flags.DEFINE_integer('status_bars', 4, 'log the session\'s status (CARL '
                     'rewards and losses, drum losses) every K bars (0 off)')
flags.DEFINE_integer('autosave_bars', 4, 'CARL autosave every K bars (0 off)')
flags.DEFINE_string('carl_hparams', '', 'CARL hparams overrides "a=1,b=2"')
flags.DEFINE_enum('carl_learner', 'process', ['process', 'thread'],
                  'CARL learner in a child process (no TF in this one) or a '
                  'thread')
flags.DEFINE_enum('carl_learner_algo', 'pref',
                  sorted(carl_hparams.LEARNERS),
                  carl_hparams.LEARNER_FLAG_HELP)
flags.DEFINE_bool('realtime', True, 'SCHED_FIFO priority for the clock thread '
                  'when permitted')
flags.DEFINE_integer('seed', 0, 'random seed')
flags.DEFINE_bool('watch', False, 're-evaluate --program whenever the file '
                  'is saved')
flags.DEFINE_integer('carl_rate', 50, 'CARL control loop rate, Hz (1-1000), '
                     'independent of any tempo')
flags.DEFINE_float('switch_interval_ms', 0.5, 'Python thread switch interval '
                   '(sys.setswitchinterval): how long a worker thread (agent '
                   'building, loading) may hold the GIL before the clock '
                   'thread gets it; Python\'s default is 5 ms')


def _carl_app(sink, hp):
  if FLAGS.carl_learner == 'process':
    from sonification.carl import carl_remote  # pylint: disable=g-import-not-at-top
    agent = carl_remote.RemoteAgent(hp)
  else:
    from sonification.carl import carl_agent  # pylint: disable=g-import-not-at-top
    agent = carl_agent.make_agent(hp)
  session = carl_session.CarlSession(
      agent, sink, state_dir=FLAGS.state_dir,
      autosave_every_bars=FLAGS.autosave_bars,
      ticks_per_bar=FLAGS.carl_rate).start()
  close = session.close

  def close_all():
    close()
    if hasattr(agent, 'close'):
      agent.close()
    sink.close()

  session.close = close_all
  # One bar = one second: carl_rate ticks a bar at 240 bpm (4 beats of
  # 0.25 s), so a tick is 1 / carl_rate s.
  return session, CARL_BPM, FLAGS.carl_rate


def _melody_app(sink, hp):
  del hp
  if not FLAGS.checkpoint:
    raise app.UsageError('--melody needs --checkpoint=DIR (an RL Tuner run)')
  from rl_tuner import rl_tuner_runner  # pylint: disable=g-import-not-at-top
  try:
    agent = rl_tuner_runner.load_tuned_agent(FLAGS.checkpoint,
                                             replay_memory_size=1)
  except (OSError, ValueError) as e:
    raise app.UsageError(f'--checkpoint: {e}') from e
  seeds = iter(range(FLAGS.seed, sys.maxsize))

  def generate():
    return agent.generate_music_sequence(4, sample=True, seed=next(seeds))[0]

  stream = melody_stream.MelodyStream(generate, sink)
  if not stream.wait_ready(120.0):
    raise app.UsageError('--melody: the generator produced nothing')
  return stream, 80.0, 16


def _drum_app(sink, hp):
  del hp
  from sonification import drum_live  # pylint: disable=g-import-not-at-top
  try:
    with open(FLAGS.program) as f:
      text = f.read()
  except OSError as e:
    raise app.UsageError(f'--program: {e}') from e
  try:
    # Agents are built and warmed up in child processes (no TF in this
    # one) by the runtime's worker once the clock runs; until then their
    # instruments play as written.
    from drums import remote_beat_agent  # pylint: disable=g-import-not-at-top
    session = drum_live.make_drum_session(
        text, build_agents=False,
        agent_factory=remote_beat_agent.remote_agent_factory(
            session_lib.beat_agent_hparams.BeatAgentHParams()))
  except ValueError as e:
    raise app.UsageError(f'{FLAGS.program}: {e}') from e
  return (drum_live.DrumLiveApp(session, sink, session.ticks_per_bar,
                                warm_up=False),
          session.bpm, session.ticks_per_bar)


def _agent_app(sink, hp):
  del hp
  from drums import agent_pipeline  # pylint: disable=g-import-not-at-top
  from drums import beat_agent_hparams  # pylint: disable=g-import-not-at-top
  from drums import language  # pylint: disable=g-import-not-at-top
  from drums import remote_beat_agent  # pylint: disable=g-import-not-at-top
  from sonification import agent_bridge  # pylint: disable=g-import-not-at-top
  if FLAGS.agent_instrument not in language.DRUM_INSTRUMENTS:
    raise app.UsageError(f'--agent_instrument must be one of '
                         f'{language.DRUM_INSTRUMENTS}, got '
                         f'{FLAGS.agent_instrument!r}')
  try:
    hparams = beat_agent_hparams.parse_hparams(
        FLAGS.agent_hparams,
        beat_agent_hparams.BeatAgentHParams(seed=FLAGS.seed))
  except ValueError as e:
    raise app.UsageError(f'--agent_hparams: {e}') from e
  bridge = agent_bridge.AgentBridgeApp(
      lambda: agent_pipeline.PipelinedAgent(
          remote_beat_agent.RemoteBeatAgent(hparams)), sink,
      FLAGS.agent_instrument, FLAGS.agent_mode, hparams.ticks_per_bar,
      clock_ticks=FLAGS.agent_ticks == 'clock',
      out_channel=FLAGS.agent_out_channel - 1)
  return bridge, 120.0, 8


APPS = {'program': _drum_app, 'melody': _melody_app, 'carl': _carl_app,
        'agent': _agent_app}
CARL_BPM = 240.0


def _writable_dir(directory: str) -> str:
  """Why files cannot be written in ``directory`` (None if they can)."""
  try:
    os.makedirs(directory, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=directory, prefix='.live_check_'):
      pass
  except OSError as e:
    return f'{directory}: {e.strerror or e}'
  return None


def _check_flags(chosen: str) -> None:
  """Checks every flag and output path before work starts.

  Raises:
    app.UsageError: naming the flag and what is wrong.
  """
  low, high = osc_control.TEMPO_RANGE
  if FLAGS.bpm is not None and not (math.isfinite(FLAGS.bpm) and
                                    low <= FLAGS.bpm <= high):
    raise app.UsageError(f'--bpm must be in [{low:g}, {high:g}], got '
                         f'{FLAGS.bpm}')
  if FLAGS.ticks is not None and FLAGS.ticks < 1:
    raise app.UsageError(f'--ticks must be >= 1, got {FLAGS.ticks}')
  if FLAGS.seconds is not None and not (math.isfinite(FLAGS.seconds) and
                                        FLAGS.seconds > 0):
    raise app.UsageError(f'--seconds must be > 0, got {FLAGS.seconds}')
  if FLAGS.ticks_per_bar is not None and not 1 <= FLAGS.ticks_per_bar <= 96:
    raise app.UsageError(f'--ticks_per_bar must be in [1, 96], got '
                         f'{FLAGS.ticks_per_bar}')
  if not 1 <= FLAGS.carl_rate <= 1000:
    raise app.UsageError(f'--carl_rate must be in [1, 1000] Hz, got '
                         f'{FLAGS.carl_rate}')
  for name in ('status_bars', 'autosave_bars'):
    if getattr(FLAGS, name) < 0:
      raise app.UsageError(f'--{name} must be >= 0, got '
                           f'{getattr(FLAGS, name)}')
  if not (math.isfinite(FLAGS.switch_interval_ms) and
          0 < FLAGS.switch_interval_ms <= 100):
    raise app.UsageError(f'--switch_interval_ms must be in (0, 100], got '
                         f'{FLAGS.switch_interval_ms}')
  if FLAGS.osc_port != -1:
    if not 0 <= FLAGS.osc_port <= 65535:
      raise app.UsageError(f'--osc_port must be -1 (off) or in [0, 65535], '
                           f'got {FLAGS.osc_port}')
    error = osc_control.open_error(FLAGS.osc_host, FLAGS.osc_port)
    if error:
      raise app.UsageError(f'--osc_port: {error} (is another session '
                           f'running? choose another --osc_port)')
  if chosen == 'agent':
    _agent_midi_bindings()  # channels and notes checked.
  if FLAGS.watch and chosen != 'program':
    raise app.UsageError('--watch needs --program=FILE')
  if FLAGS.wav_out:
    if os.path.isdir(FLAGS.wav_out):
      raise app.UsageError(f'--wav_out {FLAGS.wav_out} is a directory')
    error = _writable_dir(os.path.dirname(os.path.abspath(FLAGS.wav_out)))
    if error:
      raise app.UsageError(f'--wav_out cannot be written: {error}')
  if chosen == 'carl' and FLAGS.state_dir:
    error = _writable_dir(FLAGS.state_dir)
    if error:
      raise app.UsageError(f'--state_dir cannot be written: {error}')


def _agent_midi_bindings() -> dict:
  """The --agent bridge's source and target notes, each on its channel.

  Raises:
    app.UsageError: naming the flag outside its range (channels 1-16,
      notes 0-127), or source and target on the same channel and note.
  """
  try:
    midi_control.check_channel('--agent_out_channel', FLAGS.agent_out_channel)
    return midi_control.agent_note_bindings(
        (FLAGS.agent_source_channel, FLAGS.agent_source_note),
        (FLAGS.agent_target_channel, FLAGS.agent_target_note),
        names=('--agent_source', '--agent_target'))
  except ValueError as e:
    raise app.UsageError(str(e)) from e


def _tick_source(bpm: float, ticks_per_bar: int):
  """The internal clock, or a MIDI clock follower (--midi_clock)."""
  if FLAGS.midi_clock:
    return clock_lib.MidiClockFollower(ticks_per_bar=ticks_per_bar)
  return clock_lib.Clock(bpm=bpm, ticks_per_bar=ticks_per_bar)


def _control_inputs(hp, tick_source):
  """Opens OSC, MIDI in, pad and joystick inputs as the flags ask."""
  inputs = {}
  try:
    if FLAGS.osc_port >= 0:
      inputs['osc'] = osc_control.OscControlServer(FLAGS.osc_host,
                                                   FLAGS.osc_port)
      logging.info('OSC control on %s:%d', FLAGS.osc_host,
                   inputs['osc'].port)
    if FLAGS.midi_in:
      follower = tick_source if FLAGS.midi_clock else None
      inputs['midi_in'] = midi_control.make_midi_input(
          FLAGS.midi_in, FLAGS.midi_map, hp.input_size,
          hp.optimise_every_max, follower)
      if FLAGS.agent and FLAGS.agent_ticks == 'clock':
        inputs['midi_in'].bindings.update(_agent_midi_bindings())
      logging.info('MIDI in on %s:\n%s', FLAGS.midi_in,
                   midi_control.describe(inputs['midi_in'].bindings))
    if FLAGS.pad or FLAGS.joystick:
      from sonification import pad_input  # pylint: disable=g-import-not-at-top
      inputs['pad'] = pad_input.PadInput(
          hp.input_size, window_size=(360, 360) if FLAGS.pad else None,
          joystick_axis_base=FLAGS.joystick_axis_base,
          pointer='drums' if FLAGS.program else 'carl').start()
  except (OSError, ValueError, osc_control.ControlInputError) as e:
    for opened in inputs.values():
      opened.close()
    raise app.UsageError(str(e)) from e
  return inputs


def main(argv):
  try:
    _main(argv)
  except app.UsageError as e:
    sys.exit(f'live: error: {e}')


def _main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'unexpected arguments {argv[1:]}')
  chosen = [name for name, on in (('program', FLAGS.program),
                                  ('melody', FLAGS.melody),
                                  ('carl', FLAGS.carl),
                                  ('agent', FLAGS.agent)) if on]
  if len(chosen) != 1:
    raise app.UsageError('give exactly one of --program, --melody, --carl, '
                         '--agent')
  if (chosen[0] == 'agent' and FLAGS.agent_ticks == 'osc' and
      FLAGS.osc_port == -1):
    raise app.UsageError('--agent needs OSC in (--osc_port), or '
                         '--agent_ticks=clock with --midi_in')
  if (chosen[0] == 'agent' and FLAGS.agent_ticks == 'clock' and
      not FLAGS.midi_in):
    raise app.UsageError('--agent_ticks=clock needs --midi_in=PORT (the '
                         'source and target notes come from it)')
  if FLAGS.midi_clock and not FLAGS.midi_in:
    raise app.UsageError('--midi_clock needs --midi_in=PORT')
  # Relative paths are the user's (bazel run's working dir), not runfiles'.
  for name in ('program', 'checkpoint', 'state_dir', 'wav_out'):
    setattr(FLAGS, name, paths.resolve_user_path(getattr(FLAGS, name)))
  _check_flags(chosen[0])
  try:
    hp = carl_hparams.CarlHParams.for_learner(
        FLAGS.carl_learner_algo, FLAGS.carl_hparams, seed=FLAGS.seed)
    sink = live_session.open_sinks(live_session.SinkConfig(
        FLAGS.midi_port, FLAGS.osc_out, FLAGS.wav_out, FLAGS.audio,
        synth=FLAGS.synth, voice=FLAGS.voice, carl_voice=FLAGS.carl_voice,
        block_size=FLAGS.block_size, latency=FLAGS.latency))
  except (sinks_lib.SinkError, ValueError) as e:
    raise app.UsageError(str(e)) from e
  the_app, bpm, ticks_per_bar = APPS[chosen[0]](sink, hp)
  if chosen[0] == 'carl':
    bpm, ticks_per_bar = CARL_BPM, FLAGS.carl_rate  # its own rate.
  else:
    bpm, ticks_per_bar = FLAGS.bpm or bpm, FLAGS.ticks_per_bar or ticks_per_bar
  tick_source = _tick_source(bpm, ticks_per_bar)
  try:
    inputs = _control_inputs(hp, tick_source)
  except app.UsageError:
    the_app.close()
    raise
  if FLAGS.realtime:
    clock_lib.try_realtime_priority()
  sys.setswitchinterval(FLAGS.switch_interval_ms / 1000.0)
  session = live_session.LiveSession(
      the_app, tick_source, inputs, status_every_bars=FLAGS.status_bars,
      tempo_control=chosen[0] != 'carl')
  watcher = None
  if FLAGS.watch:
    watcher = program_watch.ProgramWatcher(
        FLAGS.program, lambda text, on_error: session.submit(
            'drums/program', text, on_error=on_error)).start()
    logging.info('watching %s: save it to re-evaluate', FLAGS.program)
  try:
    stats = session.run(num_ticks=FLAGS.ticks, duration_s=FLAGS.seconds)
  finally:
    if watcher:
      watcher.close()
  live_session.print_stats(stats)
  if FLAGS.wav_out and os.path.exists(FLAGS.wav_out):
    print(f'wrote {FLAGS.wav_out}')


if __name__ == '__main__':
  app.run(main)
