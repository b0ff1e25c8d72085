"""The realtime adapter: a clock, sinks, OSC control and one "app" per session.

An app is any object with ``on_tick(tick)``, ``handlers() -> {command name:
function}`` (OSC verbs it understands, see osc_control.ADDRESS_TABLE) and
``close()``. A control input is any object with a ``commands`` queue of
osc_control.Command, ``stats``, ``start()`` and ``close()``: the OSC server
(osc_control), MIDI in (midi_control), the mouse pad and joystick
(pad_input). :class:`LiveSession` wires them up:

  tick -> drain each input's queued commands (bounded per tick)
       -> app.on_tick(tick)

and adds the session verbs ``/tempo`` and ``/stop``. The tick source is a
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
import sys
from typing import Callable, Dict, Optional

from sonification import osc_control
from sonification import sinks as sinks_lib


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
    app: the app (on_tick, handlers, close).
    clock: a :class:`sonification.clock.Clock` or a
      :class:`sonification.clock.MidiClockFollower`
      (anything with add_callback, run(num_ticks, duration_s), stop, jitter,
      callback_errors; /tempo is offered when it has set_bpm).
    inputs: name ('osc', 'midi_in', 'pad') -> control input.
    max_commands_per_tick: bound on the commands run per tick, per input.
    status_every_bars: log the app's status() every K bars (0: never).
    log: the status line's logger (``log(text)``).
  """

  def __init__(self, app, clock, inputs: Optional[Dict[str, object]] = None,
               max_commands_per_tick: int = 256, status_every_bars: int = 0,
               log: Callable[[str], None] = logging.info):
    self.app = app
    self.clock = clock
    self.inputs = dict(inputs or {})
    self.router = osc_control.CommandRouter(app.handlers())
    if hasattr(clock, 'set_bpm'):
      self.router.register('tempo', clock.set_bpm)
    self.router.register('stop', clock.stop)
    self.max_commands_per_tick = max_commands_per_tick
    if self.inputs:
      clock.add_callback(self._drain)
    clock.add_callback(app.on_tick)
    self.status_every_bars = status_every_bars
    self._log = log
    if status_every_bars > 0 and hasattr(app, 'status'):
      clock.add_callback(self._status)

  def _status(self, tick) -> None:
    if tick.step == 0 and tick.bar > 0 and (
        tick.bar % self.status_every_bars == 0):
      self._log(f'bar {tick.bar}: ' + format_status(self.app.status()))

  def _drain(self, tick) -> None:
    del tick
    for control_input in self.inputs.values():
      self.router.drain(control_input.commands, self.max_commands_per_tick)

  def run(self, num_ticks: Optional[int] = None,
          duration_s: Optional[float] = None) -> dict:
    """Runs until num_ticks/duration_s, /stop or Ctrl-C; then closes.

    Returns:
      Statistics: ticks, jitter summary (ms), router counters, callback
      errors, and each input's counters under its name.
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
    stats = dict(ticks=ticks, jitter_ms=self.clock.jitter.summary(),
                 router=dict(self.router.stats),
                 callback_errors=self.clock.callback_errors)
    for name, control_input in self.inputs.items():
      stats[name] = dict(control_input.stats)
    return stats

  def close(self) -> None:
    for control_input in self.inputs.values():
      control_input.close()
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
  for name in ('osc', 'midi_in', 'pad'):
    if name in stats:
      print(f'{name} {stats[name]}', file=out)
  print(f"commands {stats['router']}", file=out)

