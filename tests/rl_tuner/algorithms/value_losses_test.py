"""Tests for the Q, Psi and G learning losses on hand-made 2-row tensors."""

from absl.testing import parameterized
import numpy as np
import tensorflow as tf

from rl_tuner.algorithms import value_losses


class ValueLossesTest(tf.test.TestCase, parameterized.TestCase):

  def setUp(self):
    super().setUp()
    self.q_tm1 = tf.constant([[1.0, 2.0, 0.0], [0.5, -1.0, 3.0]])
    self.a_tm1 = tf.constant([1, 2])
    self.r_t = tf.constant([0.5, -1.0])
    self.discount_t = tf.constant([0.5, 0.0])
    self.q_t = tf.constant([[0.0, 2.0, 1.0], [4.0, 4.0, 4.0]])

  def test_q_learning(self):
    out = value_losses.q_learning(self.q_tm1, self.a_tm1, self.r_t,
                                  self.discount_t, self.q_t)
    # Row 0: y = 0.5 + 0.5 * max(0, 2, 1) = 1.5; Q(s, 1) = 2 -> td = -0.5.
    # Row 1: y = -1 + 0 * 4 = -1; Q(s, 2) = 3 -> td = -4.
    self.assertAllClose(out.extra.target, [1.5, -1.0])
    self.assertAllClose(out.extra.td_error, [-0.5, -4.0])
    self.assertAllClose(out.loss, [0.25, 16.0])

  def test_psi_learning(self):
    out = value_losses.psi_learning(self.q_tm1, self.a_tm1, self.r_t,
                                    self.discount_t, self.q_t)
    lse0 = np.log(np.exp(0.0) + np.exp(2.0) + np.exp(1.0))  # 2.4076
    self.assertAllClose(out.extra.target, [0.5 + 0.5 * lse0, -1.0])
    self.assertAllClose(out.loss, [(0.5 + 0.5 * lse0 - 2.0)**2, 16.0])

  def test_soft_maximum_by_hand(self):
    q = tf.constant([[0.0, np.log(3.0)]])
    self.assertAllClose(value_losses.soft_maximum(q, 1.0), [np.log(4.0)])
    # tau = 0.5: 0.5 * ln(e^0 + e^(2 ln 3)) = 0.5 * ln 10.
    self.assertAllClose(value_losses.soft_maximum(q, 0.5),
                        [0.5 * np.log(10.0)])
    self.assertAllClose(value_losses.soft_maximum(q, 0.0), [np.log(3.0)])

  def test_entropy_bonus_softens_the_backup(self):
    # Q with beta = 0.5: row 0 target 0.5 + 0.5 * 0.5 * ln(1 + e^4 + e^2).
    loss = value_losses.get_loss('q', entropy_bonus=0.5)
    out = loss(self.q_tm1, self.a_tm1, self.r_t, self.discount_t, self.q_t)
    soft0 = 0.5 * np.log(1.0 + np.exp(4.0) + np.exp(2.0))  # 2.0636
    self.assertAllClose(out.extra.target, [0.5 + 0.5 * soft0, -1.0])
    # Psi with beta = 1: tau = 2; beta = 0 is the paper's loss itself.
    self.assertEqual(value_losses.policy_temperature('psi', 1.0), 2.0)
    self.assertEqual(value_losses.policy_temperature('q', 0.0), 0.0)
    self.assertIs(value_losses.get_loss('psi', 0.0),
                  value_losses.psi_learning)
    out = value_losses.get_loss('psi', 1.0)(
        self.q_tm1, self.a_tm1, self.r_t, self.discount_t, self.q_t)
    soft0 = 2.0 * np.log(1.0 + np.exp(1.0) + np.exp(0.5))  # 2.8497
    self.assertAllClose(out.extra.target, [0.5 + 0.5 * soft0, -1.0])
    with self.assertRaisesRegex(ValueError, 'entropy_bonus'):
      value_losses.get_loss('g', 0.5)

  def test_g_learning_adds_log_prior(self):
    log_prior = tf.math.log(tf.constant([[0.5, 0.25, 0.25], [0.2, 0.3, 0.5]]))
    out = value_losses.g_learning(self.q_tm1, self.a_tm1, self.r_t,
                                  self.discount_t, self.q_t,
                                  log_prior_t=log_prior)
    # Row 0: logsumexp(q_t + log p) = log(0.5 e^0 + 0.25 e^2 + 0.25 e^1).
    lse0 = np.log(0.5 + 0.25 * np.exp(2.0) + 0.25 * np.exp(1.0))
    self.assertAllClose(out.extra.target, [0.5 + 0.5 * lse0, -1.0])

  def test_g_learning_needs_prior(self):
    with self.assertRaisesRegex(ValueError, 'log_prior_t'):
      value_losses.g_learning(self.q_tm1, self.a_tm1, self.r_t,
                              self.discount_t, self.q_t)

  @parameterized.parameters('q', 'psi', 'pure_rl')
  def test_no_gradient_through_target(self, algorithm):
    q_t = tf.Variable(self.q_t)
    with tf.GradientTape() as tape:
      out = value_losses.get_loss(algorithm)(
          self.q_tm1, self.a_tm1, self.r_t, self.discount_t, q_t)
      loss = tf.reduce_mean(out.loss)
    self.assertIsNone(tape.gradient(loss, q_t))

  def test_rank_check(self):
    with self.assertRaises(ValueError):
      value_losses.q_learning(self.q_tm1, self.a_tm1[:, None], self.r_t,
                              self.discount_t, self.q_t)

  def test_unknown_algorithm(self):
    with self.assertRaisesRegex(ValueError, "'sarsa'.*'g'"):
      value_losses.get_loss('sarsa')


if __name__ == '__main__':
  tf.test.main()
