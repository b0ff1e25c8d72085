"""Music-theory rewards r_MT, one pure function per rule: the REFERENCE.

This is the readable per-note implementation (plain Python loops over one
composition). ``rl_tuner.rewards.batched`` computes the same values for a batch
of compositions with numpy and is tested against this module.

Every reward has the signature ``reward_x(composition, action, key, ...)``:

  * ``composition``: the events already played in this composition (actions of
    ``rl_tuner.encoding``: 0 NOTE_OFF, 1 NO_EVENT, 2..37 MIDI pitches 48..83);
    its length is the beat (sixteenth-note step) of ``action``, 0..31.
  * ``action``: the new event.
  * ``key``: the ``encoding.KeyConfig`` judged against (default C major, tonic
    action 14 = MIDI 60).

Rules and constants follow the RL Tuner paper (Jaques et al., ICLR 2017
workshop) and its public code (magenta/models/rl_tuner/rl_tuner.py), read for
semantics and re-implemented here; see ../shared/SPEC.md section 1. Where this
module knowingly differs from the public code, the function says so:

  * key, tonic, dominant and third degree come from ``KeyConfig`` (the public
    code crashes on any key but its hard-coded C major);
  * the unique-highest-note rule looks at pitches only (the public code takes
    the maximum over all events, special events included, which only matters
    for a composition without a pitch);
  * ``reward_non_repeating`` returns the repetition penalty instead of the
    public ``None`` when a note is excessively repeated;
  * the autocorrelation threshold is compared exactly (integer arithmetic), so
    that this module and the batched one agree bit for bit at the boundary.
"""

import fractions
from typing import List, Optional, Sequence, Tuple

from rl_tuner import encoding
from rl_tuner.encoding import C_MAJOR
from rl_tuner.encoding import KeyConfig
from rl_tuner.encoding import NO_EVENT
from rl_tuner.encoding import NOTE_OFF

COMPOSITION_LENGTH = encoding.COMPOSITION_LENGTH  # 32 steps.

# Interval sizes in semitones (public rl_tuner_ops constants).
SECOND = 2
THIRD = 4  # Major third.
FOURTH = 5
FIFTH = 7
SIXTH = 9  # Major sixth.
SEVENTH = 11  # Major seventh.
OCTAVE = 12

# Interval codes for the special cases of ``detect_sequential_interval``
# (negative, so they never collide with a size in semitones, which is >= 0).
REST_INTERVAL = -1  # NOTE_OFF after a pitch.
HOLD_INTERVAL = -2  # NO_EVENT after a pitch.
REST_INTERVAL_AFTER_TONIC_OR_FIFTH = -3  # NOTE_OFF after the tonic or dominant.
HOLD_INTERVAL_AFTER_TONIC_OR_FIFTH = -4  # NO_EVENT after the tonic or dominant.
IN_KEY_THIRD = -5  # 4 semitones from the tonic or the third degree.
IN_KEY_FIFTH = -6  # 7 semitones from the tonic or the dominant.
SPECIAL_INTERVALS = (REST_INTERVAL, HOLD_INTERVAL,
                     REST_INTERVAL_AFTER_TONIC_OR_FIFTH,
                     HOLD_INTERVAL_AFTER_TONIC_OR_FIFTH, IN_KEY_THIRD,
                     IN_KEY_FIFTH)
MAX_INTERVAL = encoding.NUM_CLASSES - 1 - encoding.NUM_SPECIAL_EVENTS  # 35.

# Preferred-interval values before the x5 scaler (Gauldin, "A Practical Approach
# to Eighteenth-Century Counterpoint", as used by the public code). Sizes not
# listed (unison, 1, 3, 6, 8, 10 and 12 semitones) are worth 0; sizes above an
# octave are worth -1.
PREFERRED_INTERVAL_VALUES = {
    HOLD_INTERVAL_AFTER_TONIC_OR_FIFTH: 0.3,
    REST_INTERVAL_AFTER_TONIC_OR_FIFTH: 0.15,
    IN_KEY_THIRD: 0.15,
    IN_KEY_FIFTH: 0.1,
    THIRD: 0.09,
    SECOND: 0.08,
    HOLD_INTERVAL: 0.075,
    FOURTH: 0.07,
    REST_INTERVAL: 0.05,
    SIXTH: 0.05,
    FIFTH: 0.02,
    SEVENTH: -0.3,
}
BEYOND_OCTAVE_VALUE = -1.0
PREFERRED_INTERVALS_SCALER = 5.0

