"""Tests for the ReplayMemory ring buffer."""

import os

from absl.testing import absltest
import numpy as np

from rl_tuner import replay_memory


def _batch(start, b, s=2, a=3):
  """B transitions whose fields all encode their index start..start+b-1."""
  i = np.arange(start, start + b)
  return replay_memory.Transitions(
      state=np.repeat(i[:, None], s, 1).astype(np.float32),
      prev_action=i.astype(np.int32), action=i.astype(np.int32),
      reward=i.astype(np.float32),
      next_state=np.repeat(i[:, None] + 0.5, s, 1).astype(np.float32),
      discount=np.full(b, 0.5, np.float32),
      next_log_prior=np.repeat(i[:, None], a, 1).astype(np.float32))


class ReplayMemoryTest(absltest.TestCase):

  def test_ring_wraps_oldest_first(self):
    memory = replay_memory.ReplayMemory(5, state_size=2, num_classes=3)
    memory.add(_batch(0, 3))  # rows 0..2 = transitions 0, 1, 2.
    memory.add(_batch(3, 3))  # 3, 4 fill rows 3, 4; 5 overwrites row 0.
    self.assertLen(memory, 5)
    self.assertEqual(memory.num_added, 6)
    self.assertEqual(sorted(memory._arrays.action.tolist()), [1, 2, 3, 4, 5])
    self.assertEqual(memory._arrays.action[0], 5)

  def test_sample_is_consistent_and_only_from_filled_rows(self):
    memory = replay_memory.ReplayMemory(10, state_size=2, num_classes=3)
    memory.add(_batch(0, 4))
    sample = memory.sample(200)
    self.assertEqual(sample.state.shape, (200, 2))
    self.assertEqual(sample.next_log_prior.shape, (200, 3))
    self.assertTrue(np.all(sample.action < 4))  # Rows 4..9 are empty.
    # Each row's fields come from the same transition.
    np.testing.assert_array_equal(sample.state[:, 0], sample.action)
    np.testing.assert_array_equal(sample.next_state[:, 1], sample.action + 0.5)
    np.testing.assert_array_equal(sample.reward, sample.prev_action)
    self.assertEqual(set(sample.action.tolist()), {0, 1, 2, 3})

  def test_save_load_round_trip(self):
    path = os.path.join(self.create_tempdir().full_path, 'm', 'replay.npz')
    memory = replay_memory.ReplayMemory(5, state_size=2, num_classes=3, seed=1)
    memory.add(_batch(0, 4))  # Rows 0..3.
    memory.add(_batch(4, 3))  # Rows 4, 0, 1: the next write goes to row 2.
    memory.save(path)
    self.assertFalse(os.path.exists(path + '.tmp.npz'))
    restored = replay_memory.ReplayMemory(5, state_size=2, num_classes=3)
    restored.load(path)
    self.assertLen(restored, 5)
    self.assertEqual(restored.num_added, 7)
    for a, b in zip(memory._arrays, restored._arrays):
      np.testing.assert_array_equal(a, b)
    # The sampler's state is restored too: the same next sample.
    np.testing.assert_array_equal(memory.sample(8).action,
                                  restored.sample(8).action)
    # Adding continues where the ring left off (row 2 next).
    restored.add(_batch(100, 1))
    self.assertEqual(restored._arrays.action[2], 100)

  def test_rows_of_whole_compositions(self):
    # steps = 4: each row is 4 transitions of one composition.
    memory = replay_memory.ReplayMemory(3, state_size=2, num_classes=3,
                                        steps=4)
    i = np.arange(2)
    rows = replay_memory.Transitions(
        state=np.zeros([2, 2], np.float32),
        prev_action=np.stack([i * 10 + t for t in range(4)], 1),
        action=np.stack([i * 10 + t + 1 for t in range(4)], 1),
        reward=np.ones([2, 4], np.float32),
        next_state=np.ones([2, 2], np.float32),
        discount=np.tile([0.5, 0.5, 0.5, 0.0], (2, 1)),
        next_log_prior=np.zeros([2, 4, 3], np.float32))
    memory.add(rows)
    self.assertLen(memory, 2)
    sample = memory.sample(6)
    self.assertEqual(sample.action.shape, (6, 4))
    self.assertEqual(sample.next_log_prior.shape, (6, 4, 3))
    np.testing.assert_array_equal(sample.prev_action[:, 1:],
                                  sample.action[:, :-1])
    path = os.path.join(self.create_tempdir().full_path, 'rows.npz')
    memory.save(path)
    restored = replay_memory.ReplayMemory(3, state_size=2, num_classes=3,
                                          steps=4)
    restored.load(path)
    np.testing.assert_array_equal(restored._arrays.action[:2], rows.action)
    # A memory of single transitions refuses the file (field shapes differ).
    with self.assertRaisesRegex(ValueError, 'field prev_action has shape'):
      replay_memory.ReplayMemory(3, state_size=2, num_classes=3).load(path)

  def test_errors(self):
    memory = replay_memory.ReplayMemory(4, state_size=2, num_classes=3)
    with self.assertRaisesRegex(ValueError, 'empty'):
      memory.sample(1)
    with self.assertRaisesRegex(ValueError, 'exceeds capacity'):
      memory.add(_batch(0, 5))
    with self.assertRaisesRegex(FileNotFoundError, 'nope.npz'):
      memory.load('/nonexistent/nope.npz')
    path = os.path.join(self.create_tempdir().full_path, 'r.npz')
    replay_memory.ReplayMemory(3, state_size=2, num_classes=3).save(path)
    with self.assertRaisesRegex(ValueError, 'differs'):
      memory.load(path)


if __name__ == '__main__':
  absltest.main()
