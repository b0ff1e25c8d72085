"""Music-theory rewards r_MT for a batch of compositions, vectorised with numpy.

The fast path of ``rl_tuner.rewards.music_theory`` (the readable reference it
is tested against, to 1e-5, on random compositions at every beat). B
compositions are written in lockstep: ``compositions`` is ``int [B, t]`` (the
events already played, t = the beat of the new actions, 0..31) and ``actions``
is ``int [B]``. Events are actions of ``rl_tuner.encoding`` (0 NOTE_OFF,
1 NO_EVENT, 2..37 MIDI pitches 48..83).

There are no per-composition Python loops. The loops that remain run over
small fixed axes: the three autocorrelation lags, the 8 events of a motif and,
for the leap rule (a state machine over the composition), the beats so far
(at most 31 vectorised steps over B). Called in lockstep at beats 0, 1, ...,
the leap state of the previous beat is reused (``_LeapCache``, keyed by the
exact events so far), so a call advances the state by one beat; results never
depend on the cache.

Two entry points:

  * ``music_theory_reward(compositions, actions, key)`` -> ``float32 [B]``:
    r_MT of the new actions (what an environment calls at every beat);
  * ``music_theory_reward_per_step(compositions, key)`` -> ``float32 [B, T]``:
    r_MT of every event of whole compositions (what evaluation needs), plus
    ``analyze`` which returns the per-event rule outcomes that the evaluation
    statistics count.
"""

import collections
import threading
from typing import Optional

import numpy as np
from numpy.lib import stride_tricks

from rl_tuner import encoding
from rl_tuner.encoding import C_MAJOR
from rl_tuner.encoding import KeyConfig
from rl_tuner.rewards import music_theory as mt

_NOTE_OFF = encoding.NOTE_OFF
_NO_EVENT = encoding.NO_EVENT
_FIRST_PITCH = encoding.NUM_SPECIAL_EVENTS
_BAR = mt.MOTIF_BAR_LENGTH
_CODE_BASE = encoding.NUM_CLASSES  # Motif windows as base-38 int64 codes.

# Lookup table of preferred-interval rewards (x5) indexed by interval code:
# sizes 0..35 at their own index, the special codes -1..-6 at 36..41.
_NUM_SIZES = mt.MAX_INTERVAL + 1


NUM_INTERVAL_CODE_INDICES = _NUM_SIZES + len(mt.SPECIAL_INTERVALS)  # 42.


def interval_code_index(code):
  """Maps interval codes to 0..41: sizes to themselves, -1..-6 to 36..41."""
  return np.where(code >= 0, code, _NUM_SIZES - 1 - code)


_PREFERRED_LUT = np.array(
    [mt.preferred_interval_value(c) * mt.PREFERRED_INTERVALS_SCALER
     for c in list(range(_NUM_SIZES)) +
     [-1 - i for i in range(len(mt.SPECIAL_INTERVALS))]], dtype=np.float64)
assert all(_PREFERRED_LUT[interval_code_index(np.array(c))] ==
           mt.preferred_interval_value(c) * mt.PREFERRED_INTERVALS_SCALER
           for c in mt.SPECIAL_INTERVALS)


class _KeyTables:
  """Per-action lookup tables of one KeyConfig (cached)."""

  def __init__(self, key: KeyConfig):
    pcs = (np.arange(encoding.NUM_CLASSES) + encoding.PITCH_OFFSET) % 12
    pitch = np.arange(encoding.NUM_CLASSES) >= _FIRST_PITCH
    self.in_key = key.in_key_mask
    self.not_in_key_penalty = np.where(self.in_key, 0.0, -1.0)
    self.key_distribute = np.where(self.in_key, 1.0 / self.in_key.sum(), 0.0)
    tonic, fifth = mt.tonic_pitch_class(key), mt.dominant_pitch_class(key)
    third = mt.third_degree_pitch_class(key)
    self.tonic_or_fifth = pitch & ((pcs == tonic) | (pcs == fifth))
    self.tonic_or_third = pitch & ((pcs == tonic) | (pcs == third))
    self.tonic_action = key.tonic_action
    scale = mt.scale_actions(key)
    self.in_scale = np.zeros(encoding.NUM_CLASSES, bool)
    self.in_scale[scale] = True
    self.scale_pos = np.full(encoding.NUM_CLASSES, -10, np.int64)
    self.scale_pos[scale] = np.arange(len(scale))
    self.scale_last = len(scale) - 1


_TABLES = {}


def _tables(key: KeyConfig) -> _KeyTables:
  if key not in _TABLES:
    _TABLES[key] = _KeyTables(key)
  return _TABLES[key]


