"""Tests for the sweep's results table, CSV and figure."""

import csv
import io
import os

from absl.testing import absltest

from rl_tuner.sweeps import sweep_results


def _result(trial, config, seed, repeated, log_p, r_mt=2.5):
  metrics = {'step': 100.0, 'mean_music_theory_reward': r_mt,
             'mean_log_p_note_rnn': log_p,
             'notes_excessively_repeated_pct': repeated,
             'notes_not_in_key_pct': 0.1, 'starting_with_tonic_pct': 90.0,
             'leaps_resolved_pct': 95.0, 'notes_in_motif_pct': 70.0}
  return {'trial': trial, 'config': config, 'algorithm': config[0],
          'seed': seed, 'grid': {'reward_scaler': 2}, 'metrics': metrics,
          'baseline': {'mean_music_theory_reward': 0.8,
                       'mean_log_p_note_rnn': -2.0}}


RESULTS = [
    _result('q_seed0', 'q', 0, 0.01, -2.0),
    _result('q_seed1', 'q', 1, 0.05, -4.0),
    _result('g_seed0', 'g', 0, 0.0, -1.5),
]


class SweepResultsTest(absltest.TestCase):

  def test_config_summary_pools_seeds(self):
    rows = sweep_results.config_summary(RESULTS)
    self.assertEqual([r['config'] for r in rows], ['q', 'g'])
    q = rows[0]
    self.assertEqual(q['seeds'], [0, 1])
    # Repeated notes: mean of 0.01 and 0.05, one seed <= 0.02.
    mean, lo, hi, met = q['notes_excessively_repeated_pct']
    self.assertAlmostEqual(mean, 0.03)
    self.assertEqual((lo, hi, met), (0.01, 0.05, 1))
    # log p: -2 is above the pure-RL -3.65, -4 is not.
    self.assertEqual(q['mean_log_p_note_rnn'], (-3.0, -4.0, -2.0, 1))
    # Motif 70% never meets >= 75.7.
    self.assertEqual(q['notes_in_motif_pct'][3], 0)

  def test_markdown_has_a_row_per_trial_and_per_config(self):
    text = sweep_results.markdown(RESULTS, 'title')
    self.assertIn('| q_seed1 | 100 | 2.5 | -4 |', text)
    self.assertIn('| q | 2 | 0.03 (0.01-0.05), 1/2 |', text)
    self.assertIn('| g | 1 | 0 (0-0), 1/1 |', text)

  def test_csv_columns(self):
    rows = list(csv.reader(io.StringIO(sweep_results.csv_text(RESULTS))))
    self.assertEqual(rows[0][:5],
                     ['trial', 'config', 'algorithm', 'seed', 'reward_scaler'])
    self.assertLen(rows, 4)
    header = rows[0]
    self.assertEqual(rows[2][header.index('mean_log_p_note_rnn')], '-4.0')

  def test_write_results(self):
    out = self.create_tempdir().full_path
    written = sweep_results.write_results(RESULTS, out)
    for path in written.values():
      self.assertTrue(os.path.getsize(path) > 0, path)
    with self.assertRaisesRegex(ValueError, 'no finished trial'):
      sweep_results.write_results([], out)


if __name__ == '__main__':
  absltest.main()
