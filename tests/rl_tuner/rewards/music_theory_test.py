"""Tests of the per-note reference rewards on hand-made melodies.

Actions: 0 NOTE_OFF, 1 NO_EVENT, pitch action a = MIDI a + 46; C4 = 14,
D4 = 16, E4 = 18, F4 = 19, G4 = 21, A4 = 23, B4 = 25, C5 = 26.
"""

from absl.testing import absltest

from rl_tuner import encoding
from rl_tuner.rewards import music_theory as mt

OFF, HOLD = encoding.NOTE_OFF, encoding.NO_EVENT
C3, C4, CS4, D4, E4, F4, G4, A4, B4, C5 = 2, 14, 15, 16, 18, 19, 21, 23, 25, 26
G_MAJOR = encoding.KeyConfig(tonic_pitch=67)  # Tonic G4 = action 21.


class KeyAndTonicTest(absltest.TestCase):

  def test_key(self):
    self.assertEqual(mt.reward_key([], CS4), -1.0)  # C# not in C major.
    self.assertEqual(mt.reward_key([], C4), 0.0)
    self.assertEqual(mt.reward_key([], OFF), 0.0)  # Specials are in key.
    self.assertEqual(mt.reward_key([], 20, G_MAJOR), 0.0)  # F#4 in G major.
    self.assertEqual(mt.reward_key([], F4, G_MAJOR), -1.0)

  def test_key_distribute_prob(self):
    # 21 in-key pitches (36 pitches, 7 of 12 classes) + 2 specials = 23.
    self.assertAlmostEqual(mt.reward_key_distribute_prob([], E4), 1 / 23)
    self.assertEqual(mt.reward_key_distribute_prob([], CS4), 0.0)

  def test_tonic(self):
    self.assertEqual(mt.reward_tonic([], C4), 3.0)  # Beat 0.
    self.assertEqual(mt.reward_tonic([], D4), 0.0)
    self.assertEqual(mt.reward_tonic([], C5), 0.0)  # Another octave: no.
    self.assertEqual(mt.reward_tonic([HOLD] * 5, C4), 0.0)  # Beat 5.
    self.assertEqual(mt.reward_tonic([HOLD] * 28, C4), 3.0)  # Beat 28.
    self.assertEqual(mt.reward_tonic([HOLD] * 29, HOLD), 3.0)  # Beat 29.
    self.assertEqual(mt.reward_tonic([HOLD] * 29, OFF), 0.0)
    self.assertEqual(mt.reward_tonic([HOLD] * 30, OFF), 3.0)  # Beat 30.
    self.assertEqual(mt.reward_tonic([HOLD] * 31, HOLD), 3.0)  # Beat 31.
    self.assertEqual(mt.reward_tonic([], G4, G_MAJOR), 3.0)
    self.assertEqual(mt.reward_tonic([], C4, G_MAJOR), 0.0)
    # composition_length 16: the tonic beat is 16 - 4 = 12.
    self.assertEqual(mt.reward_tonic([HOLD] * 12, C4, composition_length=16),
                     3.0)


class RepetitionTest(absltest.TestCase):

  def test_sixth_consecutive_pitch(self):
    # Five C4 before: the action is the 6th in a row.
    self.assertEqual(mt.reward_penalize_repeating([C4] * 5, C4), -100.0)
    self.assertEqual(mt.reward_penalize_repeating([C4] * 4, C4), 0.0)

  def test_eighth_pitch_with_holds_between(self):
    # C4 HOLD x 7 = seven C4 before, holds between: the 8th is excessive.
    self.assertEqual(mt.reward_penalize_repeating([C4, HOLD] * 7, C4), -100.0)
    self.assertEqual(mt.reward_penalize_repeating([C4, HOLD] * 6, C4), 0.0)
    # Five C4 with rests between are fine (the 6th needs no gaps).
    self.assertEqual(mt.reward_penalize_repeating([C4, OFF] * 5, C4), 0.0)

  def test_other_pitch_breaks_the_run(self):
    # Walking back from the end: E4, E4, then C4 stops the count at 2.
    self.assertEqual(mt.reward_penalize_repeating(
        [E4, E4, E4, C4, E4, E4], E4), 0.0)

  def test_third_note_off(self):
    self.assertEqual(mt.reward_penalize_repeating([C4, OFF, OFF], OFF), -100.0)
    self.assertEqual(mt.reward_penalize_repeating([C4, OFF], OFF), 0.0)
    # Holds between the rests do not stop the count: OFF, HOLD, OFF + OFF.
    self.assertEqual(mt.reward_penalize_repeating([C4, OFF, HOLD, OFF], OFF),
                     -100.0)

  def test_sixth_hold(self):
    self.assertEqual(mt.reward_penalize_repeating([C4] + [HOLD] * 5, HOLD),
                     -100.0)
    self.assertEqual(mt.reward_penalize_repeating([C4] + [HOLD] * 4, HOLD),
                     0.0)
    # A rest between the holds allows up to 7 before.
    self.assertEqual(mt.reward_penalize_repeating(
        [C4, HOLD, HOLD, HOLD, OFF, HOLD, HOLD, HOLD], HOLD), 0.0)

  def test_non_repeating(self):
    self.assertAlmostEqual(mt.reward_non_repeating([C4], D4), 0.1)
    self.assertEqual(mt.reward_non_repeating([C4] * 5, C4), -100.0)