# Leap outcomes of ``detect_leap_up_back``.
LEAP_RESOLVED = 1
LEAP_DOUBLED = -1
NO_LEAP_OUTCOME = 0
STEPS_BETWEEN_LEAPS = 6  # A leap back counts as a resolution only after more.

MOTIF_BAR_LENGTH = 8  # Steps in which a motif is looked for (half a bar).
MIN_MOTIF_NOTES = 3  # Distinct pitches that make a motif.

# |autocorrelation| above 0.15 is penalized (public code), kept exact.
AUTOCORRELATION_THRESHOLD = fractions.Fraction(3, 20)
AUTOCORRELATION_LAGS = (1, 2, 3)

EXCESSIVE_REPETITION_PENALTY = -100.0


def _is_pitch(event: int) -> bool:
  return event >= encoding.NUM_SPECIAL_EVENTS


def _pitch_class(action: int) -> int:
  return (action + encoding.PITCH_OFFSET) % 12


def tonic_pitch_class(key: KeyConfig) -> int:
  """Pitch class (0 = C) of the key's tonic."""
  return key.tonic_pitch % 12


def dominant_pitch_class(key: KeyConfig) -> int:
  """Pitch class of the key's fifth degree (G in C major)."""
  return (key.tonic_pitch + FIFTH) % 12


def third_degree_pitch_class(key: KeyConfig) -> int:
  """Pitch class of the key's third degree (E in C major, C in A minor)."""
  return (key.tonic_pitch + (4 if key.mode == 'major' else 3)) % 12


def scale_actions(key: KeyConfig) -> List[int]:
  """The scale the 'scale' mode teaches: in-key pitches an octave either side.

  For C major these are the actions 2..26 (MIDI 48..72) of the public
  C_MAJOR_SCALE; pitches outside [48, 83] are dropped.
  """
  tonic = key.tonic_action
  return [a for a in sorted(key.in_key_actions)
          if _is_pitch(a) and tonic - OCTAVE <= a <= tonic + OCTAVE]


# --- Key and tonic ---------------------------------------------------------


def reward_key(composition: Sequence[int], action: int,
               key: KeyConfig = C_MAJOR, penalty_amount: float = -1.0) -> float:
  """``penalty_amount`` (-1) if ``action`` is not in key (specials are)."""
  del composition
  return 0.0 if action in key.in_key_actions else penalty_amount


def reward_key_distribute_prob(composition: Sequence[int], action: int,
                               key: KeyConfig = C_MAJOR) -> float:
  """The 'key' mode: 1 / (number of in-key actions) for an in-key action.

  23 in-key actions in C major (the two special events included), so 1/23.
  """
  del composition
  in_key = key.in_key_actions
  return 1.0 / len(in_key) if action in in_key else 0.0


def reward_tonic(composition: Sequence[int], action: int,
                 key: KeyConfig = C_MAJOR,
                 composition_length: int = COMPOSITION_LENGTH,
                 reward_amount: float = 3.0) -> float:
  """+3 for the tonic at the right beats, and for ending on it.

  With L = ``composition_length`` (32): the tonic action at beat 0 or at beat
  L - 4 (28; the public code's "first note of the final bar", which in
  sixteenth-note steps is the last quarter note); NO_EVENT at beat L - 3 (29);
  NO_EVENT or NOTE_OFF at the beats after (30, 31).
  """
  beat = len(composition)
  last_bar = composition_length - 4
  if beat in (0, last_bar):
    return reward_amount if action == key.tonic_action else 0.0
  if beat == last_bar + 1:
    return reward_amount if action == NO_EVENT else 0.0
  if beat > last_bar + 1:
    return reward_amount if action in (NO_EVENT, NOTE_OFF) else 0.0
  return 0.0


# --- Excessive repetition ----------------------------------------------------


