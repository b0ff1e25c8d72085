"""Evaluation statistics of complete compositions: the paper's Table 1.

``StatisticsAccumulator`` counts, vectorised over batches of compositions
(``int [N, 32]``, events of ``rl_tuner.encoding``), how well they follow the
music-theory rules of ``rl_tuner.rewards.music_theory``;
``statistics_reference`` is the same per composition in plain Python (the test
oracle).
``PAPER_TABLE_1`` holds the paper's numbers under the same metric names.

Definitions (following the public rl_tuner_eval_metrics.py, with the
deviations marked *):

  Denominators. An "event" is any of the 32 steps of a composition: a pitch,
  a NOTE_OFF (rest) or a NO_EVENT (hold). The public code calls them "notes"
  and so does this module: ``num_notes`` = 32 x ``num_compositions``, and every
  "*_notes_*_pct" metric divides by it.

  notes_excessively_repeated_pct  100 x events with
      ``detect_repeating_notes`` (the -100 rule) / num_notes.
  notes_not_in_key_pct            100 x events not in key (rests and holds are
      in key) / num_notes.
  notes_in_motif_pct              100 x events that complete a motif (the 8
      events ending there hold >= 3 distinct pitches; none before step 7) /
      num_notes.
  notes_in_repeated_motif_pct     100 x events that complete a motif which
      appears verbatim earlier (disjoint) / num_notes.
  starting_with_tonic_pct         100 x compositions whose first event is the
      key's tonic / num_compositions.
  unique_max_note_pct, unique_min_note_pct  100 x compositions whose highest
      (lowest) pitch occurs exactly once / num_compositions. * Pitches only:
      the public code takes the maximum over all events, which differs only
      for compositions without a pitch (here: not unique).
  leaps_resolved_pct              100 x resolved / (resolved + doubled) over
      all leap outcomes of ``music_theory.leap_outcomes`` (NaN if none), as the
      public code: a leap neither resolved nor doubled by the end of its
      composition counts in neither.
  autocorrelation_lag{1,2,3}      mean over compositions of the lag-k
      autocorrelation coefficient of the 32 action numbers (0..37); constant
      compositions (undefined coefficient) are left out (public: nanmean).
  interval counts, per composition (mean number per composition), of the
      interval from the last pitch (rests and holds skipped) to each event:
      octave_jumps (more than 12 semitones, the public definition),
      octaves (exactly 12), sevenths (11), sixths (9), fifths (7, *in-key
      fifths included*), fourths (5), thirds (4, *in-key thirds included*:
      the public code never counts them anywhere), seconds (2),
      in_key_fifths / in_key_thirds (7 from the tonic or dominant, 4 from the
      tonic or third degree), in_key_preferred_intervals (their sum), rests
      (NOTE_OFF after a pitch), special_rests (NOTE_OFF after the tonic or
      dominant, included in rests; public: counted apart), holds (* NO_EVENT
      after a pitch; not in the public code).
  resolved_leaps, double_leaps    leap outcomes per composition.
  mean_music_theory_reward        mean r_MT per event ('music_theory_all', the
      batched reward at every step): sum / num_notes;
  mean_music_theory_reward_per_composition  sum / num_compositions.
  num_compositions, num_notes     counts.
"""

import math
from typing import Dict, Sequence

import numpy as np

from rl_tuner import encoding
from rl_tuner.encoding import C_MAJOR
from rl_tuner.encoding import KeyConfig
from rl_tuner.rewards import batched
from rl_tuner.rewards import music_theory as mt

# Table 1 of Jaques et al. (ICLR 2017 workshop): 100,000 sampled compositions
# per model (SPEC.md section 1). Percentages in percent.
_PAPER_ROWS = {
    #                               Note RNN, Q,    Psi,  G
    'notes_excessively_repeated_pct': (63.3, 0.0, 0.02, 0.03),
    'autocorrelation_lag1': (-0.16, -0.11, -0.10, 0.55),
    'autocorrelation_lag2': (0.14, 0.03, -0.01, 0.31),
    'autocorrelation_lag3': (-0.13, 0.03, 0.01, 0.17),
    'notes_not_in_key_pct': (0.1, 1.00, 0.60, 28.7),
    'starting_with_tonic_pct': (0.9, 28.8, 28.7, 0.0),
    'leaps_resolved_pct': (77.2, 91.1, 90.0, 52.2),
    'unique_max_note_pct': (64.7, 56.4, 59.4, 37.1),
    'unique_min_note_pct': (49.4, 51.9, 58.3, 56.5),
    'notes_in_motif_pct': (5.9, 75.7, 73.8, 69.3),
    'notes_in_repeated_motif_pct': (0.007, 0.11, 0.09, 0.01),
}
PAPER_TABLE_1: Dict[str, Dict[str, float]] = {
    model: {metric: row[i] for metric, row in _PAPER_ROWS.items()}
    for i, model in enumerate(('note_rnn', 'q', 'psi', 'g'))
}

