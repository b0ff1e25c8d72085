"""Per-rule decomposition of the music-theory reward r_MT (numpy only).

Which rules pay for what a tuned model writes: ``rule_rewards`` splits
``batched.music_theory_reward_per_step`` into one ``float [B, T]`` array per
rule (they sum to it exactly), and ``by_sounding_pitch_class`` sums each rule's
reward by the pitch class sounding at the event (the event's own pitch, or
the pitch it holds or rests after), which shows the rules that push a model
towards C, E and G. ``pitch_class_histogram`` and ``opening_counts`` are the
variety a model ends with. Used by tools/rl_tuner_reward_report.py and
docs/rl_tuner_table_1.md (issue 14 item 4).
"""

import collections
from typing import Dict, List, Tuple

import numpy as np

from rl_tuner import encoding
from rl_tuner.encoding import C_MAJOR
from rl_tuner.encoding import KeyConfig
from rl_tuner.rewards import batched
from rl_tuner.rewards import diversity
from rl_tuner.rewards import music_theory as mt

# The rules of r_MT, in the order of music_theory_reward_reference. The
# preferred-interval reward is split into the holds after the tonic or fifth
# (its largest term: 5 x 0.3 = 1.5 per held step) and every other interval.
RULES = ('key', 'tonic', 'repetition', 'autocorrelation', 'motif',
         'repeated_motif', 'hold_after_tonic_or_fifth', 'other_intervals',
         'leaps', 'unique_extremes')
NO_PITCH = 12  # Column of events with no pitch sounding yet.


def rule_rewards(compositions, key: KeyConfig = C_MAJOR,
                 composition_length: int = mt.COMPOSITION_LENGTH
                 ) -> Dict[str, np.ndarray]:
  """r_MT of every event of whole compositions, one array per rule.

  Args:
    compositions: int [B, T] events (T <= composition_length).
    key: the KeyConfig.
    composition_length: L; the unique-extremes reward is paid at beat L - 1.

  Returns:
    {rule: float64 [B, T]} over :data:`RULES`; their sum equals
    ``batched.music_theory_reward_per_step`` (to float32 rounding).

  Raises:
    ValueError: on bad shapes or values, or T > L.
  """
  x = np.asarray(compositions).astype(np.int64, copy=False)
  if x.ndim != 2 or x.shape[1] > composition_length:
    raise ValueError(f'compositions must be int [B, T <= '
                     f'{composition_length}], got shape {x.shape}')
  an = batched.analyze(x, key)
  n = x.shape[1]
  beats = np.arange(n)
  interval = np.where(beats > 0, batched._PREFERRED_LUT[  # pylint: disable=protected-access
      batched.interval_code_index(an.interval_codes)], 0.0)
  hold_tf = an.interval_codes == mt.HOLD_INTERVAL_AFTER_TONIC_OR_FIFTH
  unique = np.zeros(x.shape)
  if n == composition_length:
    unique[:, -1] = 3.0 * an.high_unique + 3.0 * an.low_unique
  return {
      'key': np.where(an.not_in_key, -1.0, 0.0),
      'tonic': batched._tonic_reward(x, beats, key, composition_length),  # pylint: disable=protected-access
      'repetition': np.where(an.excessive_repetition,
                             mt.EXCESSIVE_REPETITION_PENALTY, 0.0),
      'autocorrelation': batched.autocorrelation_penalty(x),
      'motif': batched._motif_reward(an.motif_distinct),  # pylint: disable=protected-access
      'repeated_motif': batched._repeated_motif_reward(  # pylint: disable=protected-access
          an.in_repeated_motif, an.motif_distinct),
      'hold_after_tonic_or_fifth': np.where(hold_tf, interval, 0.0),
      'other_intervals': np.where(hold_tf, 0.0, interval),
      'leaps': batched._LEAP_REWARD[an.leap_outcomes + 1],  # pylint: disable=protected-access
      'unique_extremes': unique,
  }


def sounding_pitch_class(compositions) -> np.ndarray:
  """Pitch class sounding at each event: int64 [B, T] in 0..12.

  The event's own pitch, else the last pitch before it in the composition
  (a hold or rest after it), else :data:`NO_PITCH`.
  """
  x = np.asarray(compositions).astype(np.int64, copy=False)
  is_pitch = x >= encoding.NUM_SPECIAL_EVENTS
  last = np.maximum.accumulate(
      np.where(is_pitch, np.arange(x.shape[1]), -1), axis=1)
  pitch = np.take_along_axis(x, np.maximum(last, 0), axis=1)
  return np.where(last >= 0, (pitch + encoding.PITCH_OFFSET) % 12, NO_PITCH)


def by_sounding_pitch_class(rewards: Dict[str, np.ndarray],
                            compositions) -> Dict[str, np.ndarray]:
  """Each rule's reward per composition, split by the sounding pitch class.

  Args:
    rewards: :func:`rule_rewards` of ``compositions``.
    compositions: int [B, T].

  Returns:
    {rule: float64 [13]}: reward per composition (sum / B) of the events
    whose sounding pitch class is C, C#, ..., B, or none (index 12).
  """
  pc = sounding_pitch_class(compositions).ravel()
  b = max(len(compositions), 1)
  return {rule: np.bincount(pc, weights=r.ravel(), minlength=NO_PITCH + 1) / b
          for rule, r in rewards.items()}


def pitch_class_histogram(compositions) -> np.ndarray:
  """Share of onsets per pitch class C..B: float64 [12] (sums to 1)."""
  counts = diversity.pitch_class_counts(compositions).sum(axis=0)
  return counts / max(counts.sum(), 1.0)


def opening_counts(compositions, top: int = 5) -> List[Tuple[str, float]]:
  """The ``top`` most common openings (first 4 events) and their share (%)."""
  x = np.asarray(compositions).astype(np.int64, copy=False)
  steps = diversity.OPENING_STEPS
  counter = collections.Counter(
      ' '.join(diversity.event_name(int(e)) for e in row)
      for row in x[:, :steps])
  return [(name, 100.0 * count / len(x))
          for name, count in counter.most_common(top)]


def max_entropy_bits(out_of_key_share: float, num_in_key: int = 7,
                     num_out_of_key: int = 5) -> float:
  """The largest pitch-class entropy with a given out-of-key onset share.

  With a share q of onsets out of key, entropy is largest when the in-key
  mass 1 - q is uniform over the ``num_in_key`` pitch classes and q uniform
  over the other ``num_out_of_key``:
  H = h(q) + (1 - q) log2(num_in_key) + q log2(num_out_of_key), with h the
  binary entropy (bits).

  Raises:
    ValueError: if q is outside [0, 1].
  """
  q = float(out_of_key_share)
  if not 0.0 <= q <= 1.0:
    raise ValueError(f'out_of_key_share must be in [0, 1], got {q!r}')
  h = 0.0 if q in (0.0, 1.0) else -(q * np.log2(q) +
                                     (1 - q) * np.log2(1 - q))
  return float(h + (1 - q) * np.log2(num_in_key) +
               q * np.log2(num_out_of_key))
