"""Tests of drums.toggle_env: reward by hand, toggling, truncation."""

from absl.testing import absltest
import gymnasium as gym
import numpy as np

from drums import toggle_env


class PatternRewardTest(absltest.TestCase):

  def test_reward_by_hand(self):
    kick = [1, 0, 0, 0, 1, 0, 0, 0]
    # Complement: 8/8 differ -> 2 * 1 - 1 = 1.
    self.assertEqual(toggle_env.pattern_reward(kick, [0, 1, 1, 1, 0, 1, 1,
                                                      1]), 1.0)
    # Same as the kick: 0/8 -> -1.
    self.assertEqual(toggle_env.pattern_reward(kick, kick), -1.0)
    # Silence: 2/8 differ -> 2 * 0.25 - 1 = -0.5.
    self.assertEqual(toggle_env.pattern_reward(kick, [0] * 8), -0.5)
    # Backbeat 0,0,1,0,0,0,1,0: 4/8 -> 0.
    self.assertEqual(toggle_env.pattern_reward(kick, [0, 0, 1, 0, 0, 0, 1,
                                                      0]), 0.0)


class KickSnareToggleEnvTest(absltest.TestCase):

  def test_spaces_and_observation(self):
    env = toggle_env.KickSnareToggleEnv()
    self.assertEqual(env.action_space, gym.spaces.Discrete(8))
    self.assertEqual(toggle_env.KickSnareToggleEnv(noop=True).action_space,
                     gym.spaces.Discrete(9))
    obs, info = env.reset(options={'snare': [0] * 8})
    np.testing.assert_array_equal(obs, [1, 0, 0, 0, 1, 0, 0, 0] + [0] * 8)
    self.assertEqual(info['reward'], -0.5)

  def test_toggle_and_reward(self):
    env = toggle_env.KickSnareToggleEnv()
    env.reset(options={'snare': [0] * 8})
    obs, reward, terminated, truncated, _ = env.step(2)
    self.assertEqual(obs[8:].tolist(), [0, 0, 1, 0, 0, 0, 0, 0])
    self.assertEqual(reward, -0.25)  # 3/8 differ -> 2 * 0.375 - 1.
    self.assertFalse(terminated or truncated)
    obs, reward, _, _, _ = env.step(2)  # Toggle back.
    self.assertEqual(obs[8:].tolist(), [0] * 8)
    self.assertEqual(reward, -0.5)
    obs, reward, _, _, _ = env.step(0)  # Snare onto the kick.
    self.assertEqual(reward, -0.75)  # 1/8 differ.

  def test_noop(self):
    env = toggle_env.KickSnareToggleEnv(noop=True)
    env.reset(options={'snare': [0, 1, 1, 1, 0, 1, 1, 1]})
    obs, reward, _, _, _ = env.step(8)
    self.assertEqual(obs[8:].tolist(), [0, 1, 1, 1, 0, 1, 1, 1])
    self.assertEqual(reward, 1.0)

  def test_truncated_after_50_steps(self):
    env = toggle_env.KickSnareToggleEnv()
    env.reset(seed=0)
    for step in range(1, 51):
      _, _, terminated, truncated, _ = env.step(step % 8)
      self.assertFalse(terminated)
      self.assertEqual(truncated, step == 50)

  def test_random_start_is_seeded(self):
    env = toggle_env.KickSnareToggleEnv()
    starts = [env.reset(seed=s)[0][8:].tolist() for s in (1, 2, 1)]
    self.assertEqual(starts[0], starts[2])
    varied = {tuple(env.reset()[0][8:].tolist()) for _ in range(20)}
    self.assertGreater(len(varied), 5)  # 256 patterns; 20 draws.

  def test_bad_inputs(self):
    env = toggle_env.KickSnareToggleEnv()
    with self.assertRaisesRegex(ValueError, 'snare must be 8'):
      env.reset(options={'snare': [2] * 8})
    env.reset(seed=0)
    with self.assertRaisesRegex(ValueError, 'action 8'):
      env.step(8)

  def test_registered(self):
    env = gym.make(toggle_env.ENV_ID, noop=True)
    obs, _ = env.reset(seed=3)
    self.assertEqual(obs.shape, (16,))
    self.assertEqual(env.action_space.n, 9)
    self.assertIn('snare', env.unwrapped.render())


if __name__ == '__main__':
  absltest.main()
