"""Tests for soft target updates."""

import tensorflow as tf

from rl_tuner.algorithms import target_update


class TargetUpdateTest(tf.test.TestCase):

  def test_soft_update_arithmetic(self):
    target = [tf.Variable([1.0, 2.0]), tf.Variable([[0.0]])]
    online = [tf.Variable([3.0, -2.0]), tf.Variable([[10.0]])]
    target_update.soft_update(target, online, 0.25)
    # 0.75 * 1 + 0.25 * 3 = 1.5; 0.75 * 2 + 0.25 * -2 = 1.0; 0.25 * 10 = 2.5.
    self.assertAllClose(target[0], [1.5, 1.0])
    self.assertAllClose(target[1], [[2.5]])
    self.assertAllClose(online[0], [3.0, -2.0])  # Online untouched.

  def test_tau_one_copies(self):
    target, online = [tf.Variable([1.0])], [tf.Variable([7.0])]
    target_update.soft_update(target, online, 1.0)
    self.assertAllClose(target[0], [7.0])

  def test_mismatch(self):
    with self.assertRaisesRegex(ValueError, '1 target variables but 2'):
      target_update.soft_update([tf.Variable(1.0)],
                                [tf.Variable(1.0), tf.Variable(2.0)], 0.1)
    with self.assertRaisesRegex(ValueError, 'shape mismatch'):
      target_update.soft_update([tf.Variable([1.0])], [tf.Variable([1.0, 2.0])],
                                0.1)


if __name__ == '__main__':
  tf.test.main()
