"""Table 1 statistics on hand-made compositions, and against the reference."""

import math

from absl.testing import absltest
import numpy as np

from rl_tuner import encoding
from rl_tuner.rewards import statistics
from tests.rl_tuner.rewards import composition_generators as gen

# C D E F G hold hold hold, four times.
SCALE_PHRASES = [14, 16, 18, 19, 21, 1, 1, 1] * 4
# C rest, sixteen times.
C_AND_RESTS = [14, 0] * 16
# C E alternating: every interval is an in-key third.
C_E = [14, 18] * 16
# C4 A4 E5 C#4 (leap, double leap, leap back too soon), then D4 hold C4 hold.
LEAPS = [14, 23, 30, 15] + [16, 1, 14, 1] * 7


def stats(*compositions, key=encoding.C_MAJOR):
  acc = statistics.StatisticsAccumulator(key)
  acc.add(np.array(compositions))
  return acc.result()


class HandMadeTest(absltest.TestCase):

  def test_scale_phrases(self):
    r = stats(SCALE_PHRASES)
    self.assertEqual(r['num_compositions'], 1)
    self.assertEqual(r['num_notes'], 32)
    self.assertEqual(r['starting_with_tonic_pct'], 100)
    self.assertEqual(r['notes_not_in_key_pct'], 0)
    self.assertEqual(r['notes_excessively_repeated_pct'], 0)  # <= 3 holds.
    # Every 8-event window from event 7 on holds C D E F G: 25 of 32 events.
    self.assertAlmostEqual(r['notes_in_motif_pct'], 100 * 25 / 32)
    # The window starting 8 events earlier is identical from event 15 on:
    # 17 of 32 events.
    self.assertAlmostEqual(r['notes_in_repeated_motif_pct'], 100 * 17 / 32)
    # G4 -> C4 (down 7, a leap) at events 8, 16, 24; climbing back to G4
    # resolves each (events 12, 20, 28): 3 resolved, 0 doubled.
    self.assertEqual(r['leaps_resolved_pct'], 100)
    self.assertEqual(r['resolved_leaps'], 3)
    # C4 and G4 each occur 4 times.
    self.assertEqual(r['unique_max_note_pct'], 0)
    self.assertEqual(r['unique_min_note_pct'], 0)
    # Per phrase: C-D, D-E, F-G seconds (E-F is a semitone), 3 holds after
    # G; G -> C in-key fifths between phrases (3).
    self.assertEqual(r['seconds'], 12)
    self.assertEqual(r['holds'], 12)
    self.assertEqual(r['fifths'], 3)
    self.assertEqual(r['in_key_fifths'], 3)
    self.assertEqual(r['thirds'], 0)
    self.assertEqual(r['rests'], 0)

  def test_c_and_rests(self):
    r = stats(C_AND_RESTS)
    # The C at event 2k has k earlier Cs with rests between: excessive from
    # k = 7 (the 8th): events 14, 16, ..., 30 = 9 of 32.
    self.assertAlmostEqual(r['notes_excessively_repeated_pct'], 100 * 9 / 32)
    # Deviations +-7: lag 1 = -31/32, lag 2 = 30/32, lag 3 = -29/32.
    self.assertAlmostEqual(r['autocorrelation_lag1'], -31 / 32)
    self.assertAlmostEqual(r['autocorrelation_lag2'], 30 / 32)
    self.assertAlmostEqual(r['autocorrelation_lag3'], -29 / 32)
    # 16 rests, each after the tonic.
    self.assertEqual(r['rests'], 16)
    self.assertEqual(r['special_rests'], 16)
    self.assertEqual(r['notes_in_motif_pct'], 0)
    self.assertTrue(math.isnan(r['leaps_resolved_pct']))  # No leap at all.

  def test_in_key_thirds_are_counted(self):
    # 31 intervals, each 4 semitones from C or from E: all in-key thirds (the
    # public statistics counted none of them).
    r = stats(C_E)
    self.assertEqual(r['thirds'], 31)
    self.assertEqual(r['in_key_thirds'], 31)
    self.assertEqual(r['in_key_preferred_intervals'], 31)

  def test_leaps(self):
    r = stats(LEAPS)
    # C4 -> A4 starts an upward leap, A4 -> E5 doubles it, E5 -> C#4 leaps
    # back after 0 events (no bonus): 0 resolved, 1 doubled.
    self.assertEqual(r['leaps_resolved_pct'], 0)
    self.assertEqual(r['double_leaps'], 1)
    self.assertAlmostEqual(r['notes_not_in_key_pct'], 100 / 32)  # C#4.
    self.assertEqual(r['unique_max_note_pct'], 100)  # E5 once.
    self.assertEqual(r['unique_min_note_pct'], 0)  # C4 8 times.
    # Windows ending at events 7..10 hold >= 3 distinct pitches.
    self.assertAlmostEqual(r['notes_in_motif_pct'], 100 * 4 / 32)
    # Intervals: sixth (C-A), fifth (A-E, not from C or G), 15 semitones
    # (E5-C#4), then 6 seconds C-D, 7 seconds D-C, 14 holds.
    self.assertEqual(r['sixths'], 1)
    self.assertEqual(r['fifths'], 1)
    self.assertEqual(r['in_key_fifths'], 0)
    self.assertEqual(r['octave_jumps'], 1)
    self.assertEqual(r['seconds'], 13)
    self.assertEqual(r['holds'], 14)

  def test_two_compositions(self):
    r = stats(SCALE_PHRASES, C_AND_RESTS)
    # 64 events; 9 excessive, 25 in motif, 17 in repeated motif.
    self.assertAlmostEqual(r['notes_excessively_repeated_pct'], 100 * 9 / 64)
    self.assertAlmostEqual(r['notes_in_motif_pct'], 100 * 25 / 64)
    self.assertAlmostEqual(r['notes_in_repeated_motif_pct'], 100 * 17 / 64)
    self.assertEqual(r['seconds'], 6)  # 12 per 2 compositions.
    self.assertEqual(r['rests'], 8)

  def test_key(self):
    # In G major (tonic 21) C D E F G ... starts off the tonic and F is out.
    r = stats(SCALE_PHRASES, key=encoding.KeyConfig(tonic_pitch=67))
    self.assertEqual(r['starting_with_tonic_pct'], 0)
    self.assertAlmostEqual(r['notes_not_in_key_pct'], 100 * 4 / 32)


