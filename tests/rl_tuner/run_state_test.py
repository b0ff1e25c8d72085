"""Tests of rl_tuner.run_state: units, fallback, clean-up, hparams guard."""

import json
import os

from absl import logging
from absl.testing import absltest
import numpy as np
import tensorflow as tf

from rl_tuner import file_errors
from rl_tuner import replay_memory
from rl_tuner import run_state

KEYS = ('step', 'total_reward')


class _State:
  """A checkpointed variable and a replay memory of 2-float states."""

  def __init__(self):
    self.value = tf.Variable(0.0)
    self.checkpoint = tf.train.Checkpoint(value=self.value)
    self.memory = replay_memory.ReplayMemory(8, 2, num_classes=3)

  def add(self, n):
    self.memory.add(replay_memory.Transitions(
        state=np.zeros([n, 2]), prev_action=np.zeros(n), action=np.ones(n),
        reward=np.arange(n), next_state=np.zeros([n, 2]),
        discount=np.ones(n), next_log_prior=np.zeros([n, 3])))

  def commit(self, ckpt_dir, step):
    self.value.assign(float(step))
    return run_state.commit(ckpt_dir, step, self.checkpoint, self.memory,
                            {'step': [step], 'total_reward': [0.5]})

  def restore(self, unit):
    run_state.read_checkpoint(self.checkpoint, unit.checkpoint)
    self.memory.load(unit.replay_memory)


class RunStateTest(tf.test.TestCase):

  def setUp(self):
    super().setUp()
    self.dir = self.create_tempdir().full_path
    self.state = _State()
    for step in (10, 20, 30):
      self.state.add(2)
      self.state.commit(self.dir, step)

  def test_commit_keeps_the_newest_units(self):
    self.assertEqual(run_state.list_units(self.dir), [20, 30])
    self.assertEqual(tf.train.latest_checkpoint(self.dir),
                     os.path.join(self.dir, 'ckpt-30'))
    self.assertFalse(any('-10' in name for name in os.listdir(self.dir)))
    unit = run_state.read_unit(self.dir, 30)
    self.assertEqual(unit.num_transitions, 6)  # 3 commits x 2 transitions.

  def test_resume_takes_the_newest(self):
    restored = _State()
    unit = run_state.restore_newest(self.dir, restored.restore, clean=True)
    self.assertEqual(unit.step, 30)
    self.assertEqual(float(restored.value.numpy()), 30.0)
    self.assertLen(restored.memory, 6)

  def test_falls_back_from_a_truncated_memory_and_says_so(self):
    path = os.path.join(self.dir, 'replay_memory-30.npz')
    with open(path, 'r+b') as f:
      f.truncate(100)
    restored = _State()
    with self.assertLogs(logging.get_absl_logger(), 'WARNING') as logs:
      unit = run_state.restore_newest(self.dir, restored.restore, clean=True)
    self.assertEqual(unit.step, 20)
    self.assertEqual(float(restored.value.numpy()), 20.0)
    self.assertLen(restored.memory, 4)
    self.assertIn('replay_memory-30.npz', '\n'.join(logs.output))
    self.assertIn('older intact unit of step 20', '\n'.join(logs.output))
    # The damaged unit is uncommitted and its files removed.
    self.assertEqual(run_state.list_units(self.dir), [20])
    self.assertFalse(os.path.exists(path))
    self.assertEqual(tf.train.latest_checkpoint(self.dir),
                     os.path.join(self.dir, 'ckpt-20'))

  def test_corrupt_checkpoint_data_falls_back(self):
    data = [n for n in os.listdir(self.dir)
            if n.startswith('ckpt-30.data')][0]
    path = os.path.join(self.dir, data)
    size = os.path.getsize(path)
    with open(path, 'wb') as f:  # Same size, garbage content.
      f.write(b'\xff' * size)
    restored = _State()
    unit = run_state.restore_newest(self.dir, restored.restore)
    self.assertEqual(unit.step, 20)

  def test_no_intact_unit_names_the_directory(self):
    for step in (20, 30):
      with open(os.path.join(self.dir, f'unit-{step}.json'), 'w') as f:
        f.write('{not json')
    with self.assertRaises(file_errors.CorruptFileError) as cm:
      run_state.restore_newest(self.dir, _State().restore)
    self.assertEqual(cm.exception.path, self.dir)
    self.assertIn('unit-30.json', str(cm.exception))

  def test_missing_file_named(self):
    os.remove(os.path.join(self.dir, 'reward_history-30.npz'))
    with self.assertRaisesRegex(file_errors.CorruptFileError,
                                'reward_history-30.npz: missing'):
      run_state.read_unit(self.dir, 30)

  def test_strays_and_uncommitted_files_removed(self):
    strays = ['replay_memory-40.npz.tmp.npz', 'ckpt-40.index',
              'unit-40.json.tmp', 'checkpoint.tmp']
    for name in strays:
      open(os.path.join(self.dir, name), 'w').close()
    os.makedirs(os.path.join(self.dir, 'ckpt-40_temp'))
    removed = run_state.remove_uncommitted(self.dir)
    self.assertCountEqual([os.path.basename(p) for p in removed],
                          strays + ['ckpt-40_temp'])
    self.assertEqual(run_state.list_units(self.dir), [20, 30])

  def test_reader_does_not_clean(self):
    stray = os.path.join(self.dir, 'ckpt-40.index')
    open(stray, 'w').close()
    run_state.restore_newest(self.dir, _State().restore)
    self.assertTrue(os.path.exists(stray))


