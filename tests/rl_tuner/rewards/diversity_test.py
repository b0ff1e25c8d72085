"""Tests for the diversity and fidelity metrics (numpy only)."""

import math

from absl.testing import absltest
import numpy as np

from rl_tuner.rewards import diversity

C4, E4, G4, C5, H, OFF = 14, 18, 21, 26, 1, 0
# The C-E-G loop: C4 - G4 - E4 - C4 - (x4).
LOOP = [C4, H, G4, H, E4, H, C4, H] * 4


class DiversityTest(absltest.TestCase):

  def test_loop_by_hand(self):
    acc = diversity.DiversityAccumulator()
    acc.add(np.array([LOOP] * 3))
    r = acc.result()
    # Onsets per loop: C, G, E, C -> p = (1/2, 1/4, 1/4): H = 1.5 bits.
    self.assertAlmostEqual(r['pitch_class_entropy_bits'], 1.5)
    self.assertEqual(r['distinct_pitches_per_composition'], 3.0)
    self.assertEqual(r['onsets_pct'], 50.0)  # Every other step.
    self.assertEqual(r['top_opening_pct'], 100.0)
    self.assertEqual(r['top_opening'], 'C4 - G4 -')
    self.assertNotIn('overlap_ioi', r)  # No reference.

  def test_openings_and_distinct_pitches_across_batches(self):
    acc = diversity.DiversityAccumulator()
    a = [C4, H, E4, H] + [H] * 28            # Opening A, pitches {60, 64}.
    b = [G4, OFF, C5, C4] + [C5] * 28        # Opening B, pitches {67, 72, 60}.
    acc.add(np.array([a, b]))
    acc.add(np.array([a]))
    r = acc.result()
    self.assertAlmostEqual(r['top_opening_pct'], 100 * 2 / 3)
    self.assertEqual(r['top_opening'], 'C4 - E4 -')
    self.assertAlmostEqual(r['distinct_pitches_per_composition'],
                           (2 + 3 + 2) / 3)

  def test_pitch_class_counts_by_hand(self):
    cs4 = 15  # C#4.
    counts = diversity.pitch_class_counts(
        np.array([[C4, H, C5, OFF, E4, cs4], [H, H, H, H, H, H]]))
    expected = np.zeros([2, 12])
    expected[0, [0, 4, 1]] = [2, 1, 1]  # C4 and C5 are both class 0.
    np.testing.assert_array_equal(counts, expected)

  def test_entropy_bits_by_hand(self):
    # [2, 1, 1] -> 0.5 log2 2 + 2 * 0.25 log2 4 = 1.5 bits; empty -> 0.
    np.testing.assert_allclose(
        diversity.entropy_bits(np.array([[2.0, 1, 1, 0], [0, 0, 0, 0]])),
        [1.5, 0.0])

  def test_features_by_hand(self):
    # Onsets at steps 0, 2, 4, 6 (C4, G4, E4, C4): range 67 - 60 = 7,
    # mean IOI (6 - 0) / 3 = 2; pitch classes C 1/2, E 1/4, G 1/4.
    f = diversity.composition_features(np.array([LOOP[:8], [H] * 8]))
    self.assertEqual(f['pitch_range'][0], 7.0)
    self.assertEqual(f['ioi'][0], 2.0)
    np.testing.assert_allclose(f['pitch_class'][0, [0, 4, 7]],
                               [0.5, 0.25, 0.25])
    self.assertTrue(math.isnan(f['pitch_range'][1]))
    self.assertTrue(math.isnan(f['ioi'][1]))

  def test_overlapping_area(self):
    rng = np.random.default_rng(0)
    same = diversity.overlapping_area(rng.normal(size=4000),
                                      rng.normal(size=4000))
    # N(0,1) vs N(3,1): OA = 2 * Phi(-1.5) = 0.134.
    apart = diversity.overlapping_area(rng.normal(size=4000),
                                       rng.normal(3.0, 1.0, size=4000))
    self.assertGreater(same, 0.95)
    self.assertAlmostEqual(apart, 0.134, delta=0.02)
    self.assertTrue(math.isnan(diversity.overlapping_area([], [1.0])))

  def test_overlap_against_a_reference(self):
    rng = np.random.default_rng(1)
    real = rng.integers(2, 38, size=[300, 32])
    acc = diversity.DiversityAccumulator(reference=real)
    acc.add(rng.integers(2, 38, size=[300, 32]))
    similar = acc.result()
    acc = diversity.DiversityAccumulator(reference=real)
    acc.add(np.array([LOOP] * 300))
    loop = acc.result()
    for name in diversity.FEATURES:
      self.assertGreater(similar[f'overlap_{name}'], 0.9)
      self.assertLess(loop[f'overlap_{name}'], 0.1)

  def test_bad_input(self):
    acc = diversity.DiversityAccumulator()
    with self.assertRaisesRegex(ValueError, 'shape'):
      acc.add(np.zeros([2, 3], np.int32))
    with self.assertRaisesRegex(ValueError, 'events'):
      acc.add(np.full([1, 8], 38))


if __name__ == '__main__':
  absltest.main()