class AutocorrelationTest(absltest.TestCase):

  def test_three_notes(self):
    # Signal 2, 4, 2: mean 8/3, deviations -2/3, 4/3, -2/3, sum of squares
    # 24/9. Lag 1: 2 x (-2/3)(4/3) = -16/9 -> c1 = -16/24 = -2/3.
    # Lag 2: (-2/3)(-2/3) = 4/9 -> c2 = 4/24 = 1/6 (> 0.15). Lag 3: n = 3, 0.
    self.assertAlmostEqual(mt.autocorrelate([2, 4, 2], 1), -2 / 3)
    self.assertAlmostEqual(mt.autocorrelate([2, 4, 2], 2), 1 / 6)
    self.assertEqual(mt.autocorrelate([2, 4, 2], 3), 0.0)
    # Penalty: -3 (2/3 + 1/6) = -2.5.
    self.assertAlmostEqual(
        mt.reward_penalize_autocorrelation([C3, 4], C3), -2.5)

  def test_alternating(self):
    # 14, 0 x 16: deviations +-7; lag 1 sums 31 products of -49 over
    # 32 x 49 -> -31/32; lag 2: +30/32.
    signal = [C4, OFF] * 16
    self.assertAlmostEqual(mt.autocorrelate(signal, 1), -31 / 32)
    self.assertAlmostEqual(mt.autocorrelate(signal, 2), 30 / 32)
    self.assertAlmostEqual(mt.autocorrelate(signal, 3), -29 / 32)

  def test_constant_is_undefined_and_free(self):
    self.assertTrue(mt.autocorrelate([C4, C4, C4], 1) != mt.autocorrelate(
        [C4, C4, C4], 1))  # NaN.
    self.assertEqual(mt.reward_penalize_autocorrelation([C4, C4], C4), 0.0)
    self.assertEqual(mt.reward_penalize_autocorrelation([], C4), 0.0)

  def test_below_threshold_costs_nothing(self):
    # 2 2 4 4 2 2 4 4: deviations -1 -1 1 1 -1 -1 1 1, sum of squares 8.
    # Lag 1: 1 - 1 + 1 - 1 + 1 - 1 + 1 = 1 -> 0.125 (free).
    # Lag 2: six products of -1 -> -0.75 (penalized).
    # Lag 3: -1 + 1 - 1 + 1 - 1 = -1 -> -0.125 (free).
    signal = [2, 2, 4, 4, 2, 2, 4, 4]
    self.assertAlmostEqual(mt.autocorrelate(signal, 1), 0.125)
    self.assertAlmostEqual(mt.autocorrelate(signal, 2), -0.75)
    self.assertAlmostEqual(mt.autocorrelate(signal, 3), -0.125)
    # Penalty: -3 x 0.75 = -2.25.
    self.assertAlmostEqual(
        mt.reward_penalize_autocorrelation(signal[:-1], signal[-1]), -2.25)


