"""Reward modes: lookup, errors, and each batched mode against its reference."""

import inspect

from absl.testing import absltest
import numpy as np

from rl_tuner import encoding
from rl_tuner.rewards import batched
from rl_tuner.rewards import reward_modes
from tests.rl_tuner.rewards import composition_generators as gen


class RewardModesTest(absltest.TestCase):

  def test_required_modes(self):
    for mode in ('music_theory_all', 'scale', 'key', 'key_and_tonic',
                 'non_repeating', 'music_theory_basic', 'music_theory_only',
                 'preferred_intervals', 'music_theory_random',
                 'music_theory_basic_plus_variety'):
      self.assertIn(mode, reward_modes.REWARD_MODES)
    self.assertEqual(set(reward_modes.REWARD_MODES),
                     set(reward_modes.REFERENCE_REWARD_MODES))
    self.assertEqual(set(reward_modes.REWARD_MODES),
                     set(reward_modes.ADDS_NOTE_RNN_REWARD))
    self.assertIs(reward_modes.get_reward_fn('music_theory_all'),
                  batched.music_theory_reward)
    self.assertTrue(reward_modes.ADDS_NOTE_RNN_REWARD['music_theory_all'])
    self.assertFalse(reward_modes.ADDS_NOTE_RNN_REWARD['music_theory_only'])

  def test_unknown_mode(self):
    with self.assertRaisesRegex(ValueError,
                                "'music_theroy_all'.*key_and_tonic"):
      reward_modes.get_reward_fn('music_theroy_all')

  def test_modes_equal_reference(self):
    rng = np.random.default_rng(99)
    comps = np.concatenate([gen.realistic(rng, 120), gen.uniform(rng, 60)])
    for key in (encoding.C_MAJOR, encoding.KeyConfig(57, 'minor')):
      for mode, fn in reward_modes.REWARD_MODES.items():
        ref_fn = reward_modes.REFERENCE_REWARD_MODES[mode]
        kwargs = ({'composition_length': 32} if 'composition_length' in
                  inspect.signature(ref_fn).parameters else {})
        for t in range(32):
          got = fn(comps[:, :t], comps[:, t], key, composition_length=32)
          self.assertEqual(got.dtype, np.float32)
          want = [ref_fn(list(c[:t]), int(c[t]), key, **kwargs)
                  for c in comps]
          np.testing.assert_allclose(got, want, atol=1e-5,
                                     err_msg=f'{mode} {key.name} beat {t}')

  def test_hand_made_modes(self):
    comps, actions = np.array([[14], [14], [16]]), np.array([16, 15, 1])
    # scale: C4 -> D4 = 0.05 + 0.01 + 0.8; C4 -> C#4 = 0.05; D4 -> hold = 0.1.
    np.testing.assert_allclose(
        reward_modes.get_reward_fn('scale')(comps, actions),
        [0.86, 0.05, 0.1], atol=1e-6)
    # key: 1/23 in key, 0 for C#4.
    np.testing.assert_allclose(
        reward_modes.get_reward_fn('key')(comps, actions),
        [1 / 23, 0, 1 / 23], atol=1e-6)
    # key_and_tonic at beat 1: only the key penalty.
    np.testing.assert_allclose(
        reward_modes.get_reward_fn('key_and_tonic')(comps, actions),
        [0, -1, 0])
    # non_repeating: 0.1 everywhere, -100 for a 6th C4 in a row.
    np.testing.assert_allclose(
        reward_modes.get_reward_fn('non_repeating')(
            np.array([[14] * 5, [14, 16, 14, 16, 14]]), np.array([14, 14])),
        [-100, 0.1], atol=1e-6)


if __name__ == '__main__':
  absltest.main()