def _full(compositions, actions, composition_length: int) -> np.ndarray:
  """Validates and joins ``compositions [B, t]`` and ``actions [B]``.

  Returns:
    int64 ``[B, t + 1]``.

  Raises:
    ValueError: on bad shapes, values outside [0, 37], or t >=
      composition_length.
  """
  compositions = np.asarray(compositions)
  actions = np.asarray(actions)
  if actions.ndim != 1:
    raise ValueError(f'actions must be int [B], got shape {actions.shape}')
  if compositions.ndim != 2 or compositions.shape[0] != actions.shape[0]:
    raise ValueError(f'compositions must be int [B={actions.shape[0]}, t], got '
                     f'shape {compositions.shape}')
  if compositions.shape[1] >= composition_length:
    raise ValueError(f'compositions already have {compositions.shape[1]} '
                     f'events; composition_length is {composition_length}')
  x = np.empty((actions.shape[0], compositions.shape[1] + 1), np.int64)
  x[:, :-1] = compositions
  x[:, -1] = actions
  _check_range(x)
  return x


def _check_range(x: np.ndarray) -> None:
  if x.size and (x.min() < 0 or x.max() >= encoding.NUM_CLASSES):
    raise ValueError(f'events must be in [0, {encoding.NUM_CLASSES - 1}], got '
                     f'values in [{x.min()}, {x.max()}]')


# --- Per-event building blocks over whole compositions x [B, n] ---------------
# Column i of each result describes event x[:, i] given the events before it.


def _previous_pitch(x: np.ndarray):
  """Index of, and value of, the last pitch before each event.

  Returns:
    (index int64 [B, n] (-1 if none), value int64 [B, n] (undefined if none)).
  """
  n = x.shape[1]
  is_pitch = x >= _FIRST_PITCH
  last_incl = np.maximum.accumulate(
      np.where(is_pitch, np.arange(n), -1), axis=1)
  before = np.empty_like(last_incl)
  before[:, 0] = -1
  before[:, 1:] = last_incl[:, :-1]
  value = np.take_along_axis(x, np.maximum(before, 0), axis=1)
  return before, value


def interval_codes(x: np.ndarray, key: KeyConfig = C_MAJOR, prev=None):
  """``music_theory.detect_sequential_interval`` of each event, int64 [B, n]."""
  tables = _tables(key)
  prev_index, prev_value = _previous_pitch(x) if prev is None else prev
  tonic_or_fifth = tables.tonic_or_fifth[prev_value]
  size = np.abs(x - prev_value)
  code = np.where(
      x == _NO_EVENT,
      np.where(tonic_or_fifth, mt.HOLD_INTERVAL_AFTER_TONIC_OR_FIFTH,
               mt.HOLD_INTERVAL),
      np.where(
          x == _NOTE_OFF,
          np.where(tonic_or_fifth, mt.REST_INTERVAL_AFTER_TONIC_OR_FIFTH,
                   mt.REST_INTERVAL),
          np.where((size == mt.FIFTH) & tonic_or_fifth, mt.IN_KEY_FIFTH,
                   np.where((size == mt.THIRD) &
                            tables.tonic_or_third[prev_value],
                            mt.IN_KEY_THIRD, size))))
  return np.where(prev_index >= 0, code, 0)


def repetition_flags(x: np.ndarray, prev=None) -> np.ndarray:
  """``music_theory.detect_repeating_notes`` of every event: bool [B, n].

  Uses prefix counts instead of walking back: for a pitch, the run it repeats
  starts after the last earlier pitch of a different value; for a special
  event, after the last pitch.
  """
  n = x.shape[1]
  is_pitch = x >= _FIRST_PITCH
  prev_index, prev_value = _previous_pitch(x) if prev is None else prev
  pos = np.arange(n)
  # Pitches: a new group starts where the pitch differs from the last pitch.
  group_start = is_pitch & ((prev_index < 0) | (prev_value != x))
  # Index of the last pitch of another value before the event's group.
  other = np.maximum.accumulate(np.where(group_start, prev_index, -1), axis=1)
  run_start = np.where(is_pitch, other, prev_index) + 1
  pitches_before = np.cumsum(is_pitch, axis=1) - is_pitch
  offs_before = np.cumsum(x == _NOTE_OFF, axis=1) - (x == _NOTE_OFF)
  holds_before = np.cumsum(x == _NO_EVENT, axis=1) - (x == _NO_EVENT)

  def in_run(counts):
    return counts - np.take_along_axis(counts, run_start, axis=1)

  num_pitches = in_run(pitches_before)
  num_offs = in_run(offs_before)
  num_holds = in_run(holds_before)
  pitch_between = (pos - run_start) > num_pitches
  pitch_excess = ~group_start & np.where(pitch_between, num_pitches > 6,
                                         num_pitches > 4)
  hold_excess = np.where(num_offs > 0, num_holds > 6, num_holds > 4)
  return np.where(is_pitch, pitch_excess,
                  np.where(x == _NOTE_OFF, num_offs > 1, hold_excess))