class MotifTest(absltest.TestCase):

  def test_c_e_g_motif(self):
    # C4 - E4 - G4 with holds: 8 events, 3 distinct pitches: +3.
    composition = [C4, HOLD, E4, HOLD, G4, HOLD, HOLD]
    self.assertEqual(mt.reward_motif(composition, HOLD), 3.0)
    # Seven events only: no motif yet.
    self.assertEqual(mt.reward_motif(composition[:-1], HOLD), 0.0)

  def test_bigger_motif_bonus(self):
    # C D E F G + 3 holds: 5 distinct -> 3 + 0.3 x 2 = 3.6.
    self.assertAlmostEqual(
        mt.reward_motif([C4, D4, E4, F4, G4, HOLD, HOLD], HOLD), 3.6)

  def test_two_pitches_are_no_motif(self):
    self.assertEqual(mt.reward_motif([C4, E4] * 4, C4), 0.0)

  def test_repeated_motif(self):
    motif = [C4, HOLD, E4, HOLD, G4, HOLD, OFF, HOLD]
    # M M: the second M repeats the first: +4 + (3 - 3) = 4.
    self.assertEqual(mt.reward_repeated_motif(motif + motif[:7], motif[7]),
                     4.0)
    # With 5 distinct pitches: +4 + 2 = 6.
    big = [C4, D4, E4, F4, G4, HOLD, OFF, HOLD]
    self.assertEqual(mt.reward_repeated_motif(big + [OFF] + big[:7], big[7]),
                     6.0)

  def test_overlapping_repeat_does_not_count(self):
    # 15 events: the earlier part holds only 7 events, no disjoint copy.
    motif = [C4, HOLD, E4, HOLD, G4, HOLD, OFF, HOLD]
    self.assertFalse(mt.detect_repeated_motif(motif[1:] + motif[:7],
                                              motif[7])[0])

  def test_changed_motif_is_not_repeated(self):
    motif = [C4, HOLD, E4, HOLD, G4, HOLD, OFF, HOLD]
    self.assertEqual(mt.reward_repeated_motif(motif + motif[:7], OFF), 0.0)


class PreferredIntervalsTest(absltest.TestCase):

  def test_table(self):
    cases = [
        ([C4], E4, 0.15),  # In-key third from C.
        ([E4], 22, 0.15),  # 4 up from E (to G#): in-key third (as public).
        ([D4], 20, 0.09),  # D -> F#: a major third not from C or E.
        ([C4], G4, 0.1),  # In-key fifth.
        ([D4], A4, 0.02),  # Other fifth.
        ([C4], D4, 0.08),  # Second.
        ([C4], F4, 0.07),  # Fourth.
        ([C4], A4, 0.05),  # Sixth.
        ([C4], B4, -0.3),  # Seventh.
        ([C4], C5, 0.0),  # Octave.
        ([C4], CS4, 0.0),  # Semitone.
        ([C4], C4, 0.0),  # Unison.
        ([C3], D4, -1.0),  # 14 semitones.
        ([C4], HOLD, 0.3),  # Hold after the tonic.
        ([G4], HOLD, 0.3),  # Hold after the dominant.
        ([D4], HOLD, 0.075),
        ([G4], OFF, 0.15),  # Rest after the dominant.
        ([D4], OFF, 0.05),
        ([C4, OFF, HOLD], E4, 0.15),  # Rests skipped: C -> E.
        ([OFF, HOLD], C4, 0.0),  # No earlier pitch.
        ([], C4, 0.0),
    ]
    for composition, action, value in cases:
      self.assertAlmostEqual(
          mt.reward_preferred_intervals(composition, action), 5 * value,
          msg=f'{composition} -> {action}')

  def test_key(self):
    # In G major, G -> D (7 up) is the in-key fifth, C -> G is not.
    self.assertAlmostEqual(mt.reward_preferred_intervals([G4], 28, G_MAJOR),
                           0.5)
    self.assertAlmostEqual(mt.reward_preferred_intervals([C4], G4, G_MAJOR),
                           0.1)


