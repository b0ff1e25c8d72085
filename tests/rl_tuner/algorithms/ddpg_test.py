"""Tests for rl_tuner.algorithms.ddpg: shapes, losses by hand, soft update."""

import numpy as np
import tensorflow as tf

from rl_tuner.algorithms import ddpg


class NetworksTest(tf.test.TestCase):

  def test_actor_shapes_and_range(self):
    actor = ddpg.build_actor(3, 4, seed=1)
    # [3, 10, 12, 4]: kernels 3x10, 10x12, 12x4 plus biases.
    self.assertEqual([w.shape for w in actor.get_weights()],
                     [(3, 10), (10,), (10, 12), (12,), (12, 4), (4,)])
    out = actor(np.random.default_rng(0).normal(size=(5, 3)) * 10).numpy()
    self.assertEqual(out.shape, (5, 4))
    self.assertTrue(np.all((out >= 0) & (out <= 1)))  # sigmoid output.

  def test_critic_takes_state_and_action(self):
    critic = ddpg.build_critic(3, 4, seed=1)
    self.assertEqual([w.shape for w in critic.get_weights()],
                     [(7, 10), (10,), (10, 10), (10,), (10, 1), (1,)])
    q = ddpg.critic_value(critic, tf.zeros([2, 3]), tf.ones([2, 4]))
    self.assertEqual(q.shape, (2,))

  def test_seeded_networks_repeat(self):
    a = ddpg.build_actor(2, 2, seed=4).get_weights()
    b = ddpg.build_actor(2, 2, seed=4).get_weights()
    for x, y in zip(a, b):
      self.assertAllEqual(x, y)

  def test_bad_sizes(self):
    with self.assertRaisesRegex(ValueError, 'sizes must be positive'):
      ddpg.build_actor(0, 2)


class LossesTest(tf.test.TestCase):

  def test_critic_loss_by_hand(self):
    q_tm1 = tf.constant([1.0, 0.0])
    r_t = tf.constant([1.0, -1.0])
    discount_t = tf.constant([0.95, 0.0])
    q_t = tf.constant([2.0, 5.0])
    out = ddpg.critic_loss(q_tm1, r_t, discount_t, q_t)
    # targets: 1 + 0.95 * 2 = 2.9; -1 + 0 * 5 = -1.
    # td: 2.9 - 1 = 1.9; -1 - 0 = -1; loss 3.61, 1.
    self.assertAllClose(out.extra.target, [2.9, -1.0])
    self.assertAllClose(out.extra.td_error, [1.9, -1.0])
    self.assertAllClose(out.loss, [3.61, 1.0])

  def test_critic_target_has_no_gradient(self):
    q_t = tf.Variable([2.0, 5.0])
    q_tm1 = tf.Variable([1.0, 0.0])
    with tf.GradientTape() as tape:
      loss = tf.reduce_sum(ddpg.critic_loss(
          q_tm1, tf.constant([1.0, -1.0]), tf.constant([0.95, 0.0]),
          q_t).loss)
    g_t, g_tm1 = tape.gradient(loss, [q_t, q_tm1])
    self.assertIsNone(g_t)
    # d/dq (y - q)^2 = -2 (y - q): -3.8, 2.
    self.assertAllClose(g_tm1, [-3.8, 2.0])

  def test_actor_loss_is_negative_q(self):
    out = ddpg.actor_loss(tf.constant([0.5, -2.0]))
    self.assertAllClose(out.loss, [-0.5, 2.0])

  def test_rank_checks(self):
    with self.assertRaisesRegex(ValueError, 'q_tm1 must have rank 1'):
      ddpg.critic_loss(tf.zeros([2, 1]), tf.zeros([2]), tf.zeros([2]),
                       tf.zeros([2]))
    with self.assertRaisesRegex(ValueError, 'q_mu must have rank 1'):
      ddpg.actor_loss(tf.zeros([2, 1]))


class UpdatesTest(tf.test.TestCase):

  def test_soft_update_tau(self):
    target = [tf.Variable([0.0, 10.0])]
    online = [tf.Variable([1.0, 20.0])]
    ddpg.soft_update(target, online, tau=0.005)
    # 0.995 * 0 + 0.005 * 1 = 0.005; 0.995 * 10 + 0.005 * 20 = 10.05.
    self.assertAllClose(target[0], [0.005, 10.05])

  def test_reinitialise_keeps_variables(self):
    model = ddpg.build_actor(2, 2, seed=1)
    variable = model.trainable_variables[0]
    before = variable.numpy().copy()
    ddpg.reinitialise(model, ddpg.build_actor(2, 2, seed=2))
    self.assertIs(model.trainable_variables[0], variable)
    self.assertNotAllClose(before, variable.numpy())


if __name__ == '__main__':
  tf.test.main()
