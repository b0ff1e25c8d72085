"""The realtime adapter: a clock, sinks, OSC control and one "app" per session.

An app is any object with ``on_tick(tick)``, ``handlers() -> {command name:
function}`` (OSC verbs it understands, see osc_control.ADDRESS_TABLE) and
``close()``. A control input is any object with a ``commands`` queue of
osc_control.Command, ``stats``, ``start()`` and ``close()``: the OSC server
(osc_control), MIDI in (midi_control), the mouse pad and joystick
(pad_input). :class:`LiveSession` wires them up:

  tick -> drain each input's queued commands (bounded per tick)
       -> app.on_tick(tick)

and adds the session verbs ``/tempo`` and ``/stop``.

Realtime guarantees (issues 11 and 12): commands are drained at each tick
and, with the internal clock, between ticks (so control and ``/stop`` are
prompt at any tempo), each time within ``command_budget_s``; the rest wait.
Slow work (new programs and agents, reset, load, save) runs on a
:class:`sonification.jobs.BackgroundJobs` worker and is committed at a tick
boundary (:class:`Runtime`, given to apps with ``attach_runtime``). Errors are
counted per kind and logged one line per kind, rate-limited
(sonification.error_log); failures are answered with ``/error`` to the OSC
sender. Other front ends (the studio) drive the same queue through
:meth:`LiveSession.submit`.

The tick source is a
clock.Clock, or a clock.MidiClockFollower fed by MIDI in. An app with a
``status() -> dict`` (CARL: memory, rewards, DDPG steps and losses; drums:
modes and the mean learning loss of the bar) gets one log line every
``status_every_bars`` bars: the live loss/reward display of a headless run.
Apps: the CARL session (sonification.carl.carl_session), the melody stream
(sonification.melody_stream) and the drum session adapter
(sonification.drum_live).
"""

import dataclasses
import logging
import math
import queue
import sys
from typing import Any, Callable, Dict, Optional

from sonification import error_log as error_log_lib
from sonification import jobs as jobs_lib
from sonification import osc_control
from sonification import sinks as sinks_lib

COMMAND_BUDGET_S = 0.002  # per drain; the tick's own work comes after.


@dataclasses.dataclass(frozen=True)
class SinkConfig:
  """Which outputs a session opens.

  Attributes:
    midi_port: mido output name, 'virtual:NAME' for a virtual port, '' none.
    osc_out: 'host:port' for OSC out, '' none.
    wav_out: a .wav path with the whole session, written at the end, ''
      none.
    audio_driver: play live through the sound card, '' none. With synth
      'engine': a PortAudio output device ('default', an index or a name
      substring); with synth 'gm': a fluidsynth driver ('alsa',
      'pulseaudio', 'coreaudio', ...).
    cc_base: first MIDI CC number for continuous parameters.
    synth: 'engine' (sonification/audio: every statement, effect and CARL
      parameter heard) or 'gm' (fluidsynth with the General MIDI soundfont:
      notes only, no effects, no CARL voice).
    voice: the engine instrument melodies play on ('lead' or 'bass').
    carl_voice: CARL voice parameter per actor output, comma-separated
      ('' = sonification.audio.carl_voice.default_mapping).
    sample_rate: engine sample rate (Hz).
    block_size: engine block (samples) of the sound card stream.
    latency: PortAudio's suggested output latency: 'low', 'high' or
      seconds.
  """
  midi_port: str = ''
  osc_out: str = ''
  wav_out: str = ''
  audio_driver: str = ''
  cc_base: int = sinks_lib.DEFAULT_CC_BASE
  synth: str = 'engine'
  voice: str = 'lead'
  carl_voice: str = ''
  sample_rate: int = 44100
  block_size: int = 128
  latency: str = 'low'


def open_sinks(config: SinkConfig) -> sinks_lib.MultiSink:
  """Opens the configured sinks.

  Raises:
    sinks_lib.SinkError: when a MIDI port or the sound card cannot be opened.
    ValueError: on a malformed osc_out.
  """
  opened = []
  if config.midi_port:
    opened.append(sinks_lib.MidiSink(
        sinks_lib.open_midi_output(config.midi_port), cc_base=config.cc_base))
  if config.osc_out:
    host, sep, port = config.osc_out.rpartition(':')
    if not sep or not port.isdigit():
      raise ValueError(f'osc_out must be host:port, got {config.osc_out!r}')
    opened.append(sinks_lib.OscSink(host or '127.0.0.1', int(port)))
  if config.synth not in SYNTHS:
    raise ValueError(f'unknown synth {config.synth!r}; expected one of '
                     f'{", ".join(SYNTHS)}')
  if config.synth == 'gm':
    if config.wav_out:
      opened.append(sinks_lib.WavSink(config.wav_out))
    if config.audio_driver:
      opened.append(sinks_lib.SoundCardSink(driver=config.audio_driver))
  elif config.wav_out or config.audio_driver:
    opened.append(_engine_sink(config))
  return sinks_lib.MultiSink(opened)