class LeapTest(absltest.TestCase):

  def test_sixth_resolved_by_steps(self):
    # C4 -> A4 leaps up a sixth (9); steps down G F E D; reaching C4 (back to
    # where the leap started) resolves it: +5.
    composition = [C4, A4, G4, F4, E4, D4]
    self.assertEqual(mt.reward_leap_up_back(composition, C4), 5.0)
    self.assertEqual(mt.reward_leap_up_back(composition[:-1], D4), 0.0)
    self.assertEqual(mt.leap_outcomes(composition + [C4]),
                     [0, 0, 0, 0, 0, 0, 1])

  def test_double_leap(self):
    # C4 -> A4 (+9), A4 -> E5 (+7): the same direction twice: -5.
    self.assertEqual(mt.reward_leap_up_back([C4, A4], 30), -5.0)

  def test_leap_back_needs_time(self):
    # Leaping straight back (C4 A4 C4) ends the leap without a bonus.
    self.assertEqual(mt.reward_leap_up_back([C4, A4], C4), 0.0)
    # After 7 holds (more than 6 events since the leap) it resolves: +5.
    self.assertEqual(mt.reward_leap_up_back([C4, A4] + [HOLD] * 7, C4), 5.0)
    self.assertEqual(mt.reward_leap_up_back([C4, A4] + [HOLD] * 6, C4), 0.0)

  def test_leap_state_resets(self):
    # After the immediate leap back the state is empty: a later step to D4 is
    # not a resolution, and a new leap up starts a new state.
    self.assertEqual(mt.leap_outcomes([C4, A4, C4, D4, B4, A4, G4]),
                     [0, 0, 0, 0, 0, 0, 0])
    # Downward leap C5 -> D4 (-10) resolved by climbing back to C5.
    self.assertEqual(mt.leap_outcomes([C5, D4, F4, A4, C5]), [0, 0, 0, 0, 1])

  def test_rests_do_not_resolve(self):
    self.assertEqual(mt.leap_outcomes([C4, A4, OFF, HOLD, OFF]),
                     [0, 0, 0, 0, 0])


class HighLowUniqueTest(absltest.TestCase):

  def test_last_beat_only(self):
    composition = [C4, HOLD, D4, HOLD] * 7 + [C4, HOLD, D4]  # 31 events.
    # C5 is the unique highest; C4 (8 times) is the lowest: +3.
    self.assertEqual(mt.reward_high_low_unique(composition, C5), 3.0)
    # C3 is the unique lowest; D4 (8 times) the highest: +3.
    self.assertEqual(mt.reward_high_low_unique(composition, C3), 3.0)
    self.assertEqual(mt.reward_high_low_unique(composition[:-1], C5), 0.0)

  def test_both_unique(self):
    composition = [C4] + [HOLD] * 30
    # Only one pitch: it is both the unique highest and lowest: +6.
    self.assertEqual(mt.reward_high_low_unique(composition, HOLD), 6.0)
    self.assertEqual(mt.reward_high_low_unique([HOLD] * 31, OFF), 0.0)


class ScaleTest(absltest.TestCase):

  def test_scale(self):
    # C4 -> D4: up by 2 (+0.05), in the scale (+0.01), next scale note (+0.8).
    self.assertAlmostEqual(mt.reward_scale([C4], D4), 0.86)
    # The scale's top (C5) wraps to its bottom (C3): 0.01 + 0.8.
    self.assertAlmostEqual(mt.reward_scale([C5], C3), 0.81)
    self.assertAlmostEqual(mt.reward_scale([C4], HOLD), 0.1)
    self.assertAlmostEqual(mt.reward_scale([], C4), 0.01)
    self.assertAlmostEqual(mt.reward_scale([C4], CS4), 0.05)
    self.assertEqual(mt.scale_actions(encoding.C_MAJOR),
                     [2, 4, 6, 7, 9, 11, 13, 14, 16, 18, 19, 21, 23, 25, 26])


class MusicTheoryRewardTest(absltest.TestCase):

  def test_first_tonic(self):
    # Beat 0, tonic: key 0 + tonic 3; nothing else applies.
    self.assertEqual(mt.music_theory_reward_reference([], C4), 3.0)

  def test_sum_of_rules(self):
    composition = [C4, HOLD, E4, HOLD, G4, HOLD, HOLD]
    # key 0, tonic 0, repetition 0, motif +3, repeated 0, hold after G +1.5,
    # leap 0, and the autocorrelation of 14 1 18 1 21 1 1 1.
    expected = (3.0 + 1.5 +
                mt.reward_penalize_autocorrelation(composition, HOLD))
    self.assertAlmostEqual(
        mt.music_theory_reward_reference(composition, HOLD), expected)
    self.assertLess(mt.reward_penalize_autocorrelation(composition, HOLD), 0)

  def test_errors(self):
    with self.assertRaisesRegex(ValueError, '38'):
      mt.music_theory_reward_reference([C4], 38)
    with self.assertRaisesRegex(ValueError, 'composition_length'):
      mt.music_theory_reward_reference([C4] * 32, C4)


if __name__ == '__main__':
  absltest.main()