class RestoreManagedTest(tf.test.TestCase):
  """CheckpointManager directories (Note RNN trainer, toggle DQN)."""

  def _damage(self, prefix):
    data = [n for n in os.listdir(self.dir)
            if n.startswith(os.path.basename(prefix) + '.data')][0]
    with open(os.path.join(self.dir, data), 'wb') as f:
      f.write(b'')

  def setUp(self):
    super().setUp()
    self.dir = self.create_tempdir().full_path
    value = tf.Variable(0.0)
    manager = tf.train.CheckpointManager(tf.train.Checkpoint(value=value),
                                         self.dir, max_to_keep=3)
    for step in (1, 2):
      value.assign(float(step))
      manager.save(checkpoint_number=step)

  def _restore(self):
    value = tf.Variable(-1.0)
    checkpoint = tf.train.Checkpoint(value=value)
    manager = tf.train.CheckpointManager(checkpoint, self.dir, max_to_keep=3)
    return run_state.restore_managed(checkpoint, manager), value

  def test_newest(self):
    path, value = self._restore()
    self.assertEqual(os.path.basename(path), 'ckpt-2')
    self.assertEqual(float(value.numpy()), 2.0)

  def test_falls_back_and_says_so(self):
    self._damage(os.path.join(self.dir, 'ckpt-2'))
    with self.assertLogs(logging.get_absl_logger(), 'WARNING') as logs:
      path, value = self._restore()
    self.assertEqual(os.path.basename(path), 'ckpt-1')
    self.assertEqual(float(value.numpy()), 1.0)
    self.assertIn('older intact checkpoint', '\n'.join(logs.output))

  def test_none_intact(self):
    for step in (1, 2):
      self._damage(os.path.join(self.dir, f'ckpt-{step}'))
    with self.assertRaisesRegex(file_errors.CorruptFileError,
                                'no intact checkpoint'):
      self._restore()


class HParamsGuardTest(absltest.TestCase):

  def setUp(self):
    super().setUp()
    self.out = self.create_tempdir().full_path
    run_state.check_hparams(self.out, {'algorithm': 'q', 'reward_scaler': 2.0})

  def test_same_hparams_resume(self):
    run_state.check_hparams(self.out, {'algorithm': 'q', 'reward_scaler': 2.0})
    with open(os.path.join(self.out, 'hparams_history.json')) as f:
      self.assertEqual([e['event'] for e in json.load(f)],
                       ['start', 'resume'])

  def test_other_hparams_refused_naming_them(self):
    with self.assertRaises(run_state.HParamsChangedError) as cm:
      run_state.check_hparams(self.out,
                              {'algorithm': 'psi', 'reward_scaler': 0.1})
    self.assertEqual(cm.exception.differences,
                     {'algorithm': ('q', 'psi'), 'reward_scaler': (2.0, 0.1)})
    self.assertIn("algorithm 'q' -> 'psi'", str(cm.exception))
    self.assertIn('--overwrite', str(cm.exception))
    with open(os.path.join(self.out, 'checkpoints',
                           'rl_tuner_hparams.json')) as f:
      self.assertEqual(json.load(f)['algorithm'], 'q')  # Untouched.

  def test_resume_with_changes_keeps_a_history(self):
    run_state.check_hparams(self.out, {'algorithm': 'q', 'reward_scaler': 0.1},
                            'resume_with_changes')
    with open(os.path.join(self.out, 'hparams_history.json')) as f:
      history = json.load(f)
    self.assertEqual(history[-1]['event'], 'resume_with_changes')
    self.assertEqual(history[-1]['changes'], {'reward_scaler': [2.0, 0.1]})
    self.assertEqual(history[0]['hparams']['reward_scaler'], 2.0)

  def test_overwrite_removes_the_old_run_only(self):
    for name in ('eval/stats_1.json', 'midi/a.mid', 'notes.txt'):
      os.makedirs(os.path.dirname(os.path.join(self.out, name)),
                  exist_ok=True)
      open(os.path.join(self.out, name), 'w').close()
    run_state.check_hparams(self.out, {'algorithm': 'g'}, 'overwrite')
    self.assertFalse(os.path.exists(os.path.join(self.out, 'eval')))
    self.assertFalse(os.path.exists(os.path.join(self.out, 'midi')))
    self.assertTrue(os.path.exists(os.path.join(self.out, 'notes.txt')))

  def test_unreadable_stored_hparams(self):
    with open(os.path.join(self.out, 'checkpoints', 'rl_tuner_hparams.json'),
              'w') as f:
      f.write('[1, 2')
    with self.assertRaisesRegex(file_errors.CorruptFileError,
                                'rl_tuner_hparams.json: unreadable hparams'):
      run_state.check_hparams(self.out, {'algorithm': 'q'})


class ReplayMemoryLoaderTest(absltest.TestCase):
  """Corrupt replay memories raise CorruptFileError naming the file."""

  def test_corrupt_files(self):
    memory = replay_memory.ReplayMemory(4, 2, num_classes=3)
    directory = self.create_tempdir().full_path
    good = os.path.join(directory, 'good.npz')
    memory.save(good)
    with open(good, 'rb') as f:
      data = f.read()
    cases = {'empty.npz': b'', 'text.npz': b'hello',
             'truncated.npz': data[:len(data) // 2],
             'other.npz': None}
    np.savez(os.path.join(directory, 'other.npz'), meta=np.arange(3))
    for name, content in cases.items():
      path = os.path.join(directory, name)
      if content is not None:
        with open(path, 'wb') as f:
          f.write(content)
      with self.assertRaises(file_errors.CorruptFileError, msg=name) as cm:
        memory.load(path)
      self.assertEqual(cm.exception.path, path)
      self.assertLen(memory, 0)  # Unchanged.


if __name__ == '__main__':
  tf.test.main()