def detect_repeating_notes(composition: Sequence[int], action: int) -> bool:
  """Whether ``action`` repeats the events before it excessively.

  Walks back from the last event while the events are ``action`` or special
  (for a pitch ``action``), or special (for a special ``action``), counting the
  events equal to ``action`` and noting any other special event on the way.
  Excessive (public code): a NOTE_OFF with 2 NOTE_OFFs before it (the 3rd);
  otherwise more than 4 repeats before it (the 6th in a row) when no other
  special event lies between them, more than 6 (the 8th) when one does. For a
  NO_EVENT action, the NOTE_OFFs are the events between.
  """
  num_repeated = 0
  others_between = False
  for event in reversed(composition):
    if event == action:
      num_repeated += 1
    elif not _is_pitch(event):
      others_between = True
    else:
      break
  if action == NOTE_OFF:
    return num_repeated > 1
  return num_repeated > (6 if others_between else 4)


def reward_penalize_repeating(
    composition: Sequence[int], action: int, key: KeyConfig = C_MAJOR,
    penalty_amount: float = EXCESSIVE_REPETITION_PENALTY) -> float:
  """-100 if ``action`` is excessively repeated (``detect_repeating_notes``)."""
  del key
  return penalty_amount if detect_repeating_notes(composition, action) else 0.0


def reward_non_repeating(composition: Sequence[int], action: int,
                         key: KeyConfig = C_MAJOR,
                         reward_amount: float = 0.1) -> float:
  """The 'non_repeating' mode: +0.1, or -100 for an excessive repetition.

  The public code returns None (a crash) instead of the penalty.
  """
  penalty = reward_penalize_repeating(composition, action, key)
  return penalty if penalty < 0 else reward_amount


# --- Autocorrelation ---------------------------------------------------------


def autocorrelation_fraction(signal: Sequence[int],
                             lag: int) -> Tuple[int, int]:
  """Exact autocorrelation coefficient of integer ``signal`` as (num, den).

  coefficient = sum_i (s_i - m)(s_{i+lag} - m) / sum_i (s_i - m)^2 with m the
  mean (the public ``autocorrelate``: the lagged products summed and divided by
  n times the variance). Both sums are multiplied by n^2 to stay integers.
  ``den`` is 0 when the signal is constant (the coefficient is undefined); the
  numerator is 0 when ``lag >= len(signal)``.
  """
  s = [int(v) for v in signal]
  n = len(s)
  total = sum(s)
  den = n * n * sum(v * v for v in s) - n * total * total
  if lag >= n:
    return 0, den
  lagged = sum(s[i] * s[i + lag] for i in range(n - lag))
  num = (n * n * lagged - n * total * (sum(s[lag:]) + sum(s[:n - lag])) +
         (n - lag) * total * total)
  return num, den


def autocorrelate(signal: Sequence[int], lag: int = 1) -> float:
  """Autocorrelation coefficient at ``lag`` steps; NaN for a constant signal."""
  num, den = autocorrelation_fraction(signal, lag)
  return float('nan') if den == 0 else num / den


def reward_penalize_autocorrelation(composition: Sequence[int], action: int,
                                    key: KeyConfig = C_MAJOR,
                                    penalty_weight: float = 3.0) -> float:
  """-3 |c| for each lag 1, 2, 3 whose coefficient c of the composition so far
  (``action`` included, events as their action numbers 0..37) has |c| > 0.15.

  Undefined coefficients (constant composition, e.g. at beat 0) cost nothing.
  """
  del key
  signal = list(composition) + [action]
  penalty = 0.0
  for lag in AUTOCORRELATION_LAGS:
    num, den = autocorrelation_fraction(signal, lag)
    if (den != 0 and
        abs(fractions.Fraction(num, den)) > AUTOCORRELATION_THRESHOLD):
      penalty += abs(num / den) * penalty_weight
  return -penalty


# --- Motifs ------------------------------------------------------------------