@dataclasses.dataclass
class Runtime:
  """What an app's slow verbs need from the live session.

  Attributes:
    jobs: the background worker (sonification.jobs.BackgroundJobs).
    errors: the session's ErrorLog.
    set_tempo: ``set_tempo(bpm)`` of the clock (None: the tempo is followed,
      e.g. MIDI clock). Raises ValueError outside osc_control.TEMPO_RANGE.
    router: the command router (its ``error_reply`` answers the command
      being handled).
  """
  jobs: jobs_lib.BackgroundJobs
  errors: error_log_lib.ErrorLog
  set_tempo: Optional[Callable[[float], None]]
  router: osc_control.CommandRouter

  inputs: Dict[str, object] = dataclasses.field(default_factory=dict)

  def error_reply(self) -> Callable[[str], None]:
    """``reply(text)`` to the sender of the command being handled now."""
    return self.router.error_reply

  def reply_sender(self) -> Callable[..., bool]:
    """``send(path, *args)`` to the sender of the command being handled
    now, usable later and from any thread (an answer that comes after the
    handler returned); sends nothing for a command not from OSC."""
    command = self.router.current
    osc = self.inputs.get('osc')
    reply_to = None if command is None else command.reply_to
    if reply_to is None or osc is None:
      return lambda path, *args: False
    return lambda path, *args: osc.send(reply_to, path, *args)

  def send_back(self, path: str, *args: Any) -> bool:
    """Sends an OSC message to the sender of the command being handled now
    (when it came over OSC); True if sent."""
    command = self.router.current
    osc = self.inputs.get('osc')
    if command is None or command.reply_to is None or osc is None:
      return False
    return osc.send(command.reply_to, path, *args)


class ApiInput:
  """The control input of :meth:`LiveSession.submit` (e.g. the studio).

  Attributes:
    commands: the bounded queue of osc_control.Command.
    stats: 'accepted', 'dropped', 'rejected'.
  """

  def __init__(self, max_queue: int = 10_000):
    self.commands: 'queue.Queue[osc_control.Command]' = queue.Queue(
        maxsize=max_queue)
    self.stats = dict(accepted=0, dropped=0, rejected=0)

  def start(self) -> 'ApiInput':
    return self

  def close(self) -> None:
    pass

  def reply(self, reply_to, text: str) -> None:
    """A failed command's error to its submitter's ``on_error(text)``."""
    if callable(reply_to):
      reply_to(text)
SYNTHS = ('engine', 'gm')


def _engine_sink(config: SinkConfig) -> sinks_lib.Sink:
  """The audio engine's sink (imported here: only sessions with audio load
  numba and scipy).

  Raises:
    sinks_lib.SinkError: when the sound card cannot be opened.
    ValueError: on a bad voice, CARL mapping, block size or latency.
  """
  # pylint: disable=g-import-not-at-top
  from sonification.audio import carl_voice
  from sonification.audio import engine as engine_lib
  from sonification.audio import engine_sink
  from sonification.audio import outputs
  # pylint: enable=g-import-not-at-top
  engine = engine_lib.Engine(config.sample_rate, config.block_size)
  mapping = (carl_voice.parse_mapping(config.carl_voice)
             if config.carl_voice else None)
  open_output = None
  if config.audio_driver:
    device = config.audio_driver
    device = (None if device == 'default' else
              int(device) if device.isdigit() else device)
    try:
      latency = float(config.latency)
    except ValueError:
      latency = config.latency
    if latency not in ('low', 'high') and not isinstance(latency, float):
      raise ValueError(f"latency must be 'low', 'high' or seconds, got "
                       f'{config.latency!r}')

    def open_output(engine, tap):
      return outputs.SoundDeviceOutput(engine, device=device, latency=latency,
                                       tap=tap).start()
  try:
    return engine_sink.EngineSink(engine, config.wav_out or None, open_output,
                                  voice=config.voice, carl_mapping=mapping)
  except outputs.AudioDeviceError as e:
    raise sinks_lib.SinkError(str(e)) from e


