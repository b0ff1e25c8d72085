"""Adapter from the drum session (drums/session.py) to the live clock.

The drum package (parser, schedules, beat agent, session) is built in
parallel; this adapter only relies on a session object with

  * ``on_tick(tick_index) -> iterable of (instrument, velocity)``: the hits
    to play at that tick (learn/predict/off already applied);
  * optional verbs ``set_mode(instrument, mode)``, ``set_program(text)``,
    ``reset()``, ``save(path)``, ``load(path)``, ``bpm`` (from ``bpm N;``).

and maps hits to General MIDI drum notes on channel 10 (sinks.GM_DRUM_NOTES).
If drums/session.py is not importable the binary fails with a clear error.
"""

import importlib
from typing import Callable, Dict

from sonification import sinks as sinks_lib


class DrumSessionUnavailable(RuntimeError):
  """drums/session.py is missing or lacks the expected API."""


def make_drum_session(program_text: str, **kwargs):
  """Builds a drum session from program text via drums.session.

  Raises:
    DrumSessionUnavailable: naming what is missing.
  """
  try:
    session_module = importlib.import_module('drums.session')
  except ImportError as e:
    raise DrumSessionUnavailable(
        f'the live drum mode needs drums/session.py, which is not in this '
        f'checkout yet ({e}); use --carl or --melody') from e
  factory = (getattr(session_module, 'from_program', None) or
             getattr(session_module, 'DrumSession', None))
  if factory is None:
    raise DrumSessionUnavailable(
        'drums.session has neither from_program() nor DrumSession')
  return factory(program_text, **kwargs)


class DrumLiveApp:
  """The drum app for LiveSession: hits -> note_on/note_off on channel 10.

  Args:
    session: a drum session (see module docstring).
    sink: where notes go.
  """

  def __init__(self, session, sink: sinks_lib.Sink):
    self.session = session
    self.sink = sink
    self.notes = sinks_lib.NoteScheduler(sink)
    # Build and trace the agents now, not on the clock's first tick.
    warm_up = getattr(session, 'warm_up', None)
    if warm_up:
      warm_up()

  def on_tick(self, tick) -> None:
    self.notes.advance(tick.index, tick.time_s)
    for instrument, velocity in self.session.on_tick(tick.index) or ():
      pitch = sinks_lib.GM_DRUM_NOTES.get(instrument)
      if pitch is not None:
        self.notes.play(tick.index, tick.time_s, pitch,
                        int(max(1, min(127, velocity))),
                        sinks_lib.DRUM_CHANNEL)

  def handlers(self) -> Dict[str, Callable]:
    verbs = {'drums/mode': 'set_mode', 'drums/program': 'set_program',
             'drums/reset': 'reset', 'drums/save': 'save',
             'drums/load': 'load'}
    return {name: getattr(self.session, method)
            for name, method in verbs.items()
            if hasattr(self.session, method)}

  def close(self) -> None:
    self.notes.all_off()
    close = getattr(self.session, 'close', None)
    if close:
      close()
    self.sink.close()
