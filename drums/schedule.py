"""Schedules of drum and synth patterns: exact onsets per bar and the tick grid.

Semantics (../shared/SPEC.md section 2): ``X*s+o r1,...,rk`` runs a pattern
cycle ``s`` times per bar; each cycle is divided into k parts proportional to
the ratios, with an onset at the start of each part; ``+o`` shifts the whole
pattern later by the fraction ``o`` of one cycle (what is shifted past the end
of a cycle wraps into the next, as the pattern repeats). So onset ``j`` of
cycle ``c`` falls at ``(c + o + (r1 + ... + rj) / (r1 + ... + rk)) / s`` bars,
computed with ``fractions.Fraction`` so it is exact.

The beat agent hears 8 ticks per bar (a tick is an eighth note). A hit between
two ticks is LATCHED to the tick it falls in (``floor(phase * 8)``), never
dropped; two hits of one instrument within one tick become one hit there.

Synth notes cycle over the onsets in pattern order across bars: onset ``j`` of
cycle ``c`` plays ``notes[(c * k + j) % len(notes)]``.

No TensorFlow: the realtime adapter uses this on its hot path.
"""

import dataclasses
import fractions
import functools
import math
from typing import List, Sequence, Tuple

from drums import language

Fraction = fractions.Fraction

TICKS_PER_BAR = 8  # Eighth notes: 4 beats per bar, 2 ticks per beat.
BEATS_PER_BAR = 4
# General MIDI percussion key map (channel 10).
GM_DRUM_NOTES = {'kick': 36, 'snare': 38, 'closedhat': 42, 'openhat': 46}
DEFAULT_VELOCITY = 100  # MIDI velocity at amp 1 (100%).


@dataclasses.dataclass(frozen=True)
class Onset:
  """One onset of a pattern.

  Attributes:
    phase: position in its bar, a Fraction in [0, 1).
    index: running number ``c * k + j`` of the onset in the pattern (cycle c,
      part j of k); synth notes cycle by it.
    duration: length of its part in bars (until the pattern's next onset).
  """
  phase: Fraction
  index: int
  duration: Fraction


def onsets(speed: Fraction, offset: Fraction, ratios: Sequence[Fraction],
           bar: int = 0) -> Tuple[Onset, ...]:
  """The onsets of a pattern that fall in one bar, in time order.

  Args:
    speed: cycles per bar (> 0).
    offset: shift as a fraction of one cycle, in [0, 1).
    ratios: proportional part lengths (each > 0).
    bar: which bar (0-based); patterns whose cycle is not a whole divisor of
      a bar differ from bar to bar.

  Returns:
    Onsets with ``0 <= phase < 1``, sorted by phase.

  Raises:
    ValueError: if speed or a ratio is not positive, or offset not in [0, 1).
  """
  speed, offset = Fraction(speed), Fraction(offset)
  ratios = [Fraction(r) for r in ratios]
  if speed <= 0 or not ratios or min(ratios) <= 0 or not 0 <= offset < 1:
    raise ValueError(f'onsets: need speed > 0, ratios > 0, 0 <= offset < 1; '
                     f'got speed={speed}, offset={offset}, ratios={ratios}')
  total = sum(ratios)
  k = len(ratios)
  found = []
  start = Fraction(0)
  for j, ratio in enumerate(ratios):
    part = start / total  # Where part j starts within a cycle, in [0, 1).
    first = math.ceil(bar * speed - offset - part)
    last = math.ceil((bar + 1) * speed - offset - part) - 1
    for c in range(first, last + 1):
      time = (c + offset + part) / speed
      found.append(Onset(phase=time - bar, index=c * k + j,
                         duration=ratio / total / speed))
    start += ratio
  return tuple(sorted(found, key=lambda o: (o.phase, o.index)))


def tick_of(phase: Fraction, ticks_per_bar: int = TICKS_PER_BAR) -> int:
  """The tick a phase in [0, 1) latches to: ``floor(phase * ticks_per_bar)``."""
  return math.floor(Fraction(phase) * ticks_per_bar)


def latch(phases: Sequence[Fraction],
          ticks_per_bar: int = TICKS_PER_BAR) -> Tuple[int, ...]:
  """Hits per tick: 1 where at least one phase falls in that tick, else 0.

  Example: ``kick*2 3,3,2`` has phases 0, 3/16, 3/8, 1/2, 11/16, 7/8; times 8
  they are 0, 1.5, 3, 4, 5.5, 7, so ticks 0, 1, 3, 4, 5, 7 hit:
  ``(1, 1, 0, 1, 1, 1, 0, 1)``.
  """
  grid = [0] * ticks_per_bar
  for phase in phases:
    grid[tick_of(phase, ticks_per_bar)] = 1
  return tuple(grid)