class _LeapState:
  """The leap state machine of B compositions (``music_theory.leap_outcomes``).

  Attributes:
    direction: int64 [B], +1/-1 while a leap is open, else 0.
    signed_from: int64 [B], direction * (the pitch leapt from).
    last_leap: int64 [B], the beat of the last leap (of any kind).
  """

  __slots__ = ('direction', 'signed_from', 'last_leap')

  def __init__(self, b: int):
    self.direction = np.zeros(b, np.int64)
    self.signed_from = np.zeros(b, np.int64)
    self.last_leap = np.zeros(b, np.int64)

  def copy(self) -> '_LeapState':
    new = _LeapState(0)
    new.direction = self.direction.copy()
    new.signed_from = self.signed_from.copy()
    new.last_leap = self.last_leap.copy()
    return new

  def advance(self, t: int, is_leap, is_note, sign, a, prev_pitch,
              leap_now: bool) -> np.ndarray:
    """Feeds the events of beat t; returns their outcomes, int8 [B].

    Args:
      t: the beat.
      is_leap: bool [B], a pitch >= 7 semitones from the previous pitch.
      is_note: bool [B], any other pitch.
      sign: int64 [B], the sign of the step from the previous pitch.
      a: int64 [B], the events.
      prev_pitch: int64 [B], the previous pitch (where is_leap).
      leap_now: is_leap.any().
    """
    direction = self.direction
    # A non-leap pitch back to or past the origin: d * (a - from) <= 0.
    resolved = is_note & (direction != 0) & (direction * a <= self.signed_from)
    if not leap_now:
      direction[resolved] = 0
      self.signed_from[resolved] = 0
      return resolved.view(np.int8)
    doubled = is_leap & (direction == sign)
    other = is_leap ^ doubled  # Starts (d = 0) or opposite leaps.
    start = other & (direction == 0)
    opposite = other ^ start
    resolved |= opposite & (self.last_leap < t - 1 - mt.STEPS_BETWEEN_LEAPS)
    self.direction = np.where(start, sign,
                              np.where(resolved | opposite, 0, direction))
    self.signed_from = np.where(start, sign * prev_pitch,
                                np.where(self.direction == 0, 0,
                                         self.signed_from))
    self.last_leap[is_leap] = t
    return resolved.view(np.int8) - doubled.view(np.int8)


def _leap_inputs(x, prev_index, prev_value):
  is_pitch = x >= _FIRST_PITCH
  step = np.where(is_pitch & (prev_index >= 0), x - prev_value, 0)
  is_leap = np.abs(step) >= mt.FIFTH
  return is_leap, is_pitch & ~is_leap, np.sign(step)


def _leap_scan(x: np.ndarray, prev=None):
  """Runs the leap state machine over x [B, n].

  Returns:
    (outcomes int8 [B, n], the final _LeapState).
  """
  b, n = x.shape
  prev_index, prev_value = _previous_pitch(x) if prev is None else prev
  is_leap, is_note, sign = _leap_inputs(x, prev_index, prev_value)
  # Time-major copies so that each beat is one contiguous row.
  leap_t, note_t, sign_t, x_t, prev_t = (
      np.ascontiguousarray(v.T)
      for v in (is_leap, is_note, sign, x, prev_value))
  leap_any = is_leap.any(axis=0)
  out = np.zeros((n, b), np.int8)
  state = _LeapState(b)
  open_leaps = False
  for t in range(1, n):
    if leap_any[t] or open_leaps:
      out[t] = state.advance(t, leap_t[t], note_t[t], sign_t[t], x_t[t],
                             prev_t[t], bool(leap_any[t]))
      open_leaps = bool(state.direction.any())
  return out.T, state


def leap_outcomes(x: np.ndarray, prev=None) -> np.ndarray:
  """``music_theory.leap_outcomes`` of every event: int8 [B, n] (+1/-1/0).

  The state machine runs over the beats (at most 31 vectorised steps over B).
  """
  return _leap_scan(x, prev)[0]


