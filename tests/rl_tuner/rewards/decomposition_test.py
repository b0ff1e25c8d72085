"""Tests of the per-rule decomposition of r_MT, with hand-computed values."""

from absl.testing import absltest
import numpy as np

from rl_tuner.rewards import batched
from rl_tuner.rewards import decomposition
from tests.rl_tuner.rewards import composition_generators as gen

C4, D4, E4, G4, HOLD, OFF = 14, 16, 18, 21, 1, 0


class DecompositionTest(absltest.TestCase):

  def test_rules_sum_to_the_reward(self):
    x = gen.realistic(np.random.default_rng(7), 300)
    parts = decomposition.rule_rewards(x)
    self.assertEqual(tuple(parts), decomposition.RULES)
    total = sum(parts.values())
    np.testing.assert_allclose(total, batched.music_theory_reward_per_step(x),
                               atol=1e-4)
    # Every rule pays something on these compositions (else the test is weak).
    for rule, r in parts.items():
      self.assertTrue(np.any(r != 0), rule)

  def test_held_tonic_opening_by_hand(self):
    # C4 held three steps: tonic at beat 0 (+3), three holds after the tonic
    # (5 x 0.3 = 1.5 each), then D4 (a second from C4: 5 x 0.08 = 0.4).
    x = np.array([[C4, HOLD, HOLD, HOLD, D4]])
    parts = decomposition.rule_rewards(x, composition_length=32)
    np.testing.assert_allclose(parts['tonic'], [[3, 0, 0, 0, 0]])
    np.testing.assert_allclose(parts['hold_after_tonic_or_fifth'],
                               [[0, 1.5, 1.5, 1.5, 0]])
    np.testing.assert_allclose(parts['other_intervals'], [[0, 0, 0, 0, 0.4]])
    by_pc = decomposition.by_sounding_pitch_class(parts, x)
    self.assertAlmostEqual(by_pc['hold_after_tonic_or_fifth'][0], 4.5)
    self.assertAlmostEqual(by_pc['tonic'][0], 3.0)
    self.assertAlmostEqual(by_pc['other_intervals'][2], 0.4)  # D.

  def test_sounding_pitch_class(self):
    x = np.array([[HOLD, E4, HOLD, OFF, G4]])
    np.testing.assert_array_equal(decomposition.sounding_pitch_class(x),
                                  [[12, 4, 4, 4, 7]])

  def test_histogram_and_openings(self):
    x = np.array([[C4, HOLD, E4, HOLD], [C4, HOLD, E4, HOLD],
                  [G4, HOLD, HOLD, HOLD]])
    np.testing.assert_allclose(decomposition.pitch_class_histogram(x)[[0, 4, 7]],
                               [0.4, 0.4, 0.2])
    self.assertEqual(decomposition.opening_counts(x, top=2),
                     [('C4 - E4 -', 200 / 3), ('G4 - - -', 100 / 3)])

  def test_max_entropy_bits(self):
    self.assertAlmostEqual(decomposition.max_entropy_bits(0.0), np.log2(7))
    # q = 0.01: h(q) = 0.080793, 0.99 log2 7 = 2.779281, 0.01 log2 5 = 0.023219.
    self.assertAlmostEqual(decomposition.max_entropy_bits(0.01), 2.883294,
                           places=5)
    with self.assertRaisesRegex(ValueError, 'out_of_key_share'):
      decomposition.max_entropy_bits(1.5)


if __name__ == '__main__':
  absltest.main()
