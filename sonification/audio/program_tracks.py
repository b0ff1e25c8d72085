"""A language program (drums/language.py) as engine tracks and events.

Every statement of a program gets its own track named ``statement_track(i)``
(``s0``, ``s1``, ...): its instrument (kick, snare, closedhat, openhat, lead,
bass), its effects in the written order, and for synths its ``cut``, ``res``
and ``env`` (numbers as parameters, ``_mousex`` / ``_mousey`` as bindings to
the engine controls ``mousex`` / ``mousey``). Drum hits and synth notes of a
drum session (drums.session.TickRecord) become triggers at their exact
written phase in the bar (agent hits at their tick).

A statement's ``amp`` is already in its chain, so hits and notes trigger at
velocity 1 (the MIDI velocity the session computes folds ``amp`` in, for GM
output only). Synth notes sound for SYNTH_GATE of their written length.
"""

from typing import Dict, Sequence, Tuple

import numpy as np

from drums import language
from drums import schedule
from sonification.audio import outputs

SYNTH_GATE = 0.9  # Fraction of a synth note's written length it is held.
TAIL_S = 1.0  # Seconds rendered after the last bar (release tails).
CONTROL_DEFAULT = 0.5  # A mouse control before it moves (drums.session's).


def statement_track(index: int) -> str:
  """The engine track name of statement ``index``."""
  return f's{index}'


def track_settings(statement) -> Dict:
  """``Engine.set_track`` keyword arguments for one statement."""
  settings = dict(instrument=statement.instrument,
                  effects=tuple((n, float(v)) for n, v in statement.effects))
  if isinstance(statement, language.SynthStatement):
    params, bindings = {}, {}
    for name in ('cut', 'res', 'env'):
      value = getattr(statement, name)
      if isinstance(value, str):
        bindings[name] = value
        params[name] = 100.0 * CONTROL_DEFAULT  # Until the control moves.
      else:
        params[name] = float(value)
    settings.update(params=params, bindings=bindings)
  return settings


def configure(engine, program: language.Program, previous: int = 0,
              frame=None) -> int:
  """Sets one track per statement (and removes the tracks of statements
  beyond the program's, up to ``previous``); returns the statement count."""
  for i, statement in enumerate(program.statements):
    engine.set_track(statement_track(i), frame=frame,
                     **track_settings(statement))
  for i in range(len(program.statements), previous):
    engine.remove_track(statement_track(i), frame=frame)
  return len(program.statements)


def bar_frames(engine, bpm: float) -> float:
  """Samples per bar (4 beats) at ``bpm``."""
  return engine.sample_rate * 60.0 / float(bpm) * schedule.BEATS_PER_BAR


def schedule_record(engine, record, bar_start: float,
                    frames_per_bar: float) -> None:
  """Triggers a TickRecord's hits and notes at their frames.

  Args:
    engine: the engine (tracks configured by :func:`configure`).
    record: drums.session.TickRecord.
    bar_start: frame of the record's bar start.
    frames_per_bar: samples per bar.
  """
  for hit in record.hits:
    if hit.statement < 0:
      continue
    frame = int(round(bar_start + float(hit.phase) * frames_per_bar))
    engine.trigger(statement_track(hit.statement), frame=frame)
  for note in record.notes:
    frame = int(round(bar_start + float(note.phase) * frames_per_bar))
    duration = max(1, int(float(note.duration) * frames_per_bar * SYNTH_GATE))
    engine.trigger(statement_track(note.statement), frame=frame,
                   pitch=note.pitch,
                   duration=duration)


def render_records(engine, program: language.Program, records: Sequence,
                   bpm: float, tail_s: float = TAIL_S,
                   block_size: int = 4096) -> np.ndarray:
  """Renders a drum session's records offline: float32 ``[frames, 2]``.

  The same program and records give bit-identical audio.
  """
  configure(engine, program, frame=0)
  per_bar = bar_frames(engine, bpm)
  last_bar = -1
  for record in records:
    schedule_record(engine, record, record.bar * per_bar, per_bar)
    last_bar = max(last_bar, record.bar)
  seconds = (last_bar + 1) * per_bar / engine.sample_rate + tail_s
  return outputs.render(engine, seconds, block_size)


def render_program(engine, program: language.Program, bars: int,
                   tail_s: float = TAIL_S) -> np.ndarray:
  """Renders ``bars`` bars of a program's written schedule (no agents:
  learn/predict statements play as written): float32 ``[frames, 2]``."""
  configure(engine, program, frame=0)
  per_bar = bar_frames(engine, program.bpm)
  program_schedule = schedule.ProgramSchedule(program)
  for bar in range(bars):
    start = bar * per_bar
    for hit in program_schedule.bar(bar).drum_hits:
      engine.trigger(statement_track(hit.statement),
                     frame=int(round(start + float(hit.phase) * per_bar)))
    for note in program_schedule.bar(bar).synth_notes:
      engine.trigger(
          statement_track(note.statement),
          frame=int(round(start + float(note.phase) * per_bar)),
          pitch=note.pitch,
          duration=max(1, int(float(note.duration) * per_bar * SYNTH_GATE)))
  return outputs.render(engine, bars * per_bar / engine.sample_rate + tail_s)


def tracks_of(program: language.Program) -> Tuple[str, ...]:
  return tuple(statement_track(i) for i in range(len(program.statements)))