class _LeapCache:
  """Leap states of recent batches, so that lockstep calls cost one step.

  An environment calls ``music_theory_reward`` at beats 0, 1, ..., 31 of the
  same B compositions; the leap state after beat t is kept under the exact
  bytes of the events so far and reused at beat t + 1 when the events match.
  Results never depend on the cache; it only skips replaying the beats.
  """

  _MAX_ENTRIES = 4
  _MAX_BYTES = 4 << 20

  def __init__(self):
    self._entries = collections.OrderedDict()
    self._lock = threading.Lock()

  def get(self, x: np.ndarray) -> Optional[_LeapState]:
    if x.nbytes > self._MAX_BYTES:
      return None
    key = (x.shape, np.ascontiguousarray(x).tobytes())
    with self._lock:
      state = self._entries.get(key)
    return None if state is None else state.copy()

  def put(self, x: np.ndarray, state: _LeapState) -> None:
    if x.nbytes > self._MAX_BYTES:
      return
    key = (x.shape, np.ascontiguousarray(x).tobytes())
    with self._lock:
      self._entries[key] = state
      while len(self._entries) > self._MAX_ENTRIES:
        self._entries.popitem(last=False)


_LEAP_CACHE = _LeapCache()


def _last_leap_outcome(x: np.ndarray, has_prev: np.ndarray,
                       prev_value: np.ndarray) -> np.ndarray:
  """``leap_outcomes(x)[:, -1]``, int8 [B], using the lockstep cache."""
  b, n = x.shape
  before = x[:, :-1]
  state = _LeapState(b) if n == 1 else _LEAP_CACHE.get(before)
  if state is None:
    state = _leap_scan(before)[1]
  a = x[:, -1]
  is_leap, is_note, sign = _leap_inputs(a, np.where(has_prev, 0, -1),
                                        prev_value)
  outcome = state.advance(n - 1, is_leap, is_note, sign, a, prev_value,
                          bool(is_leap.any()))
  _LEAP_CACHE.put(x, state)
  return outcome


def motif_distinct_pitches(x: np.ndarray, last_only: bool = False):
  """Distinct pitches in each 8-event window: int64 [B, W].

  Windows end at events 7..n-1 (W = n - 7), or only at n - 1 if ``last_only``
  (W = 1). Returns shape [B, 0] if n < 8.
  """
  b, n = x.shape
  if n < _BAR:
    return np.zeros((b, 0), np.int64)
  windows = _windows(x, last_only)
  s = np.sort(windows, axis=-1)
  new = np.empty(s.shape, bool)
  new[..., 0] = True
  new[..., 1:] = s[..., 1:] != s[..., :-1]
  return (new & (s >= _FIRST_PITCH)).sum(-1)


def _windows(x: np.ndarray, last_only: bool) -> np.ndarray:
  if last_only:
    return x[:, None, -_BAR:]
  return stride_tricks.sliding_window_view(x, _BAR, axis=1)


def repeated_motif_flags(x: np.ndarray, distinct: np.ndarray) -> np.ndarray:
  """Whether each window is a motif that appears verbatim earlier: bool [B, W].

  Windows are coded as base-38 int64 numbers and compared pairwise; earlier
  occurrences must end before the window starts (window index at most w - 8).
  ``distinct`` is ``motif_distinct_pitches(x)``.
  """
  n = x.shape[1]
  num_windows = n - _BAR + 1
  if num_windows <= _BAR:  # Needs n >= 16 for an earlier, disjoint window.
    return np.zeros(distinct.shape, bool)
  powers = _CODE_BASE ** np.arange(_BAR, dtype=np.int64)
  codes = (stride_tricks.sliding_window_view(x, _BAR, axis=1) * powers).sum(-1)
  same = codes[:, None, :] == codes[:, :, None]  # [B, w, w'].
  allowed = np.tri(num_windows, num_windows, -_BAR, dtype=bool)
  found = (same & allowed).any(axis=2)
  return found & (distinct >= mt.MIN_MOTIF_NOTES)


def _repeated_motif_last(x: np.ndarray, distinct: np.ndarray) -> np.ndarray:
  """``repeated_motif_flags(x, distinct)[:, -1]`` for the last event: bool [B].

  Compares the last 8 events with every earlier disjoint window, one window
  position at a time.
  """
  n = x.shape[1]
  num_earlier = n - 2 * _BAR + 1  # Windows that end before the motif starts.
  if num_earlier <= 0:
    return np.zeros(x.shape[0], bool)
  motif = x[:, n - _BAR:]
  same = x[:, :num_earlier] == motif[:, :1]
  for j in range(1, _BAR):
    same &= x[:, j:j + num_earlier] == motif[:, j:j + 1]
  return same.any(axis=1) & (distinct >= mt.MIN_MOTIF_NOTES)


