"""Smoke tests of drums.toggle_dqn and the toggle_train binary."""

import json
import os

from absl.testing import flagsaver
import numpy as np
import tensorflow as tf

from drums import toggle_dqn
from drums import toggle_env
from drums import toggle_train


class ToggleDQNTest(tf.test.TestCase):

  def test_episodes_fill_memory_and_anneal_epsilon(self):
    env = toggle_env.KickSnareToggleEnv(noop=True)
    agent = toggle_dqn.ToggleDQNAgent(16, 9, toggle_dqn.ToggleDQNHParams(
        min_replay=32, exploration_period=200))
    first = toggle_dqn.run_episode(env, agent, learn=True, seed=0)
    self.assertEqual(first['rewards'].shape, (50,))
    self.assertTrue(np.isnan(first['losses'][0]))  # Memory below min_replay.
    self.assertTrue(np.isfinite(first['losses'][-1]))
    for episode in range(3):
      toggle_dqn.run_episode(env, agent, learn=True, seed=episode + 1)
    self.assertEqual(int(agent.env_steps), 200)
    self.assertAllClose(agent.epsilon(), 0.05)  # Annealed over 200 steps.
    evaluation = toggle_dqn.run_episode(env, agent, learn=False,
                                        snare=toggle_env.KICK.tolist())
    self.assertEqual(evaluation['start_reward'], -1.0)
    self.assertTrue(np.isnan(evaluation['losses']).all())

  def test_target_network_moves_softly(self):
    agent = toggle_dqn.ToggleDQNAgent(16, 8, toggle_dqn.ToggleDQNHParams(
        min_replay=1, target_update_rate=0.5))
    target_before = [w.copy() for w in agent.target_network.get_weights()]
    obs = np.zeros(16, np.float32)
    agent.observe(obs, 3, 1.0, obs)
    online = agent.q_network.get_weights()
    # target = 0.5 * target + 0.5 * online (the online net moved once).
    for t, b, o in zip(agent.target_network.get_weights(), target_before,
                       online):
      self.assertAllClose(t, 0.5 * b + 0.5 * o, atol=1e-6)

  def test_hparams_validation(self):
    with self.assertRaisesRegex(ValueError, 'discount'):
      toggle_dqn.ToggleDQNHParams(discount=2.0)


class ToggleTrainBinaryTest(tf.test.TestCase):

  def test_train_then_test(self):
    out = self.get_temp_dir()
    with flagsaver.flagsaver(output_dir=out, episodes=4, checkpoint_every=2,
                             eval_episodes=2):
      toggle_train.main([])
    self.assertTrue(os.path.exists(os.path.join(out, 'rewards.png')))
    self.assertTrue(tf.train.latest_checkpoint(
        os.path.join(out, 'checkpoints')).endswith('ckpt-4'))
    with open(os.path.join(out, 'eval.json')) as f:
      result = json.load(f)
    self.assertEqual(result['bad_start']['start'], -1.0)
    self.assertEqual(result['episodes_trained'], 4)
    with flagsaver.flagsaver(output_dir=out, test=True, eval_episodes=1):
      toggle_train.main([])
    self.assertTrue(os.path.exists(os.path.join(out, 'eval.png')))
    with flagsaver.flagsaver(output_dir=os.path.join(out, 'empty'),
                             test=True):
      with self.assertRaisesRegex(Exception, 'no checkpoint'):
        toggle_train.main([])


if __name__ == '__main__':
  tf.test.main()