class LiveSession:
  """Runs an app on a tick source with control inputs.

  Args:
    app: the app (on_tick, handlers, close; optional status,
      attach_runtime).
    clock: a :class:`sonification.clock.Clock` or a
      :class:`sonification.clock.MidiClockFollower`
      (anything with add_callback, run(num_ticks, duration_s), stop, jitter,
      callback_errors; /tempo is offered when it has set_bpm; control runs
      between ticks when it has add_idle_callback).
    inputs: name ('osc', 'midi_in', 'pad') -> control input.
    max_commands_per_tick: bound on the commands run per drain, per input.
    status_every_bars: log the app's status() every K bars (0: never).
    log: the status line's logger (``log(text)``).
    command_budget_s: seconds of commands per drain (at least one runs).
    errors: the ErrorLog (default: a new one, one line per kind per 5 s).
    threaded_jobs: False runs slow work synchronously at submission
      (deterministic tests); commits still happen at tick boundaries.
    tempo_control: offer ``/tempo`` (False for CARL, whose control rate is
      fixed by --carl_rate).
  """

  def __init__(self, app, clock, inputs: Optional[Dict[str, object]] = None,
               max_commands_per_tick: int = 256, status_every_bars: int = 0,
               log: Callable[[str], None] = logging.info,
               command_budget_s: float = COMMAND_BUDGET_S,
               errors: Optional[error_log_lib.ErrorLog] = None,
               threaded_jobs: bool = True, tempo_control: bool = True):
    self.app = app
    self.clock = clock
    self.errors = errors or error_log_lib.ErrorLog()
    self.api = ApiInput()
    self.inputs = dict(inputs or {})
    self.inputs.setdefault('api', self.api)
    for control_input in self.inputs.values():
      if hasattr(control_input, 'errors'):  # one log and counters for all.
        control_input.errors = self.errors
    self.jobs = jobs_lib.BackgroundJobs(self.errors, threaded=threaded_jobs)
    self.router = osc_control.CommandRouter(errors=self.errors)
    tempo = tempo_control and hasattr(clock, 'set_bpm')
    self.runtime = Runtime(self.jobs, self.errors,
                           self.set_tempo if tempo else None, self.router,
                           self.inputs)
    if hasattr(app, 'attach_runtime'):
      app.attach_runtime(self.runtime)
    for name, handler in app.handlers().items():
      self.router.register(name, handler)
    if tempo:
      self.router.register('tempo', self.set_tempo)
    self.router.register('stop', clock.stop)
    if hasattr(clock, 'report_error'):
      clock.report_error = self.errors.report
    self.max_commands_per_tick = max_commands_per_tick
    self.command_budget_s = command_budget_s
    clock.add_callback(self._tick_boundary)
    # An app's ``poll()`` (never blocks) runs between ticks too: answers
    # that arrive after their command (the agent bridge's predictions).
    self._poll = getattr(app, 'poll', None)
    if hasattr(clock, 'add_idle_callback'):
      clock.add_idle_callback(self._between_ticks)
    clock.add_callback(app.on_tick)
    self.status_every_bars = status_every_bars
    self._log = log
    if status_every_bars > 0 and hasattr(app, 'status'):
      clock.add_callback(self._status)

  def set_tempo(self, bpm: float) -> None:
    """Sets the clock's tempo (thread-safe; from the next tick).

    Raises:
      ValueError: if bpm is not finite or outside osc_control.TEMPO_RANGE.
    """
    low, high = osc_control.TEMPO_RANGE
    if not (isinstance(bpm, (int, float)) and math.isfinite(bpm) and
            low <= bpm <= high):
      raise ValueError(f'tempo must be in [{low:g}, {high:g}] bpm, got '
                       f'{bpm!r}')
    self.clock.set_bpm(float(bpm))

  def submit(self, name: str, *args: Any,
             on_error: Optional[Callable[[str], None]] = None) -> None:
    """Queues a command as if it came over OSC (the studio's entry point).

    Thread-safe and non-blocking; it runs on the clock thread at the next
    drain, within the budget.

    Args:
      name: a command of osc_control.ADDRESS_TABLE without the leading '/'
        (e.g. 'drums/program', 'carl/reward').
      *args: its arguments.
      on_error: ``on_error(text)`` if the command fails when it runs (e.g.
        a program's parse error, with line and column), on the clock or the
        worker thread.

    Raises:
      KeyError, TypeError, ValueError: as osc_control.validate (unknown
        command, wrong arguments, values outside their documented range).
      queue.Full: if 10,000 commands are waiting.
    """
    try:
      command = osc_control.validate('/' + name, args, on_error)
    except (KeyError, TypeError, ValueError):
      self.api.stats['rejected'] += 1
      raise
    if not osc_control.enqueue(self.api.commands, command, self.api.stats):
      raise queue.Full(f'{name}: the command queue is full')

  def status(self) -> dict:
    """The app's status plus error counters and waiting slow jobs."""
    status = dict(self.app.status()) if hasattr(self.app, 'status') else {}
    errors = self.errors.summary()
    if errors:
      status['errors'] = errors
    if self.jobs.pending:
      status['jobs'] = self.jobs.pending
    return status

  def _status(self, tick) -> None:
    if tick.step == 0 and tick.bar > 0 and (
        tick.bar % self.status_every_bars == 0):
      self._log(f'bar {tick.bar}: ' + format_status(self.status()))

  def _drain(self, budget_s: float) -> None:
    for control_input in self.inputs.values():
      reply = getattr(control_input, 'reply', None)
      self.router.drain(control_input.commands, self.max_commands_per_tick,
                        budget_s, reply)

  def _tick_boundary(self, tick) -> None:
    del tick
    self.jobs.run_commits(self.command_budget_s)
    self._drain(self.command_budget_s)

  def _between_ticks(self, remaining_s: float) -> None:
    self._drain(min(self.command_budget_s, remaining_s / 4))
    if self._poll is not None:
      self._poll()

  def run(self, num_ticks: Optional[int] = None,
          duration_s: Optional[float] = None) -> dict:
    """Runs until num_ticks/duration_s, /stop or Ctrl-C; then closes.

    Returns:
      Statistics: ticks, jitter summary (ms; ``done_ms``: when each tick's
      callbacks had all returned, after its deadline), router counters,
      callback errors, error counts by kind, job counters, and each input's
      counters under its name.
    """
    ticks = 0
    try:
      for control_input in self.inputs.values():
        control_input.start()
      ticks = self.clock.run(num_ticks=num_ticks, duration_s=duration_s)
    except KeyboardInterrupt:
      logging.info('interrupted')
    finally:
      self.close()
    done = getattr(self.clock, 'done', None)
    stats = dict(ticks=ticks, jitter_ms=self.clock.jitter.summary(),
                 done_ms=done.summary() if done is not None else None,
                 router=dict(self.router.stats),
                 callback_errors=self.clock.callback_errors,
                 errors=self.errors.summary(), jobs=dict(self.jobs.stats))
    for name, control_input in self.inputs.items():
      stats[name] = dict(control_input.stats)
    return stats

  def close(self) -> None:
    for control_input in self.inputs.values():
      control_input.close()
    self.jobs.close()
    self.app.close()


def format_status(status: dict) -> str:
  """'key value' pairs, floats to 4 significant digits, nested dicts flat."""
  parts = []
  for key, value in status.items():
    if isinstance(value, dict):
      value = '{' + format_status(value) + '}'
    elif isinstance(value, float):
      value = f'{value:.4g}'
    parts.append(f'{key} {value}')
  return '  '.join(parts)


def print_stats(stats: dict, out=sys.stdout) -> None:
  j = stats['jitter_ms']
  print(f"ticks {stats['ticks']}  lateness p50 {j['p50_ms']:.3f} ms  p99 "
        f"{j['p99_ms']:.3f} ms  max {j['max_ms']:.3f} ms  callback errors "
        f"{stats['callback_errors']}", file=out)
  d = stats.get('done_ms')
  if d and d['count']:
    print(f"tick done (output out) after deadline: p50 {d['p50_ms']:.3f} ms"
          f"  p99 {d['p99_ms']:.3f} ms  max {d['max_ms']:.3f} ms", file=out)
  for name in ('osc', 'midi_in', 'pad'):
    if name in stats:
      print(f'{name} {stats[name]}', file=out)
  print(f"commands {stats['router']}", file=out)
  if stats.get('errors'):
    print(f"errors {stats['errors']}", file=out)

