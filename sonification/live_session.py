"""The realtime adapter: a clock, sinks, OSC control and one "app" per session.

An app is any object with ``on_tick(tick)``, ``handlers() -> {command name:
function}`` (OSC verbs it understands, see osc_control.ADDRESS_TABLE) and
``close()``. :class:`LiveSession` wires it up:

  tick -> drain queued OSC commands (bounded per tick) -> app.on_tick(tick)

and adds the session verbs ``/tempo`` and ``/stop``. Apps: the CARL session
(sonification.carl_session), the melody stream (sonification.melody_stream)
and the drum session adapter (sonification.drum_live).
"""

import dataclasses
import logging
import sys
from typing import Optional

from sonification import clock as clock_lib
from sonification import osc_control
from sonification import sinks as sinks_lib


@dataclasses.dataclass(frozen=True)
class SinkConfig:
  """Which outputs a session opens.

  Attributes:
    midi_port: mido output name, 'virtual:NAME' for a virtual port, '' none.
    osc_out: 'host:port' for OSC out, '' none.
    wav_out: a .wav path rendered offline at the end, '' none.
    cc_base: first MIDI CC number for continuous parameters.
  """
  midi_port: str = ''
  osc_out: str = ''
  wav_out: str = ''
  cc_base: int = sinks_lib.DEFAULT_CC_BASE


def open_sinks(config: SinkConfig) -> sinks_lib.MultiSink:
  """Opens the configured sinks.

  Raises:
    sinks_lib.SinkError: when a MIDI port cannot be opened.
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
  if config.wav_out:
    opened.append(sinks_lib.WavSink(config.wav_out))
  return sinks_lib.MultiSink(opened)


class LiveSession:
  """Runs an app on the clock with OSC control.

  Args:
    app: the app (on_tick, handlers, close).
    clock: a :class:`clock_lib.Clock`.
    osc_server: an OscControlServer (None: no OSC in).
    max_commands_per_tick: bound on OSC commands run per tick.
  """

  def __init__(self, app, clock: clock_lib.Clock,
               osc_server: Optional[osc_control.OscControlServer] = None,
               max_commands_per_tick: int = 256):
    self.app = app
    self.clock = clock
    self.osc_server = osc_server
    self.router = osc_control.CommandRouter(app.handlers())
    self.router.register('tempo', clock.set_bpm)
    self.router.register('stop', clock.stop)
    self.max_commands_per_tick = max_commands_per_tick
    if osc_server is not None:
      clock.add_callback(self._drain)
    clock.add_callback(app.on_tick)

  def _drain(self, tick) -> None:
    del tick
    self.router.drain(self.osc_server.commands, self.max_commands_per_tick)

  def run(self, num_ticks: Optional[int] = None,
          duration_s: Optional[float] = None) -> dict:
    """Runs until num_ticks/duration_s, /stop or Ctrl-C; then closes.

    Returns:
      Statistics: ticks, jitter summary (ms), OSC and router counters.
    """
    if self.osc_server is not None:
      self.osc_server.start()
    ticks = 0
    try:
      ticks = self.clock.run(num_ticks=num_ticks, duration_s=duration_s)
    except KeyboardInterrupt:
      logging.info('interrupted')
    finally:
      self.close()
    stats = dict(ticks=ticks, jitter_ms=self.clock.jitter.summary(),
                 router=dict(self.router.stats),
                 callback_errors=self.clock.callback_errors)
    if self.osc_server is not None:
      stats['osc'] = dict(self.osc_server.stats)
    return stats

  def close(self) -> None:
    if self.osc_server is not None:
      self.osc_server.close()
    self.app.close()


def print_stats(stats: dict, out=sys.stdout) -> None:
  j = stats['jitter_ms']
  print(f"ticks {stats['ticks']}  lateness p50 {j['p50_ms']:.3f} ms  p99 "
        f"{j['p99_ms']:.3f} ms  max {j['max_ms']:.3f} ms  callback errors "
        f"{stats['callback_errors']}", file=out)
  if 'osc' in stats:
    print(f"osc {stats['osc']}  commands {stats['router']}", file=out)