def velocity_of(effects: Sequence[Tuple[str, float]]) -> int:
  """MIDI velocity 1-127 from the ``amp`` effects (1 = 100% = velocity 100)."""
  gain = 1.0
  for name, value in effects:
    if name == 'amp':
      gain *= value
  return int(max(1, min(127, round(DEFAULT_VELOCITY * gain))))


@dataclasses.dataclass(frozen=True)
class DrumHit:
  """A drum onset in a bar: written phase, the tick it latches to, loudness."""
  instrument: str
  role: str
  phase: Fraction
  tick: int
  velocity: int
  statement: int  # Index of the statement in Program.statements.


@dataclasses.dataclass(frozen=True)
class SynthNote:
  """A synth onset: pitch, duration in bars, filter settings and effects."""
  synth: str
  phase: Fraction
  tick: int
  pitch: int
  duration: Fraction
  velocity: int
  cut: language.SynthValue
  res: language.SynthValue
  env: language.SynthValue
  effects: Tuple[Tuple[str, float], ...]
  statement: int


@dataclasses.dataclass(frozen=True)
class BarSchedule:
  """Everything a program plays in one bar.

  Attributes:
    bar: 0-based bar number.
    drum_hits: DrumHit, sorted by phase.
    synth_notes: SynthNote, sorted by phase.
    ticks_per_bar: the grid the ``tick`` fields refer to.
  """
  bar: int
  drum_hits: Tuple[DrumHit, ...]
  synth_notes: Tuple[SynthNote, ...]
  ticks_per_bar: int = TICKS_PER_BAR

  def grid(self, instrument: str, roles: Sequence[str] = language.ROLES
           ) -> Tuple[int, ...]:
    """Latched hits ``[ticks_per_bar]`` (0/1) of an instrument in ``roles``."""
    grid = [0] * self.ticks_per_bar
    for hit in self.drum_hits:
      if hit.instrument == instrument and hit.role in roles:
        grid[hit.tick] = 1
    return tuple(grid)

  def source_grid(self) -> Tuple[int, ...]:
    """Latched hits of all ``source`` statements together (logical or)."""
    grid = [0] * self.ticks_per_bar
    for hit in self.drum_hits:
      if hit.role == 'source':
        grid[hit.tick] = 1
    return tuple(grid)

  def hits_at(self, tick: int) -> Tuple[DrumHit, ...]:
    return tuple(h for h in self.drum_hits if h.tick == tick)

  def notes_at(self, tick: int) -> Tuple[SynthNote, ...]:
    return tuple(n for n in self.synth_notes if n.tick == tick)


class ProgramSchedule:
  """Bar-by-bar schedule of a program (each bar computed once, then cached).

  Args:
    program: a parsed program.
    ticks_per_bar: the agent's grid (8).
  """

  def __init__(self, program: language.Program,
               ticks_per_bar: int = TICKS_PER_BAR):
    self.program = program
    self.ticks_per_bar = ticks_per_bar
    self._cached = functools.lru_cache(maxsize=64)(self._compute)

  def bar(self, bar: int) -> BarSchedule:
    """The schedule of bar ``bar`` (0-based)."""
    return self._cached(bar)

  def _compute(self, bar: int) -> BarSchedule:
    drum_hits: List[DrumHit] = []
    synth_notes: List[SynthNote] = []
    for i, statement in enumerate(self.program.statements):
      velocity = velocity_of(statement.effects)
      for onset in onsets(statement.speed, statement.offset, statement.ratios,
                          bar):
        tick = tick_of(onset.phase, self.ticks_per_bar)
        if isinstance(statement, language.DrumStatement):
          drum_hits.append(DrumHit(statement.instrument, statement.role,
                                   onset.phase, tick, velocity, i))
        else:
          notes = statement.notes
          synth_notes.append(SynthNote(
              statement.synth, onset.phase, tick,
              notes[onset.index % len(notes)], onset.duration, velocity,
              statement.cut, statement.res, statement.env, statement.effects,
              i))
    return BarSchedule(bar, tuple(sorted(drum_hits, key=lambda h: h.phase)),
                       tuple(sorted(synth_notes, key=lambda n: n.phase)),
                       self.ticks_per_bar)


def tick_seconds(bpm: float, ticks_per_bar: int = TICKS_PER_BAR) -> float:
  """Length of a tick in seconds: a bar is 4 beats (150 bpm -> 0.2 s)."""
  return 60.0 / bpm * BEATS_PER_BAR / ticks_per_bar