# Interval counts: name -> codes of music_theory.detect_sequential_interval.
INTERVAL_CODES: Dict[str, tuple] = {
    'octaves': (mt.OCTAVE,),
    'sevenths': (mt.SEVENTH,),
    'sixths': (mt.SIXTH,),
    'fifths': (mt.FIFTH, mt.IN_KEY_FIFTH),
    'fourths': (mt.FOURTH,),
    'thirds': (mt.THIRD, mt.IN_KEY_THIRD),
    'seconds': (mt.SECOND,),
    'in_key_fifths': (mt.IN_KEY_FIFTH,),
    'in_key_thirds': (mt.IN_KEY_THIRD,),
    'in_key_preferred_intervals': (mt.IN_KEY_FIFTH, mt.IN_KEY_THIRD),
    'rests': (mt.REST_INTERVAL, mt.REST_INTERVAL_AFTER_TONIC_OR_FIFTH),
    'special_rests': (mt.REST_INTERVAL_AFTER_TONIC_OR_FIFTH,),
    'holds': (mt.HOLD_INTERVAL, mt.HOLD_INTERVAL_AFTER_TONIC_OR_FIFTH),
}
OCTAVE_JUMPS = 'octave_jumps'  # Sizes above an octave.

_EVENT_COUNTS = ('excessive', 'not_in_key', 'in_motif', 'in_repeated_motif')
_LAGS = mt.AUTOCORRELATION_LAGS


class StatisticsAccumulator:
  """Table 1 statistics over many batches of complete compositions.

  Args:
    key: the KeyConfig the rules judge against.
    composition_length: events per composition (32).

  Raises:
    ValueError: if composition_length < 1.
  """

  _CHUNK = 8192  # Compositions per vectorised pass (bounds the memory).

  def __init__(self, key: KeyConfig = C_MAJOR,
               composition_length: int = encoding.COMPOSITION_LENGTH):
    if composition_length < 1:
      raise ValueError(f'StatisticsAccumulator: composition_length must be '
                       f'>= 1, got {composition_length}')
    self.key = key
    self.composition_length = composition_length
    self._counts = {name: 0 for name in (
        'compositions', 'starting_tonic', 'high_unique', 'low_unique',
        'resolved', 'doubled', OCTAVE_JUMPS) + _EVENT_COUNTS +
                    tuple(INTERVAL_CODES)}
    self._autocorrelation_sum = {lag: 0.0 for lag in _LAGS}
    self._autocorrelation_num = {lag: 0 for lag in _LAGS}
    self._reward_sum = 0.0

  def add(self, compositions) -> None:
    """Adds complete compositions.

    Args:
      compositions: int [N, composition_length], events in [0, 37].

    Raises:
      ValueError: on a bad shape or events outside [0, 37].
    """
    x = np.asarray(compositions)
    if x.ndim != 2 or x.shape[1] != self.composition_length:
      raise ValueError(f'StatisticsAccumulator.add: compositions must be int '
                       f'[N, {self.composition_length}], got shape {x.shape}')
    for i in range(0, x.shape[0], self._CHUNK):
      self._add_chunk(x[i:i + self._CHUNK].astype(np.int64))

  def _add_chunk(self, x: np.ndarray) -> None:
    an = batched.analyze(x, self.key)
    c = self._counts
    c['compositions'] += x.shape[0]
    c['starting_tonic'] += int((x[:, 0] == self.key.tonic_action).sum())
    c['high_unique'] += int(an.high_unique.sum())
    c['low_unique'] += int(an.low_unique.sum())
    c['resolved'] += int((an.leap_outcomes == mt.LEAP_RESOLVED).sum())
    c['doubled'] += int((an.leap_outcomes == mt.LEAP_DOUBLED).sum())
    c['excessive'] += int(an.excessive_repetition.sum())
    c['not_in_key'] += int(an.not_in_key.sum())
    c['in_motif'] += int(an.in_motif.sum())
    c['in_repeated_motif'] += int(an.in_repeated_motif.sum())
    codes = an.interval_codes
    c[OCTAVE_JUMPS] += int((codes > mt.OCTAVE).sum())
    histogram = np.bincount(batched.interval_code_index(codes).ravel(),
                            minlength=batched.NUM_INTERVAL_CODE_INDICES)
    for name, wanted in INTERVAL_CODES.items():
      c[name] += int(histogram[batched.interval_code_index(
          np.array(wanted))].sum())
    for lag in _LAGS:
      num, den = batched.autocorrelation_fractions(x, lag,
                                                   [self.composition_length])
      defined = den[:, 0] > 0
      self._autocorrelation_sum[lag] += float(
          (num[defined, 0] / den[defined, 0]).sum())
      self._autocorrelation_num[lag] += int(defined.sum())
    rewards = batched.music_theory_reward_per_step(
        x, self.key, self.composition_length, analysis=an)
    self._reward_sum += float(rewards.sum(dtype=np.float64))

  def result(self) -> Dict[str, float]:
    """The statistics so far (module docstring); NaN where undefined."""
    c = self._counts
    return _finish(c, self._autocorrelation_sum, self._autocorrelation_num,
                   self._reward_sum, self.composition_length)


