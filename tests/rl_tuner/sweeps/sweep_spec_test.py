"""Tests for SweepSpec: grid parsing, trial expansion and bad input."""

import os

from absl.testing import absltest

from rl_tuner import rl_tuner_hparams
from rl_tuner.sweeps import sweep_spec

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__)))))


class SweepSpecTest(absltest.TestCase):

  def test_parse_grid(self):
    self.assertEqual(
        sweep_spec.parse_grid('reward_scaler=0.5:1:2;discount=0.9'),
        {'reward_scaler': [0.5, 1, 2], 'discount': [0.9]})
    self.assertEqual(sweep_spec.parse_grid(''), {})

  def test_parse_grid_errors_name_the_entry(self):
    with self.assertRaisesRegex(ValueError, 'reward_scaler'):
      sweep_spec.parse_grid('reward_scaler')
    with self.assertRaisesRegex(ValueError, 'twice'):
      sweep_spec.parse_grid('discount=1;discount=2')

  def test_trials_are_the_product_with_seeds_innermost(self):
    spec = sweep_spec.SweepSpec.from_dict(
        {'algorithms': 'q,g', 'seeds': [0, 1],
         'grid': 'reward_scaler=1:2', 'num_steps': 1000})
    names = [t.name for t in spec.trials()]
    self.assertEqual(names, [
        'q_seed0_reward_scaler-1', 'q_seed1_reward_scaler-1',
        'q_seed0_reward_scaler-2', 'q_seed1_reward_scaler-2',
        'g_seed0_reward_scaler-1', 'g_seed1_reward_scaler-1',
        'g_seed0_reward_scaler-2', 'g_seed1_reward_scaler-2'])
    trial = spec.trials()[3]
    self.assertEqual(trial.config_name, 'q_reward_scaler-2')
    # Epsilon anneals over half the run; the trial's values come last.
    self.assertEqual(trial.hparams,
                     'exploration_period=500,priming=random,'
                     'reward_scaler=2,algorithm=q,seed=1')

  def test_trial_names_are_model_names(self):
    # rl_tuner_eval --checkpoints=name=dir,... splits on ',' and the first '='.
    spec = sweep_spec.SweepSpec.from_dict(
        {'algorithms': 'psi', 'seeds': [2], 'num_steps': 1000,
         'grid': {'learning_rate': [1e-05], 'exploration': ['boltzmann']}})
    (trial,) = spec.trials()
    self.assertEqual(trial.name,
                     'psi_seed2_learning_rate-1e-05_exploration-boltzmann')
    self.assertEqual(sweep_spec.grid_name('x', 'a=b,c d'), 'x-a_b_c_d')

  def test_bad_input_names_what_is_wrong(self):
    with self.assertRaisesRegex(ValueError, 'unknown hyperparameter'):
      sweep_spec.SweepSpec.from_dict({'grid': {'not_a_field': [1]}})
    with self.assertRaisesRegex(ValueError, 'Unknown algorithm|algorithm'):
      sweep_spec.SweepSpec.from_dict({'algorithms': ['sarsa']})
    with self.assertRaisesRegex(ValueError, 'distinct'):
      sweep_spec.SweepSpec.from_dict({'seeds': [1, 1]})
    with self.assertRaisesRegex(ValueError, 'num_steps'):
      sweep_spec.SweepSpec.from_dict({'num_steps': 0})
    with self.assertRaisesRegex(ValueError, 'unknown keys'):
      sweep_spec.SweepSpec.from_dict({'sedes': [0]})

  def test_shipped_table1_config(self):
    spec = sweep_spec.SweepSpec.from_yaml(
        os.path.join(REPO_ROOT, 'sweeps', 'table1_seeds.yaml'))
    self.assertLen(spec.trials(), 9)  # 3 algorithms x 3 seeds.
    self.assertEqual(spec.num_steps, 1_000_000)
    self.assertEqual(spec.trials()[-1].name, 'g_seed2')

  def test_shipped_quality_config_is_the_quality_config(self):
    spec = sweep_spec.SweepSpec.from_yaml(
        os.path.join(REPO_ROOT, 'sweeps', 'quality_seeds.yaml'))
    self.assertLen(spec.trials(), 6)  # Q and Psi x 3 seeds.
    shipped = rl_tuner_hparams.parse_hparams(spec.hparams)
    self.assertEqual(shipped, rl_tuner_hparams.get_config('quality'))

  def test_missing_yaml(self):
    with self.assertRaisesRegex(FileNotFoundError, 'nope.yaml'):
      sweep_spec.SweepSpec.from_yaml('/nonexistent/nope.yaml')


if __name__ == '__main__':
  absltest.main()