class AccumulatorTest(absltest.TestCase):

  def test_equals_reference(self):
    rng = np.random.default_rng(2024)
    comps = np.concatenate([gen.realistic(rng, 200), gen.uniform(rng, 100),
                            np.ones((2, 32), int), np.full((1, 32), 14)])
    for key in (encoding.C_MAJOR, encoding.KeyConfig(57, 'minor')):
      acc = statistics.StatisticsAccumulator(key)
      acc.add(comps[:123])  # Batches add up.
      acc.add(comps[123:])
      got = acc.result()
      want = statistics.statistics_reference(comps, key)
      self.assertEqual(set(got), set(want))
      for name in want:
        if math.isnan(want[name]):
          self.assertTrue(math.isnan(got[name]), name)
        else:
          self.assertAlmostEqual(got[name], want[name], places=5, msg=name)
      self.assertGreater(got['notes_in_repeated_motif_pct'], 0)

  def test_required_keys_and_paper_table(self):
    result = stats(SCALE_PHRASES)
    for name in ('notes_excessively_repeated_pct', 'autocorrelation_lag1',
                 'autocorrelation_lag2', 'autocorrelation_lag3',
                 'notes_not_in_key_pct', 'starting_with_tonic_pct',
                 'leaps_resolved_pct', 'unique_max_note_pct',
                 'unique_min_note_pct', 'notes_in_motif_pct',
                 'notes_in_repeated_motif_pct', 'num_compositions',
                 'num_notes', 'octave_jumps', 'sevenths', 'fifths', 'sixths',
                 'fourths', 'seconds', 'thirds', 'rests',
                 'mean_music_theory_reward'):
      self.assertIn(name, result)
      self.assertIsInstance(result[name], float)
    self.assertEqual(set(statistics.PAPER_TABLE_1), {'note_rnn', 'q', 'psi',
                                                     'g'})
    for column in statistics.PAPER_TABLE_1.values():
      self.assertLessEqual(set(column), set(result))
    self.assertEqual(
        statistics.PAPER_TABLE_1['note_rnn']['notes_excessively_repeated_pct'],
        63.3)
    self.assertEqual(statistics.PAPER_TABLE_1['q']['leaps_resolved_pct'], 91.1)
    self.assertEqual(statistics.PAPER_TABLE_1['g']['autocorrelation_lag1'],
                     0.55)

  def test_empty_and_errors(self):
    acc = statistics.StatisticsAccumulator()
    self.assertTrue(math.isnan(acc.result()['notes_in_motif_pct']))
    with self.assertRaisesRegex(ValueError, r'\[N, 32\]'):
      acc.add(np.zeros((3, 31), int))
    with self.assertRaisesRegex(ValueError, r'\[0, 37\]'):
      acc.add(np.full((1, 32), 40))
    with self.assertRaisesRegex(ValueError, 'composition_length'):
      statistics.StatisticsAccumulator(composition_length=0)


if __name__ == '__main__':
  absltest.main()
