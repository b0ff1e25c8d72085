"""Tests for CARL's reward-weighted supervised learner (algo='rwsl')."""

import numpy as np
import tensorflow as tf

from sonification import clock
from sonification.carl import carl_agent
from sonification.carl import carl_hparams
from sonification.carl import carl_rwsl
from sonification.carl import carl_session


def _agent(**overrides):
  return carl_agent.make_agent(carl_hparams.CarlHParams(
      **dict(dict(algo='rwsl', seed=0), **overrides)))


class RwslLossTest(tf.test.TestCase):

  def test_hand_computed_values(self):
    # d = (0.5 - 0.2)^2 + (0.5 - 0.9)^2 = 0.09 + 0.16 = 0.25.
    outputs = tf.constant([[0.5, 0.5]] * 4)
    actions = tf.constant([[0.2, 0.9]] * 4)
    rewards = tf.constant([2.0, -1.0, 0.0, -3.0])
    loss = carl_rwsl.rwsl_loss(outputs, actions, rewards, margin=0.6)
    # like: 2 * 0.25; dislike: 1 * (0.36 - 0.25); zero; 3 * 0.11.
    self.assertAllClose(loss, [0.5, 0.11, 0.0, 0.33])
    far = carl_rwsl.rwsl_loss(outputs, actions, rewards, margin=0.3)
    self.assertAllClose(far, [0.5, 0.0, 0.0, 0.0])  # 0.09 - 0.25 < 0.


class RwslAgentTest(tf.test.TestCase):

  def test_make_agent_picks_rwsl_and_bad_algo_is_refused(self):
    self.assertIsInstance(_agent(), carl_rwsl.RwslAgent)
    self.assertIsInstance(carl_agent.make_agent(carl_hparams.CarlHParams()),
                          carl_agent.CarlAgent)
    with self.assertRaisesRegex(ValueError, 'algo'):
      carl_hparams.CarlHParams(algo='ppo')
    with self.assertRaisesRegex(ValueError, 'steps_per_call'):
      carl_hparams.CarlHParams(steps_per_call=0)

  def test_like_pulls_and_dislike_pushes(self):
    s = np.array([[0.2, 0.7, 0.4]], np.float32)
    a = np.array([[0.9, 0.1, 0.9, 0.1]], np.float32)
    for reward, closer in ((1.0, True), (-1.0, False)):
      agent = _agent(actor_lr=1e-2, steps_per_call=5, dislike_margin=5.0)
      before = np.linalg.norm(agent.actor(s).numpy() - a)
      out = agent.train_step(s, a, np.array([reward]), s)
      after = np.linalg.norm(agent.actor(s).numpy() - a)
      self.assertEqual(out['skipped'], 0)
      self.assertEqual(agent.train_steps, 1)
      self.assertEqual(after < before, closer, (reward, before, after))

  def test_dislike_beyond_the_margin_changes_nothing(self):
    agent = _agent(dislike_margin=0.01, steps_per_call=3)
    s = np.zeros((1, 3), np.float32)
    a = 1.0 - np.round(agent.actor(s).numpy())  # > 0.01 away per parameter.
    before = agent.actor_weights()
    agent.train_step(s, a, np.array([-1.0]), s)
    for w0, w1 in zip(before, agent.actor_weights()):
      self.assertAllEqual(w0, w1)

  def test_non_finite_batch_is_skipped(self):
    agent = _agent()
    out = agent.train_step(np.full((1, 3), np.nan), np.zeros((1, 4)),
                           np.ones(1), np.zeros((1, 3)))
    self.assertEqual((out['skipped'], agent.skipped_steps), (1, 1))

  def test_networks_round_trip(self):
    agent, other = _agent(), _agent(seed=5)
    other.set_networks(agent.get_networks())
    self.assertAllEqual(other.actor_weights()[0], agent.actor_weights()[0])
    with self.assertRaisesRegex(ValueError, 'actor'):
      other.set_networks({})

  def test_session_learns_a_liked_sound(self):
    # One input, one liked sound: after 200 ticks (one call each, 5 steps a
    # call) the actor's output for that input is close to it.
    agent = _agent(actor_lr=1e-2, steps_per_call=5, batch_size=1,
                   noise_sigma=0.0)
    session = carl_session.CarlSession(agent, threaded=False)
    session.set_input(0.3, 0.6, 0.9)
    session.on_tick(clock.Tick(0, 0, 0, 0.0, 0.0, 0.0, 240.0))  # no memory.
    session.last_action = np.array([0.8, 0.2, 0.5, 0.7])  # as if played.
    session.reward(1.0)
    for i in range(1, 201):
      session.on_tick(clock.Tick(i, 0, 0, 0.0, i / 50, i / 50, 240.0))
    self.assertEqual(session.optimisations, 200)
    self.assertAllClose(session.actor(session.input), [0.8, 0.2, 0.5, 0.7],
                        atol=0.05)


if __name__ == '__main__':
  tf.test.main()
