"""Tests of drums.beat_memory: FIFO order, sampling without replacement."""

from absl.testing import absltest
import numpy as np

from drums import beat_memory


def filled(capacity, count):
  memory = beat_memory.BeatReplayMemory(capacity, 2, seed=0)
  for i in range(count):
    memory.add([i, i], i % 2, float(i), [i + 1, i + 1])
  return memory


class BeatReplayMemoryTest(absltest.TestCase):

  def test_fifo_overwrites_oldest(self):
    memory = filled(4, 6)  # 0..5 added, 4 kept: 2, 3, 4, 5.
    self.assertLen(memory, 4)
    np.testing.assert_array_equal(memory.in_order()[2], [2, 3, 4, 5])

  def test_sample_without_replacement(self):
    memory = filled(64, 40)
    states, actions, rewards, next_states = memory.sample(32)
    self.assertEqual(states.shape, (32, 2))
    self.assertLen(set(rewards.tolist()), 32)  # Distinct transitions.
    np.testing.assert_array_equal(next_states[:, 0], states[:, 0] + 1)
    np.testing.assert_array_equal(actions, rewards.astype(int) % 2)

  def test_sample_up_to_what_is_stored(self):
    self.assertIsNone(filled(8, 0).sample(32))
    self.assertLen(filled(8, 3).sample(32)[0], 3)

  def test_arrays_round_trip_keeps_order(self):
    memory = filled(4, 6)
    other = beat_memory.BeatReplayMemory(4, 2)
    other.from_arrays(memory.to_arrays())
    for a, b in zip(memory.in_order(), other.in_order()):
      np.testing.assert_array_equal(a, b)
    with self.assertRaisesRegex(ValueError, 'expected'):
      beat_memory.BeatReplayMemory(4, 3).from_arrays(memory.to_arrays())

  def test_bad_capacity(self):
    with self.assertRaises(ValueError):
      beat_memory.BeatReplayMemory(0, 2)


if __name__ == '__main__':
  absltest.main()