def autocorrelation_fractions(x: np.ndarray, lag: int, lengths=None):
  """Exact autocorrelation coefficients of prefixes, as integer (num, den).

  Args:
    x: int [B, n].
    lag: the lag in steps.
    lengths: prefix lengths m (1..n), int [M]; default all of 1..n.

  Returns:
    (num, den), int64 [B, M] each, as ``music_theory.autocorrelation_fraction``
    of ``x[:, :m]``.
  """
  b, n = x.shape
  m = np.arange(1, n + 1) if lengths is None else np.asarray(lengths)
  zero = np.zeros((b, 1), np.int64)
  s = np.concatenate([zero, np.cumsum(x, axis=1)], axis=1)
  q = np.concatenate([zero, np.cumsum(x * x, axis=1)], axis=1)
  total = s[:, m]
  den = m * m * q[:, m] - m * total * total
  if lag >= n:
    return np.zeros_like(den), den
  products = np.concatenate(
      [zero, np.cumsum(x[:, :-lag] * x[:, lag:], axis=1)], axis=1)
  valid = m > lag
  mv = np.where(valid, m, lag + 1)  # Safe indices where m <= lag.
  lagged = products[:, mv - lag]
  ends = s[:, mv] - s[:, lag:lag + 1] + s[:, mv - lag]
  num = m * m * lagged - m * total * ends + (m - lag) * total * total
  return np.where(valid, num, 0), den


def autocorrelation_penalty(x: np.ndarray, lengths=None,
                            penalty_weight: float = 3.0) -> np.ndarray:
  """``reward_penalize_autocorrelation`` of prefixes: float64 [B, M] (<= 0)."""
  threshold = mt.AUTOCORRELATION_THRESHOLD
  penalty = 0.0
  for lag in mt.AUTOCORRELATION_LAGS:
    num, den = autocorrelation_fractions(x, lag, lengths)
    over = (den > 0) & (threshold.denominator * np.abs(num) >
                        threshold.numerator * den)
    coef = np.abs(num / np.where(den > 0, den, 1))
    penalty = penalty + np.where(over, coef * penalty_weight, 0.0)
  return -penalty


def _autocorrelation_penalty_last(x: np.ndarray,
                                  penalty_weight: float = 3.0) -> np.ndarray:
  """``autocorrelation_penalty(x, [n])[:, 0]`` for x [B, n], lags at once."""
  n = x.shape[1]
  lags = np.array(mt.AUTOCORRELATION_LAGS)
  if n <= lags.max():
    return autocorrelation_penalty(x, [n], penalty_weight)[:, 0]
  total = x.sum(axis=1, keepdims=True)
  den = n * n * np.einsum('bi,bi->b', x, x)[:, None] - n * total * total
  lagged = np.stack([np.einsum('bi,bi->b', x[:, :-lag], x[:, lag:])
                     for lag in lags], axis=1)
  k = lags.max()
  heads = np.cumsum(x[:, :k], axis=1)[:, lags - 1]
  tails = np.cumsum(x[:, :-k - 1:-1], axis=1)[:, lags - 1]
  ends = 2 * total - heads - tails
  num = n * n * lagged - n * total * ends + (n - lags) * total * total
  threshold = mt.AUTOCORRELATION_THRESHOLD
  over = (den > 0) & (threshold.denominator * np.abs(num) >
                      threshold.numerator * den)
  terms = np.where(over, np.abs(num / np.where(den > 0, den, 1)) *
                   penalty_weight, 0.0)
  return -(terms[:, 0] + terms[:, 1] + terms[:, 2])


def _repetition_last(x: np.ndarray) -> np.ndarray:
  """``repetition_flags(x)[:, -1]`` by walking back: bool [B]."""
  a = x[:, -1:]
  before = x[:, -2::-1]  # The earlier events, latest first.
  special = before < _FIRST_PITCH
  stop = ~special & ((before != a) | (a < _FIRST_PITCH))
  run = np.logical_and.accumulate(~stop, axis=1)
  num = (run & (before == a)).sum(axis=1)
  between = (run & special & (before != a)).any(axis=1)
  a = a[:, 0]
  return np.where(a == _NOTE_OFF, num > 1,
                  np.where(between, num > 6, num > 4))


def _unique_extremes(x: np.ndarray):
  """(highest pitch unique, lowest pitch unique), bool [B] each."""
  is_pitch = x >= _FIRST_PITCH
  high = np.where(is_pitch, x, -1).max(axis=1)
  low = np.where(is_pitch, x, encoding.NUM_CLASSES).min(axis=1)
  high_unique = (high >= _FIRST_PITCH) & ((x == high[:, None]).sum(1) == 1)
  low_unique = (high >= _FIRST_PITCH) & ((x == low[:, None]).sum(1) == 1)
  return high_unique, low_unique


