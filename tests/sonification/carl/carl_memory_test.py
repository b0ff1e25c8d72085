"""Tests for sonification.carl.carl_memory and carl_policy (numpy, no TF)."""

import os

from absl.testing import absltest
import numpy as np

from sonification.carl import carl_hparams
from sonification.carl import carl_memory
from sonification.carl import carl_policy


class ReplayMemoryTest(absltest.TestCase):

  def test_fifo_overwrites_oldest(self):
    memory = carl_memory.ReplayMemory(3, 1, 1)
    for i in range(5):
      memory.add([i], [i / 10], float(i), [i])
    self.assertLen(memory, 3)
    # 5 added to capacity 3: transitions 2, 3, 4 remain, oldest first.
    self.assertEqual(memory.get_state()['rewards'].tolist(), [2.0, 3.0, 4.0])

  def test_sample_without_replacement(self):
    memory = carl_memory.ReplayMemory(64, 2, 3)
    rng = np.random.default_rng(0)
    self.assertIsNone(memory.sample(4, rng))  # too few.
    for i in range(4):
      memory.add([i, i], [0, 0, 0], float(i), [i, i])
    states, actions, rewards, next_states = memory.sample(4, rng)
    self.assertEqual(states.shape, (4, 2))
    self.assertEqual(actions.shape, (4, 3))
    self.assertCountEqual(rewards.tolist(), [0.0, 1.0, 2.0, 3.0])
    memory.clear()
    self.assertEmpty(memory)

  def test_bad_transitions(self):
    memory = carl_memory.ReplayMemory(4, 2, 1)
    with self.assertRaisesRegex(ValueError, 'shapes'):
      memory.add([1], [0], 1.0, [1])
    with self.assertRaisesRegex(ValueError, 'not finite'):
      memory.add([1, 2], [0], float('nan'), [1, 2])

  def test_state_file_round_trip(self):
    memory = carl_memory.ReplayMemory(4, 2, 1)
    memory.add([1, 2], [0.5], -1.0, [1, 2])
    path = os.path.join(self.create_tempdir().full_path, 'sub', 's.npz')
    nets = {'actor': [np.ones((2, 3)), np.zeros(3)]}
    carl_memory.save_state(path, nets, memory.get_state(), {'k': 1})
    self.assertEqual(os.listdir(os.path.dirname(path)), ['s.npz'])  # no tmp.
    got_nets, got_memory, meta = carl_memory.load_state(path)
    self.assertEqual(meta, {'k': 1})
    np.testing.assert_array_equal(got_nets['actor'][0], np.ones((2, 3)))
    restored = carl_memory.ReplayMemory(4, 2, 1)
    restored.set_state(got_memory)
    self.assertEqual(restored.get_state()['rewards'].tolist(), [-1.0])
    with self.assertRaises(FileNotFoundError):
      carl_memory.load_state(path + '.missing')
    bad = self.create_tempfile(content='not a zip').full_path
    with self.assertRaisesRegex(ValueError, 'not a CARL state file'):
      carl_memory.load_state(bad)


class PolicyTest(absltest.TestCase):

  def test_numpy_actor_by_hand(self):
    # One hidden ReLU unit then a sigmoid: x = [1, -2].
    # h = relu(1 * 1 + -2 * 1 + 0.5) = relu(-0.5) = 0 -> out = sigmoid(0.3)
    w0, b0 = np.array([[1.0], [1.0]]), np.array([0.5])
    w1, b1 = np.array([[2.0]]), np.array([0.3])
    actor = carl_policy.NumpyActor([w0, b0, w1, b1])
    self.assertAlmostEqual(actor(np.array([1.0, -2.0]))[0],
                           1 / (1 + np.exp(-0.3)))
    # x = [1, 1]: h = 2.5, out = sigmoid(2 * 2.5 + 0.3) = sigmoid(5.3).
    self.assertAlmostEqual(actor(np.array([[1.0, 1.0]]))[0, 0],
                           1 / (1 + np.exp(-5.3)))
    with self.assertRaisesRegex(ValueError, 'do not match'):
      carl_policy.NumpyActor([w0, np.zeros(2)])
    with self.assertRaisesRegex(ValueError, 'sizes changed'):
      actor.set_weights([np.ones((3, 1)), b0, w1, b1])

  def test_ou_noise(self):
    noise = carl_policy.OrnsteinUhlenbeckNoise(2, sigma=0.0, theta=0.5)
    noise.state = np.array([1.0, -1.0])
    # sigma 0: x <- x + 0.5 (0 - x) = x / 2.
    np.testing.assert_allclose(noise(), [0.5, -0.5])
    noisy = carl_policy.OrnsteinUhlenbeckNoise(1000, sigma=0.2, seed=0)
    sample = noisy()
    self.assertAlmostEqual(float(np.std(sample)), 0.2, delta=0.02)
    clipped = carl_policy.explore(np.array([0.9, 0.1, 0.5]),
                                  np.array([0.5, -0.5, 0.1]))
    np.testing.assert_allclose(clipped, [1.0, 0.0, 0.6])


class HParamsTest(absltest.TestCase):

  def test_defaults_and_parse(self):
    hp = carl_hparams.CarlHParams()
    self.assertEqual((hp.memory_size, hp.batch_size, hp.tau, hp.discount),
                     (64, 4, 0.005, 0.95))
    hp = carl_hparams.CarlHParams.parse('output_size=8,actor_hidden=16:16')
    self.assertEqual(hp.output_size, 8)
    self.assertEqual(hp.actor_hidden, (16, 16))
    with self.assertRaisesRegex(ValueError, 'batch_size'):
      carl_hparams.CarlHParams(batch_size=65)
    with self.assertRaisesRegex(ValueError, "unknown hyperparameter 'colour'"):
      carl_hparams.CarlHParams.parse('colour=red')


if __name__ == '__main__':
  absltest.main()
