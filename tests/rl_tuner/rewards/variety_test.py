"""Tests for the pitch-class variety reward."""

from absl.testing import absltest
import numpy as np

from rl_tuner.rewards import diversity
from rl_tuner.rewards import variety

C4, D4, E4, C5, CS4 = 14, 16, 18, 26, 15  # Actions (pitch = action + 46).
HOLD, OFF = 1, 0


class VarietyTest(absltest.TestCase):

  def test_gains_telescope_to_the_compositions_entropy(self):
    x = np.array([[C4, HOLD, D4, E4, C5, OFF, D4, CS4]])
    gains = [variety.pitch_class_entropy_gain(x[:, :t + 1])[0]
             for t in range(x.shape[1])]
    # C: 0; C D: 1 bit; hold, rest: 0; C D E: log2 3; C D E C: 1.5.
    np.testing.assert_allclose(gains[:5], [0, 0, 1, np.log2(3) - 1,
                                           1.5 - np.log2(3)], atol=1e-6)
    self.assertEqual(gains[1], 0.0)
    self.assertEqual(gains[5], 0.0)
    total = diversity.entropy_bits(diversity.pitch_class_counts(x))[0]
    self.assertAlmostEqual(sum(gains), total, places=5)
    # C x2, D x2, E, C#: -(2 * 1/3 log2 1/3 + 2 * 1/6 log2 1/6) = 1.918 bits.
    self.assertAlmostEqual(total, 1.9183, places=4)

  def test_bad_shape(self):
    with self.assertRaisesRegex(ValueError, r'\[B, t \+ 1 >= 1\]'):
      variety.pitch_class_entropy_gain(np.zeros((2, 0), np.int32))


if __name__ == '__main__':
  absltest.main()