TONIC_REWARD = 3.0  # reward_tonic's reward (public code).


def _tonic_reward(x: np.ndarray, beats: np.ndarray, key: KeyConfig,
                  composition_length: int,
                  tonic_start_reward: float = TONIC_REWARD) -> np.ndarray:
  """``reward_tonic`` of events x [B, M] at ``beats`` [M]: float64 [B, M].

  The tonic at beat 0 earns ``tonic_start_reward`` (paper: 3); the tonic at
  the start of the last bar and the holds/rests after it earn 3.
  """
  last_bar = composition_length - 4
  tonic = x == key.tonic_action
  hold = x == _NO_EVENT
  ok = np.where(
      (beats == 0) | (beats == last_bar), tonic,
      np.where(beats == last_bar + 1, hold,
               np.where(beats > last_bar + 1, hold | (x == _NOTE_OFF), False)))
  value = np.where(beats == 0, tonic_start_reward, TONIC_REWARD)
  return np.where(ok, value, 0.0)


def _motif_reward(distinct: np.ndarray) -> np.ndarray:
  return np.where(distinct >= mt.MIN_MOTIF_NOTES,
                  3.0 + np.maximum((distinct - mt.MIN_MOTIF_NOTES) * 0.3, 0),
                  0.0)


def _repeated_motif_reward(repeated: np.ndarray,
                           distinct: np.ndarray) -> np.ndarray:
  return np.where(repeated,
                  4.0 + np.maximum(distinct - mt.MIN_MOTIF_NOTES, 0), 0.0)


_LEAP_REWARD = np.array([-5.0, 0.0, 5.0])  # Indexed by outcome + 1.


# --- Per-beat rewards (the reward modes' signature) ---------------------------


def music_theory_reward(compositions, actions, key: KeyConfig = C_MAJOR,
                        composition_length: int = mt.COMPOSITION_LENGTH,
                        tonic_start_reward: float = TONIC_REWARD
                        ) -> np.ndarray:
  """r_MT of the paper for one beat of B compositions ('music_theory_all').

  Args:
    compositions: int [B, t], the events so far (t = the beat, 0..L-1).
    actions: int [B], the new events.
    key: the KeyConfig judged against.
    composition_length: L, steps per composition (32).
    tonic_start_reward: reward for the tonic as the first event (paper: 3).

  Returns:
    float32 [B]: ``music_theory.music_theory_reward_reference`` of each.

  Raises:
    ValueError: on bad shapes, events outside [0, 37] or t >= L.
  """
  x = _full(compositions, actions, composition_length)
  t = x.shape[1] - 1
  a = x[:, -1]
  tables = _tables(key)
  reward = tables.not_in_key_penalty[a]
  reward = reward + _tonic_reward(a[:, None], np.array([t]), key,
                                  composition_length,
                                  tonic_start_reward)[:, 0]
  reward = reward + np.where(_repetition_last(x),
                             mt.EXCESSIVE_REPETITION_PENALTY, 0.0)
  reward = reward + _autocorrelation_penalty_last(x)
  if t >= _BAR - 1:
    distinct = motif_distinct_pitches(x, last_only=True)[:, 0]
    reward = reward + _motif_reward(distinct)
    reward = reward + _repeated_motif_reward(
        _repeated_motif_last(x, distinct), distinct)
  # The last pitch before the new events.
  before_index = np.where(x[:, :-1] >= _FIRST_PITCH, np.arange(t), -1).max(
      axis=1, initial=-1)
  has_prev = before_index >= 0
  prev_value = x[np.arange(x.shape[0]), np.maximum(before_index, 0)]
  codes = interval_codes(x[:, -1:], key, (before_index[:, None],
                                          prev_value[:, None]))
  reward = reward + _PREFERRED_LUT[interval_code_index(codes[:, 0])]
  reward = reward + _LEAP_REWARD[_last_leap_outcome(x, has_prev, prev_value)
                                 + 1]
  if t == composition_length - 1:
    high_unique, low_unique = _unique_extremes(x)
    reward = reward + (3.0 * high_unique + 3.0 * low_unique)
  return reward.astype(np.float32)


Analysis = collections.namedtuple('Analysis', [
    'not_in_key', 'excessive_repetition', 'motif_distinct', 'in_motif',
    'in_repeated_motif', 'interval_codes', 'leap_outcomes', 'high_unique',
    'low_unique'])