def detect_last_motif(
    composition: Sequence[int], bar_length: int = MOTIF_BAR_LENGTH
) -> Tuple[Optional[List[int]], int]:
  """The last ``bar_length`` events if they hold >= 3 distinct pitches.

  Returns:
    (motif or None, number of distinct pitches in the last ``bar_length``
    events); (None, 0) when the composition is shorter than ``bar_length``.
  """
  if len(composition) < bar_length:
    return None, 0
  last_bar = list(composition[-bar_length:])
  num_notes = len({e for e in last_bar if _is_pitch(e)})
  return (last_bar if num_notes >= MIN_MOTIF_NOTES else None), num_notes


def reward_motif(composition: Sequence[int], action: int,
                 key: KeyConfig = C_MAJOR, reward_amount: float = 3.0) -> float:
  """+3 + 0.3 (n - 3) when the last 8 events (``action`` included) hold
  n >= 3 distinct pitches (a motif); 0 before beat 7."""
  del key
  motif, num_notes = detect_last_motif(list(composition) + [action])
  if motif is None:
    return 0.0
  return reward_amount + max((num_notes - MIN_MOTIF_NOTES) * 0.3, 0)


def detect_repeated_motif(
    composition: Sequence[int], action: int,
    bar_length: int = MOTIF_BAR_LENGTH) -> Tuple[bool, Optional[List[int]]]:
  """Whether the motif just completed appears verbatim earlier.

  The earlier occurrence must lie entirely before the motif's first event
  (within ``composition[:len(composition) - 7]``), as in the public code.

  Returns:
    (True, motif) or (False, None).
  """
  full = list(composition) + [action]
  motif, _ = detect_last_motif(full, bar_length)
  if motif is None:
    return False, None
  earlier = full[:len(full) - bar_length]
  for start in range(len(earlier) - bar_length + 1):
    if earlier[start:start + bar_length] == motif:
      return True, motif
  return False, None


def reward_repeated_motif(composition: Sequence[int], action: int,
                          key: KeyConfig = C_MAJOR,
                          reward_amount: float = 4.0) -> float:
  """+4 + (n - 3) when the motif just completed (n distinct pitches) repeats
  an earlier one verbatim."""
  del key
  repeated, motif = detect_repeated_motif(composition, action)
  if not repeated:
    return 0.0
  num_notes = len({e for e in motif if _is_pitch(e)})
  return reward_amount + max(num_notes - MIN_MOTIF_NOTES, 0)


# --- Intervals ---------------------------------------------------------------


def last_pitch(composition: Sequence[int]) -> Optional[int]:
  """The last pitch action of ``composition`` (rests and holds skipped)."""
  for event in reversed(composition):
    if _is_pitch(event):
      return event
  return None


def detect_sequential_interval(composition: Sequence[int], action: int,
                               key: KeyConfig = C_MAJOR) -> int:
  """The interval code from the last real pitch to ``action``.

  Returns:
    0 if there is no earlier pitch; for a NO_EVENT / NOTE_OFF ``action``,
    HOLD_INTERVAL / REST_INTERVAL, or their ``_AFTER_TONIC_OR_FIFTH`` variants
    when the last pitch is the tonic or the dominant (any octave); for a pitch,
    IN_KEY_FIFTH for 7 semitones from the tonic or dominant, IN_KEY_THIRD for 4
    semitones from the tonic or the third degree, else the size in semitones
    (0..35; 0 for a repeated pitch).
  """
  prev = last_pitch(composition)
  if prev is None:
    return 0
  prev_pc = _pitch_class(prev)
  tonic_or_fifth = prev_pc in (tonic_pitch_class(key),
                               dominant_pitch_class(key))
  if action == NO_EVENT:
    return (HOLD_INTERVAL_AFTER_TONIC_OR_FIFTH if tonic_or_fifth
            else HOLD_INTERVAL)
  if action == NOTE_OFF:
    return (REST_INTERVAL_AFTER_TONIC_OR_FIFTH if tonic_or_fifth
            else REST_INTERVAL)
  interval = abs(action - prev)
  if interval == FIFTH and tonic_or_fifth:
    return IN_KEY_FIFTH
  if interval == THIRD and prev_pc in (tonic_pitch_class(key),
                                       third_degree_pitch_class(key)):
    return IN_KEY_THIRD
  return interval


