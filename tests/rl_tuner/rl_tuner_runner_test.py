"""Tests for the runner (resume after a kill) and the train binary."""

import contextlib
import glob
import io
import json
import os
import tempfile

from absl import flags
from absl.testing import absltest
from absl.testing import flagsaver
import numpy as np
import tensorflow as tf

from rl_tuner import paths
from rl_tuner import rl_tuner
from rl_tuner import rl_tuner_hparams
from rl_tuner import rl_tuner_runner
from rl_tuner import rl_tuner_train
from rl_tuner import run_state
from tests.rl_tuner import testing_utils

FLAGS = flags.FLAGS
# B = 4 compositions x 32 steps: one runner chunk is 128 environment steps.
HPARAMS = rl_tuner_hparams.RLTunerHParams(
    num_compositions_in_parallel=4, replay_memory_size=1024,
    exploration_period=256)


class _Killed(Exception):
  pass


class RLTunerRunnerTest(tf.test.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    tmp = tempfile.mkdtemp(dir=absltest.get_default_test_tmpdir())
    cls.note_rnn_dir = testing_utils.make_tiny_note_rnn(
        os.path.join(tmp, 'note_rnn'))
    cls.primer = testing_utils.make_primer(tmp)

  def _runner(self, out, num_steps):
    agent = rl_tuner.RLTuner.from_note_rnn_checkpoint(
        HPARAMS, self.note_rnn_dir, np.array(testing_utils.PRIMER_ACTIONS))
    config = rl_tuner_runner.RunnerConfig(
        num_steps=num_steps, log_every=128, summary_every=128, eval_every=256,
        checkpoint_every=128, num_eval_compositions=8, num_midi=1)
    return rl_tuner_runner.RLTunerRunner(agent, out, config)

  def test_resumes_after_a_kill(self):
    out = self.create_tempdir().full_path
    runner = self._runner(out, 512)
    train = runner.agent.train
    calls = []

    def train_then_die(n):
      calls.append(n)
      if len(calls) == 3:  # Killed during the third chunk (steps 256..384).
        raise _Killed()
      return train(n)

    runner.agent.train = train_then_die
    with self.assertRaises(_Killed):
      runner.run()
    saved_q = [v.numpy() for v in runner.agent.q_network.weights]
    self.assertEqual(run_state.list_units(runner.checkpoint_dir), [128, 256])

    resumed = self._runner(out, 512)
    self.assertEqual(resumed._restore_or_initialize(), 256)
    for a, b in zip(saved_q, resumed.agent.q_network.weights):
      np.testing.assert_array_equal(a, b.numpy())
    self.assertLen(resumed.agent.replay_memory, 256)
    self.assertEqual(resumed.history['step'], [256])
    result = resumed.run()
    self.assertEqual(int(resumed.agent.global_step.numpy()), 512)
    self.assertEqual(result['tuned']['step'], 512)
    with np.load(os.path.join(out, 'reward_history.npz')) as h:
      np.testing.assert_array_equal(h['step'], [256, 512])
    self.assertTrue(os.path.exists(os.path.join(out, 'eval',
                                                'note_rnn_baseline.json')))

  def test_train_binary_end_to_end(self):
    out = self.create_tempdir().full_path
    with flagsaver.flagsaver(
        note_rnn_checkpoint_dir=self.note_rnn_dir, midi_primer=self.primer,
        algorithm='psi', output_dir=out, num_steps=256, eval_every=128,
        checkpoint_every=128, num_eval_compositions=8, num_midi=2,
        table1_compositions=20,
        hparams='num_compositions_in_parallel=4,replay_memory_size=512'):
      printed = io.StringIO()
      with contextlib.redirect_stdout(printed):
        rl_tuner_train.main(['rl_tuner_train'])
    printed = printed.getvalue().splitlines()
    self.assertIn('Table 1, paper protocol (20 sampled compositions per '
                  'model, each primed with a random note; paper: 100,000):',
                  printed)
    self.assertIn('| metric | Note RNN | tuned psi | paper psi | target | met |',
                  printed)
    # One row per target: 5 rules, unique max/min, log p, 2 diversity rows.
    rows = [l for l in printed if l.startswith('| ') and 'metric' not in l]
    self.assertLen(rows, 10)
    self.assertTrue(rows[0].startswith('| notes_excessively_repeated_pct |'))
    self.assertTrue(rows[0].endswith('| 0.02 | <= 0.02 | yes |') or
                    rows[0].endswith('| 0.02 | <= 0.02 | NO |'), rows[0])
    for pattern in ('checkpoints/ckpt-256.index',
                    'checkpoints/replay_memory-256.npz',
                    'checkpoints/unit-256.json', 'hparams_history.json',
                    'checkpoints/rl_tuner_hparams.json', 'train/events.*',
                    'eval/events.*', 'eval/stats_128.json',
                    'eval/stats_256.json', 'reward_history.npz',
                    'figures/reward_history.png', 'midi/composition_1.mid',
                    'figures/note_probabilities_composition_0.png'):
      self.assertNotEmpty(glob.glob(os.path.join(out, pattern)), pattern)
    with open(os.path.join(out, 'eval', 'stats_256.json')) as f:
      stats = json.load(f)
    self.assertEqual(stats['algorithm'], 'psi')
    self.assertIn('music_theory_reward', stats)

  def test_bad_flags_name_the_flag(self):
    cases = [
        ({'note_rnn_checkpoint_dir': '/nonexistent'},
         '--note_rnn_checkpoint_dir.*/nonexistent'),
        ({'midi_primer': '/nonexistent.mid', 'hparams': 'priming=midi'},
         '--midi_primer'),
        ({'table1_compositions': -1},
         r'--table1_compositions: must be an integer in \[0, '),
        ({'num_steps': 0}, r'--num_steps: must be an integer in \[1, '),
        ({'num_steps': 10**23}, r'--num_steps: .*got 100000000000000000000000'),
        ({'output_dir': ''}, '--output_dir: is empty'),
        ({'output_dir': '/proc/no_such_dir'}, '--output_dir: cannot write'),
        ({'overwrite': True, 'resume_with_changes': True},
         '--overwrite and --resume_with_changes cannot be given together'),
        ({'hparams': 'discount=2'}, '--hparams.*discount'),
        ({'hparams': 'reward_scaler=nan'}, '--hparams.*reward_scaler'),
    ]
    for changes, message in cases:
      base = dict(note_rnn_checkpoint_dir=self.note_rnn_dir,
                  midi_primer=self.primer)
      base.update(changes)
      with flagsaver.flagsaver(**base):
        with self.assertRaisesRegex(Exception, message):
          rl_tuner_train.build_runner()

  def test_other_hparams_in_the_same_output_dir(self):
    out = self.create_tempdir().full_path
    base = dict(note_rnn_checkpoint_dir=self.note_rnn_dir,
                midi_primer=self.primer, output_dir=out, num_steps=256)
    with flagsaver.flagsaver(**base):
      rl_tuner_train.build_runner()
    with flagsaver.flagsaver(hparams='reward_scaler=0.1', **base):
      with self.assertRaisesRegex(
          Exception, r'--output_dir: .* other hparams \(reward_scaler 2.0 -> '
          r'0.1\); pass --resume_with_changes'):
        rl_tuner_train.build_runner()
    with flagsaver.flagsaver(hparams='reward_scaler=0.1',
                             resume_with_changes=True, **base):
      runner = rl_tuner_train.build_runner()
    self.assertEqual(rl_tuner_runner.load_hparams(out).reward_scaler, 0.1)
    with flagsaver.flagsaver(algorithm='psi', overwrite=True, **base):
      runner = rl_tuner_train.build_runner()
    self.assertEqual(runner.agent.hparams.algorithm, 'psi')
    with open(os.path.join(out, 'hparams_history.json')) as f:
      self.assertEqual([e['event'] for e in json.load(f)],
                       ['start', 'resume_with_changes', 'overwrite'])

  def test_default_flags_use_the_shipped_checkpoint_and_primer(self):
    if not tf.train.latest_checkpoint(paths.DEFAULT_NOTE_RNN_CHECKPOINT_DIR):
      self.skipTest('the shipped Note RNN checkpoint is not built yet')
    out = self.create_tempdir().full_path
    with flagsaver.flagsaver(output_dir=out, num_steps=64):
      runner = rl_tuner_train.build_runner()
    # The paper's config and protocol (random-note priming), epsilon
    # annealed over half of the 64 steps.
    self.assertEqual(runner.agent.hparams, rl_tuner_hparams.parse_hparams(
        'priming=random,exploration_period=32',
        base=rl_tuner_hparams.get_config('paper')))
    stats = runner.agent.train(64 * 5)
    self.assertTrue(np.isfinite(stats.loss))


if __name__ == '__main__':
  absltest.main()