def _ratio(numerator: float, denominator: float, scale: float = 1.0) -> float:
  return scale * numerator / denominator if denominator else math.nan


def _finish(c, autocorrelation_sum, autocorrelation_num, reward_sum,
            composition_length) -> Dict[str, float]:
  n = c['compositions']
  notes = n * composition_length
  result = {
      'num_compositions': float(n),
      'num_notes': float(notes),
      'notes_excessively_repeated_pct': _ratio(c['excessive'], notes, 100),
      'notes_not_in_key_pct': _ratio(c['not_in_key'], notes, 100),
      'notes_in_motif_pct': _ratio(c['in_motif'], notes, 100),
      'notes_in_repeated_motif_pct': _ratio(c['in_repeated_motif'], notes,
                                            100),
      'starting_with_tonic_pct': _ratio(c['starting_tonic'], n, 100),
      'unique_max_note_pct': _ratio(c['high_unique'], n, 100),
      'unique_min_note_pct': _ratio(c['low_unique'], n, 100),
      'leaps_resolved_pct': _ratio(c['resolved'],
                                   c['resolved'] + c['doubled'], 100),
      'resolved_leaps': _ratio(c['resolved'], n),
      'double_leaps': _ratio(c['doubled'], n),
  }
  for lag in _LAGS:
    result[f'autocorrelation_lag{lag}'] = _ratio(autocorrelation_sum[lag],
                                                 autocorrelation_num[lag])
  result[OCTAVE_JUMPS] = _ratio(c[OCTAVE_JUMPS], n)
  for name in INTERVAL_CODES:
    result[name] = _ratio(c[name], n)
  result['mean_music_theory_reward'] = _ratio(reward_sum, notes)
  result['mean_music_theory_reward_per_composition'] = _ratio(reward_sum, n)
  return result


def statistics_reference(compositions: Sequence[Sequence[int]],
                         key: KeyConfig = C_MAJOR) -> Dict[str, float]:
  """The statistics of ``StatisticsAccumulator``, one composition at a time.

  Plain Python over ``music_theory``; slow, for tests.

  Args:
    compositions: complete compositions of equal length.
    key: the KeyConfig.

  Returns:
    The same dict as ``StatisticsAccumulator.result``.
  """
  compositions = [[int(e) for e in c] for c in compositions]
  length = len(compositions[0]) if compositions else encoding.COMPOSITION_LENGTH
  c = {name: 0 for name in (
      'compositions', 'starting_tonic', 'high_unique', 'low_unique',
      'resolved', 'doubled', OCTAVE_JUMPS) + _EVENT_COUNTS +
       tuple(INTERVAL_CODES)}
  autocorrelation_sum = {lag: 0.0 for lag in _LAGS}
  autocorrelation_num = {lag: 0 for lag in _LAGS}
  reward_sum = 0.0
  for composition in compositions:
    if len(composition) != length:
      raise ValueError(f'statistics_reference: compositions of different '
                       f'lengths ({len(composition)} and {length})')
    c['compositions'] += 1
    c['starting_tonic'] += composition[0] == key.tonic_action
    c['high_unique'] += mt.detect_high_unique(composition)
    c['low_unique'] += mt.detect_low_unique(composition)
    outcomes = mt.leap_outcomes(composition)
    c['resolved'] += outcomes.count(mt.LEAP_RESOLVED)
    c['doubled'] += outcomes.count(mt.LEAP_DOUBLED)
    for beat, action in enumerate(composition):
      before = composition[:beat]
      c['excessive'] += mt.detect_repeating_notes(before, action)
      c['not_in_key'] += action not in key.in_key_actions
      c['in_motif'] += mt.detect_last_motif(before + [action])[0] is not None
      c['in_repeated_motif'] += mt.detect_repeated_motif(before, action)[0]
      interval = mt.detect_sequential_interval(before, action, key)
      c[OCTAVE_JUMPS] += interval > mt.OCTAVE
      for name, wanted in INTERVAL_CODES.items():
        c[name] += interval in wanted
      reward_sum += mt.music_theory_reward_reference(before, action, key,
                                                     length)
    for lag in _LAGS:
      coefficient = mt.autocorrelate(composition, lag)
      if not math.isnan(coefficient):
        autocorrelation_sum[lag] += coefficient
        autocorrelation_num[lag] += 1
  return _finish(c, autocorrelation_sum, autocorrelation_num, reward_sum,
                 length)
