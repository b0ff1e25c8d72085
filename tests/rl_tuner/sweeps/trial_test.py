"""Tests for one sweep trial: reports, skip when finished, resume when not."""

import json
import os
import tempfile

from absl.testing import absltest
import tensorflow as tf

from rl_tuner import rl_tuner
from rl_tuner.sweeps import sweep_spec
from rl_tuner.sweeps import trial
from tests.rl_tuner import testing_utils

# B = 4 compositions: one runner chunk is 4 x 32 = 128 environment steps.
SWEEP = sweep_spec.SweepSpec(
    algorithms=('q',), seeds=(0,),
    hparams='num_compositions_in_parallel=4,replay_memory_size=1024',
    num_steps=512, eval_every=256, checkpoint_every=128,
    num_eval_compositions=8, num_threads=0)


class _Killed(Exception):
  pass


def _attempts(out, name):
  with open(os.path.join(trial.trial_dir(out, name),
                         trial.ATTEMPTS_FILENAME)) as f:
    return [json.loads(line) for line in f]


class TrialTest(tf.test.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.note_rnn_dir = testing_utils.make_tiny_note_rnn(
        tempfile.mkdtemp(dir=absltest.get_default_test_tmpdir()))

  def test_trial_metrics(self):
    metrics = trial.trial_metrics(
        {'note_rnn_reward': -64.0, 'step': 3, 'algorithm': 'q',
         'model': 'tuned', 'notes_in_motif_pct': 50.0}, composition_length=32)
    self.assertEqual(metrics, {'note_rnn_reward': -64.0, 'step': 3.0,
                               'notes_in_motif_pct': 50.0,
                               'mean_log_p_note_rnn': -2.0})

  def test_reports_every_evaluation_then_skips_when_finished(self):
    out = self.create_tempdir().full_path
    spec = SWEEP.trials()[0]
    reports = []
    final = trial.run_trial(spec, SWEEP, out, self.note_rnn_dir,
                            reports.append)
    self.assertEqual([r['step'] for r in reports], [256.0, 512.0])
    self.assertEqual(final, reports[-1])
    self.assertAlmostEqual(final['mean_log_p_note_rnn'],
                           final['note_rnn_reward'] / 32)
    result = trial.read_result(out, spec.name)
    self.assertEqual(result['config'], 'q')
    # Again: not rerun; the stored metrics are reported once.
    again = []
    self.assertEqual(trial.run_trial(spec, SWEEP, out, self.note_rnn_dir,
                                     again.append), final)
    self.assertEqual(again, [final])
    self.assertEqual([a['skipped'] for a in _attempts(out, spec.name)],
                     [False, True])

  def test_killed_trial_resumes_from_its_checkpoint(self):
    out = self.create_tempdir().full_path
    spec = SWEEP.trials()[0]
    original_train = rl_tuner.RLTuner.train
    calls = []

    def train_then_die(agent, n):
      calls.append(n)
      if len(calls) == 3:  # Killed in the third chunk (steps 256..384).
        raise _Killed()
      return original_train(agent, n)

    rl_tuner.RLTuner.train = train_then_die
    try:
      with self.assertRaises(_Killed):
        trial.run_trial(spec, SWEEP, out, self.note_rnn_dir)
    finally:
      rl_tuner.RLTuner.train = original_train
    self.assertIsNone(trial.read_result(out, spec.name))
    reports = []
    trial.run_trial(spec, SWEEP, out, self.note_rnn_dir, reports.append)
    # Resumed at the step-256 checkpoint: only the step-512 evaluation left.
    self.assertEqual([a['start_step'] for a in _attempts(out, spec.name)],
                     [0, 256])
    self.assertEqual([r['step'] for r in reports], [512.0])


if __name__ == '__main__':
  tf.test.main()
