"""Tests for the batched MelodyEnv (numpy only, no TensorFlow)."""

from absl.testing import absltest
import numpy as np

from rl_tuner import encoding
from rl_tuner import melody_env
from rl_tuner.rewards import reward_modes


class MelodyEnvTest(absltest.TestCase):

  def test_lockstep_beats_rewards_and_reset(self):
    rng = np.random.default_rng(0)
    compositions = rng.integers(0, 38, size=[3, 32]).astype(np.int32)
    env = melody_env.MelodyEnv(3)
    reward_fn = reward_modes.get_reward_fn('music_theory_all')
    for t in range(32):
      self.assertEqual(env.beat, t)
      np.testing.assert_array_equal(env.compositions, compositions[:, :t])
      result = env.step(compositions[:, t])
      # The environment's reward is the reward function of the composition
      # so far and the action at beat t.
      expected = reward_fn(compositions[:, :t], compositions[:, t],
                           encoding.C_MAJOR, composition_length=32)
      np.testing.assert_allclose(result.reward, expected)
      self.assertEqual(result.reward.shape, (3,))
      self.assertEqual(result.beat, t)
      self.assertEqual(result.done, t == 31)
    np.testing.assert_array_equal(result.compositions, compositions)
    self.assertEqual(env.beat, 0)  # Reset itself after 32 steps.
    self.assertEqual(env.num_completed, 3)
    self.assertEqual(env.compositions.shape, (3, 0))

  def test_tonic_start_reward(self):
    # C4 (action 14) at beat 0: the paper pays 3 for the tonic; with
    # tonic_start_reward=0.5 the reward is 2.5 lower. Beat 0 has no interval
    # and no other rule fires, so the paper's reward is exactly 3.
    paper = melody_env.MelodyEnv(1).step([14]).reward
    env = melody_env.MelodyEnv(1, tonic_start_reward=0.5)
    self.assertAlmostEqual(float(paper[0]), 3.0)
    self.assertAlmostEqual(float(env.step([14]).reward[0]), 0.5)
    with self.assertRaisesRegex(ValueError, 'tonic_start_reward'):
      melody_env.MelodyEnv(1, reward_mode='scale', tonic_start_reward=1.0)

  def test_key_matters(self):
    # An F# (MIDI 66, action 20) is out of C major but in G major; the key
    # rule gives it -1 in C only, so C's reward is lower.
    c_env = melody_env.MelodyEnv(1, encoding.C_MAJOR, 'music_theory_all')
    g_env = melody_env.MelodyEnv(1, encoding.KeyConfig(67), 'music_theory_all')
    self.assertLess(c_env.step([20]).reward[0], g_env.step([20]).reward[0])

  def test_bad_actions(self):
    env = melody_env.MelodyEnv(2)
    with self.assertRaisesRegex(ValueError, r'shape \(2,\)'):
      env.step([1, 2, 3])
    with self.assertRaisesRegex(ValueError, r'\[0, 37\]'):
      env.step([0, 38])
    with self.assertRaisesRegex(ValueError, 'batch_size'):
      melody_env.MelodyEnv(0)


if __name__ == '__main__':
  absltest.main()