def preferred_interval_value(interval: int) -> float:
  """The unscaled value of an interval code (PREFERRED_INTERVAL_VALUES)."""
  if interval > OCTAVE:
    return BEYOND_OCTAVE_VALUE
  return PREFERRED_INTERVAL_VALUES.get(interval, 0.0)


def reward_preferred_intervals(
    composition: Sequence[int], action: int, key: KeyConfig = C_MAJOR,
    scaler: float = PREFERRED_INTERVALS_SCALER) -> float:
  """5 x the value of the interval from the last pitch (rests skipped).

  E.g. C4 -> E4 (4 semitones from the tonic) is an in-key third: 5 x 0.15.
  """
  interval = detect_sequential_interval(composition, action, key)
  return preferred_interval_value(interval) * scaler


# --- Leaps -------------------------------------------------------------------


def leap_outcomes(composition: Sequence[int]) -> List[int]:
  """Replays the public leap state machine over a whole composition.

  A leap is a step of >= 7 semitones between consecutive pitches (rests and
  holds skipped). After a leap from pitch f in direction d (state d != 0):
    * a further leap in direction d is a double leap (LEAP_DOUBLED; the state
      stays);
    * a leap in the opposite direction ends the state; it is LEAP_RESOLVED
      only if more than 6 events passed since the previous leap;
    * a non-leap pitch that returns to f or past it (<= f after an upward
      leap, >= f after a downward one) is LEAP_RESOLVED and ends the state.
  In state 0 a leap starts a new state. Rests and holds never change the state.

  Returns:
    One outcome per event (LEAP_RESOLVED, LEAP_DOUBLED or 0).
  """
  direction, leapt_from, last_leap_beat = 0, None, None
  outcomes = []
  for beat, action in enumerate(composition):
    outcome = NO_LEAP_OUTCOME
    prev = last_pitch(composition[:beat])
    if _is_pitch(action) and prev is not None:
      step = action - prev
      if abs(step) >= FIFTH:
        leap_direction = 1 if step > 0 else -1
        if direction == 0:
          direction, leapt_from = leap_direction, prev
        elif direction != leap_direction:
          if beat - 1 - last_leap_beat > STEPS_BETWEEN_LEAPS:
            outcome = LEAP_RESOLVED
          direction, leapt_from = 0, None
        else:
          outcome = LEAP_DOUBLED
        last_leap_beat = beat
      elif ((direction == 1 and action <= leapt_from) or
            (direction == -1 and action >= leapt_from)):
        outcome = LEAP_RESOLVED
        direction, leapt_from = 0, None
    outcomes.append(outcome)
  return outcomes


def detect_leap_up_back(composition: Sequence[int], action: int) -> int:
  """The leap outcome of ``action`` after ``composition``."""
  return leap_outcomes(list(composition) + [action])[-1]


def reward_leap_up_back(composition: Sequence[int], action: int,
                        key: KeyConfig = C_MAJOR,
                        resolving_leap_bonus: float = 5.0,
                        leaping_twice_punishment: float = -5.0) -> float:
  """+5 for resolving a leap, -5 for a second leap in the same direction."""
  del key
  outcome = detect_leap_up_back(composition, action)
  if outcome == LEAP_RESOLVED:
    return resolving_leap_bonus
  if outcome == LEAP_DOUBLED:
    return leaping_twice_punishment
  return 0.0


# --- Highest and lowest note -------------------------------------------------


def detect_high_unique(composition: Sequence[int]) -> bool:
  """Whether the highest pitch occurs exactly once (False without pitches)."""
  pitches = [e for e in composition if _is_pitch(e)]
  return bool(pitches) and pitches.count(max(pitches)) == 1


def detect_low_unique(composition: Sequence[int]) -> bool:
  """Whether the lowest pitch occurs exactly once (False without pitches)."""
  pitches = [e for e in composition if _is_pitch(e)]
  return bool(pitches) and pitches.count(min(pitches)) == 1


def reward_high_low_unique(composition: Sequence[int], action: int,
                           key: KeyConfig = C_MAJOR,
                           composition_length: int = COMPOSITION_LENGTH,
                           reward_amount: float = 3.0) -> float:
  """At the last beat only: +3 if the highest pitch is unique, +3 if the
  lowest is."""
  del key
  if len(composition) + 1 != composition_length:
    return 0.0
  full = list(composition) + [action]
  return (reward_amount * detect_high_unique(full) +
          reward_amount * detect_low_unique(full))