Analysis.__doc__ = """Per-event rule outcomes of whole compositions x [B, T].

Attributes:
  not_in_key: bool [B, T].
  excessive_repetition: bool [B, T] (``detect_repeating_notes``).
  motif_distinct: int64 [B, T], distinct pitches of the 8 events ending here
    (0 before event 7).
  in_motif: bool [B, T], those 8 events are a motif (>= 3 distinct pitches).
  in_repeated_motif: bool [B, T], and it appears verbatim earlier.
  interval_codes: int64 [B, T] (``detect_sequential_interval``).
  leap_outcomes: int8 [B, T] (+1 resolved, -1 doubled, 0).
  high_unique, low_unique: bool [B] over the whole composition.
"""


def analyze(compositions, key: KeyConfig = C_MAJOR) -> Analysis:
  """Per-event rule outcomes of whole compositions ``int [B, T]``.

  Raises:
    ValueError: if ``compositions`` is not 2-D or has events outside [0, 37].
  """
  x = np.asarray(compositions).astype(np.int64, copy=False)
  if x.ndim != 2:
    raise ValueError(f'compositions must be int [B, T], got shape {x.shape}')
  _check_range(x)
  b, n = x.shape
  prev = _previous_pitch(x)
  distinct = np.zeros((b, n), np.int64)
  repeated = np.zeros((b, n), bool)
  if n >= _BAR:
    d = motif_distinct_pitches(x)
    distinct[:, _BAR - 1:] = d
    repeated[:, _BAR - 1:] = repeated_motif_flags(x, d)
  high_unique, low_unique = _unique_extremes(x)
  return Analysis(
      not_in_key=~_tables(key).in_key[x],
      excessive_repetition=repetition_flags(x, prev),
      motif_distinct=distinct,
      in_motif=distinct >= mt.MIN_MOTIF_NOTES,
      in_repeated_motif=repeated,
      interval_codes=interval_codes(x, key, prev),
      leap_outcomes=leap_outcomes(x, prev),
      high_unique=high_unique,
      low_unique=low_unique)


def music_theory_reward_per_step(
    compositions, key: KeyConfig = C_MAJOR,
    composition_length: Optional[int] = None,
    analysis: Optional[Analysis] = None,
    tonic_start_reward: float = TONIC_REWARD) -> np.ndarray:
  """r_MT of every event of whole compositions.

  Args:
    compositions: int [B, T].
    key: the KeyConfig.
    composition_length: L (default T); T <= L. The unique-extremes reward is
      paid at beat L - 1 only.
    analysis: ``analyze(compositions, key)`` if already computed.
    tonic_start_reward: reward for the tonic as the first event (paper: 3).

  Returns:
    float32 [B, T]: column t equals
    ``music_theory_reward(compositions[:, :t], compositions[:, t], key, L)``.

  Raises:
    ValueError: on bad shapes or values, or T > L.
  """
  x = np.asarray(compositions).astype(np.int64, copy=False)
  n = x.shape[-1] if x.ndim == 2 else 0
  length = n if composition_length is None else composition_length
  if n > length:
    raise ValueError(f'compositions have {n} events; composition_length is '
                     f'{length}')
  an = analyze(x, key) if analysis is None else analysis
  beats = np.arange(n)
  reward = np.where(an.not_in_key, -1.0, 0.0)
  reward = reward + _tonic_reward(x, beats, key, length, tonic_start_reward)
  reward = reward + np.where(an.excessive_repetition,
                             mt.EXCESSIVE_REPETITION_PENALTY, 0.0)
  reward = reward + autocorrelation_penalty(x)
  reward = reward + _motif_reward(an.motif_distinct)
  reward = reward + _repeated_motif_reward(an.in_repeated_motif,
                                           an.motif_distinct)
  reward = reward + np.where(beats > 0, _PREFERRED_LUT[interval_code_index(
      an.interval_codes)], 0.0)
  reward = reward + _LEAP_REWARD[an.leap_outcomes + 1]
  if n == length:
    reward[:, -1] += 3.0 * an.high_unique + 3.0 * an.low_unique
  return reward.astype(np.float32)


# --- The simpler reward modes -------------------------------------------------


def key_distribute_prob_reward(compositions, actions, key: KeyConfig = C_MAJOR,
                               composition_length: int = mt.COMPOSITION_LENGTH
                               ) -> np.ndarray:
  """The 'key' mode (``reward_key_distribute_prob``). float32 [B]."""
  x = _full(compositions, actions, composition_length)
  return _tables(key).key_distribute[x[:, -1]].astype(np.float32)


