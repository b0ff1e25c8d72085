"""Tests for RLTunerHParams validation and the --hparams parser."""

from absl.testing import absltest

from rl_tuner import rl_tuner_hparams as H


class RLTunerHParamsTest(absltest.TestCase):

  def test_paper_defaults(self):
    hp = H.get_config('paper')
    self.assertEqual((hp.discount, hp.minibatch_size, hp.train_every,
                      hp.target_update_rate, hp.replay_memory_size),
                     (0.5, 32, 5, 0.01, 100_000))
    # B = 64 compositions, multiplier 1: 64 gradient steps of 32 every 5
    # batched steps = 32 transitions per 5 environment steps.
    self.assertEqual(hp.gradient_steps_per_train, 64)
    self.assertEqual(hp.transitions_per_gradient_step, 32)

  def test_parse_overrides(self):
    hp = H.parse_hparams('algorithm=g, reward_scaler=0.1,exploration_period=1e4')
    self.assertEqual(hp.algorithm, 'g')
    self.assertEqual(hp.reward_scaler, 0.1)
    self.assertEqual(hp.exploration_period, 10_000)

  def test_options_the_paper_lacks_default_to_the_paper(self):
    hp = H.get_config('paper')
    self.assertEqual((hp.sampling_temperature, hp.tonic_start_reward,
                      hp.entropy_bonus), (1.0, 3.0, 0.0))
    with self.assertRaisesRegex(ValueError, 'sampling_temperature'):
      H.parse_hparams('sampling_temperature=0')
    with self.assertRaisesRegex(ValueError, 'tonic_start_reward.*>= 0'):
      H.parse_hparams('tonic_start_reward=-1')
    with self.assertRaisesRegex(ValueError, 'tonic_start_reward.*scale'):
      H.parse_hparams('reward_mode=scale,tonic_start_reward=1')
    with self.assertRaisesRegex(ValueError, 'entropy_bonus.*algorithm=g'):
      H.parse_hparams('algorithm=g,entropy_bonus=0.5')
    with self.assertRaisesRegex(ValueError, 'entropy_bonus'):
      H.parse_hparams('entropy_bonus=1000')
    hp = H.parse_hparams('algorithm=psi,entropy_bonus=0.5,'
                         'sampling_temperature=1.5,tonic_start_reward=1')
    self.assertEqual((hp.entropy_bonus, hp.sampling_temperature,
                      hp.tonic_start_reward), (0.5, 1.5, 1.0))

  def test_errors_name_the_field(self):
    with self.assertRaisesRegex(ValueError, 'algorithm.*sarsa'):
      H.RLTunerHParams(algorithm='sarsa')
    with self.assertRaisesRegex(ValueError, 'discount'):
      H.parse_hparams('discount=1.5')
    with self.assertRaisesRegex(ValueError, 'unknown hyperparameter.*gamma'):
      H.parse_hparams('gamma=0.5')
    with self.assertRaisesRegex(ValueError, "reward_mode must be one of .*"
                                "got 'music_theory_al'"):
      H.parse_hparams('reward_mode=music_theory_al')
    with self.assertRaisesRegex(ValueError, 'minibatch_size: expected int'):
      H.parse_hparams('minibatch_size=3.5')
    with self.assertRaisesRegex(ValueError, 'minibatch_multiplier=3'):
      H.RLTunerHParams(num_compositions_in_parallel=8, minibatch_multiplier=3)
    with self.assertRaisesRegex(ValueError, 'name=value'):
      H.parse_hparams('discount')
    with self.assertRaisesRegex(ValueError, "config 'nope'"):
      H.get_config('nope')


if __name__ == '__main__':
  absltest.main()