# --- The 'scale' mode --------------------------------------------------------


def reward_scale(composition: Sequence[int], action: int,
                 key: KeyConfig = C_MAJOR) -> float:
  """The 'scale' mode: teaches the model to play the key's scale upwards.

  +0.1 for NO_EVENT; +0.05 if ``action`` exceeds the previous event by 1 or 2
  (action numbers, as the public code); +0.01 for a note of ``scale_actions``
  and +0.8 more when it is the scale's next note after the previous event (or
  wraps from its top to its bottom). At beat 0 there is no previous event (the
  public code uses its priming note).
  """
  scale = scale_actions(key)
  prev = composition[-1] if composition else None
  reward = 0.0
  if action == NO_EVENT:
    reward += 0.1
  if prev is not None and prev < action < prev + 3:
    reward += 0.05
  if action in scale:
    reward += 0.01
    if prev in scale:
      action_pos, prev_pos = scale.index(action), scale.index(prev)
      if ((prev_pos == len(scale) - 1 and action_pos == 0) or
          action_pos == prev_pos + 1):
        reward += 0.8
  return reward


# --- Sums used by the simpler reward modes ----------------------------------


def reward_key_and_tonic(composition: Sequence[int], action: int,
                         key: KeyConfig = C_MAJOR,
                         composition_length: int = COMPOSITION_LENGTH) -> float:
  """The 'key_and_tonic' mode: key + tonic."""
  return (reward_key(composition, action, key) +
          reward_tonic(composition, action, key, composition_length))


def reward_music_theory_basic(composition: Sequence[int], action: int,
                              key: KeyConfig = C_MAJOR,
                              composition_length: int = COMPOSITION_LENGTH
                              ) -> float:
  """The 'music_theory_basic' mode: key + tonic + excessive repetition."""
  return (reward_key(composition, action, key) +
          reward_tonic(composition, action, key, composition_length) +
          reward_penalize_repeating(composition, action, key))


def reward_music_theory_basic_plus_variety(
    composition: Sequence[int], action: int, key: KeyConfig = C_MAJOR,
    composition_length: int = COMPOSITION_LENGTH) -> float:
  """'music_theory_basic' + the autocorrelation penalty."""
  return (reward_music_theory_basic(composition, action, key,
                                    composition_length) +
          reward_penalize_autocorrelation(composition, action, key))


# --- The paper's sum ---------------------------------------------------------


def music_theory_reward_reference(
    composition: Sequence[int], action: int, key: KeyConfig = C_MAJOR,
    composition_length: int = COMPOSITION_LENGTH) -> float:
  """r_MT of the paper, the sum of every rule above ('music_theory_all').

  key + tonic + excessive repetition + autocorrelation + motif + repeated motif
  + preferred intervals + leaps + unique highest/lowest note (last beat).

  Raises:
    ValueError: if an event is outside [0, 37] or the composition is already
      ``composition_length`` long.
  """
  _check(composition, action, composition_length)
  return (reward_key(composition, action, key) +
          reward_tonic(composition, action, key, composition_length) +
          reward_penalize_repeating(composition, action, key) +
          reward_penalize_autocorrelation(composition, action, key) +
          reward_motif(composition, action, key) +
          reward_repeated_motif(composition, action, key) +
          reward_preferred_intervals(composition, action, key) +
          reward_leap_up_back(composition, action, key) +
          reward_high_low_unique(composition, action, key, composition_length))


def _check(composition: Sequence[int], action: int,
           composition_length: int) -> None:
  for event in list(composition) + [action]:
    if not 0 <= event < encoding.NUM_CLASSES:
      raise ValueError(f'music theory reward: event {event!r} outside '
                       f'[0, {encoding.NUM_CLASSES - 1}]')
  if len(composition) >= composition_length:
    raise ValueError(f'music theory reward: composition already has '
                     f'{len(composition)} events; composition_length is '
                     f'{composition_length}')