def penalize_repeating_reward(compositions, actions, key: KeyConfig = C_MAJOR,
                              composition_length: int = mt.COMPOSITION_LENGTH
                              ) -> np.ndarray:
  """``reward_penalize_repeating``: -100 or 0. float32 [B]."""
  del key
  x = _full(compositions, actions, composition_length)
  return np.where(repetition_flags(x)[:, -1], mt.EXCESSIVE_REPETITION_PENALTY,
                  0.0).astype(np.float32)


def non_repeating_reward(compositions, actions, key: KeyConfig = C_MAJOR,
                         composition_length: int = mt.COMPOSITION_LENGTH
                         ) -> np.ndarray:
  """``reward_non_repeating``: +0.1, or -100 for an excessive repetition."""
  penalty = penalize_repeating_reward(compositions, actions, key,
                                      composition_length)
  return np.where(penalty < 0, penalty, np.float32(0.1)).astype(np.float32)


def preferred_intervals_reward(compositions, actions, key: KeyConfig = C_MAJOR,
                               composition_length: int = mt.COMPOSITION_LENGTH
                               ) -> np.ndarray:
  """``reward_preferred_intervals``. float32 [B]."""
  x = _full(compositions, actions, composition_length)
  codes = interval_codes(x, key)[:, -1]
  return _PREFERRED_LUT[interval_code_index(codes)].astype(np.float32)


def scale_reward(compositions, actions, key: KeyConfig = C_MAJOR,
                 composition_length: int = mt.COMPOSITION_LENGTH
                 ) -> np.ndarray:
  """The 'scale' mode (``reward_scale``). float32 [B]."""
  x = _full(compositions, actions, composition_length)
  tables = _tables(key)
  a = x[:, -1]
  reward = np.zeros(a.shape) + np.where(a == _NO_EVENT, 0.1, 0.0)
  if x.shape[1] > 1:
    prev = x[:, -2]
    reward = reward + np.where((prev < a) & (a < prev + 3), 0.05, 0.0)
  reward = reward + np.where(tables.in_scale[a], 0.01, 0.0)
  if x.shape[1] > 1:
    pos_a, pos_p = tables.scale_pos[a], tables.scale_pos[prev]
    next_note = tables.in_scale[a] & tables.in_scale[prev] & (
        (pos_a == pos_p + 1) | ((pos_p == tables.scale_last) & (pos_a == 0)))
    reward = reward + np.where(next_note, 0.8, 0.0)
  return reward.astype(np.float32)


def key_tonic_repeating_reward(compositions, actions, key: KeyConfig = C_MAJOR,
                               composition_length: int = mt.COMPOSITION_LENGTH,
                               tonic_start_reward: float = TONIC_REWARD
                               ) -> np.ndarray:
  """key + tonic + excessive repetition ('music_theory_basic'). float32 [B]."""
  x = _full(compositions, actions, composition_length)
  t = x.shape[1] - 1
  reward = _tables(key).not_in_key_penalty[x[:, -1]]
  reward = reward + _tonic_reward(x[:, -1:], np.array([t]), key,
                                  composition_length,
                                  tonic_start_reward)[:, 0]
  reward = reward + np.where(repetition_flags(x)[:, -1],
                             mt.EXCESSIVE_REPETITION_PENALTY, 0.0)
  return reward.astype(np.float32)


def key_tonic_repeating_variety_reward(
    compositions, actions, key: KeyConfig = C_MAJOR,
    composition_length: int = mt.COMPOSITION_LENGTH,
    tonic_start_reward: float = TONIC_REWARD) -> np.ndarray:
  """'music_theory_basic' + autocorrelation penalty. float32 [B]."""
  x = _full(compositions, actions, composition_length)
  basic = key_tonic_repeating_reward(
      x[:, :-1], x[:, -1], key, composition_length,
      tonic_start_reward).astype(np.float64)
  return (basic + autocorrelation_penalty(x, [x.shape[1]])[:, 0]).astype(
      np.float32)


def key_and_tonic_reward(compositions, actions, key: KeyConfig = C_MAJOR,
                         composition_length: int = mt.COMPOSITION_LENGTH,
                         tonic_start_reward: float = TONIC_REWARD
                         ) -> np.ndarray:
  """``reward_key`` + ``reward_tonic`` ('key_and_tonic'). float32 [B]."""
  x = _full(compositions, actions, composition_length)
  t = x.shape[1] - 1
  reward = _tables(key).not_in_key_penalty[x[:, -1]] + _tonic_reward(
      x[:, -1:], np.array([t]), key, composition_length,
      tonic_start_reward)[:, 0]
  return reward.astype(np.float32)
