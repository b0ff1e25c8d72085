"""Tests for the Note RNN model (tiny sizes)."""

import os

import numpy as np
import tensorflow as tf

from rl_tuner.note_rnn import note_rnn_model


class NoteRNNModelTest(tf.test.TestCase):

  def setUp(self):
    super().setUp()
    tf.keras.utils.set_random_seed(0)
    self.config = note_rnn_model.NoteRNNConfig(layer_sizes=(6, 4))
    self.model = note_rnn_model.NoteRNN(self.config)
    self.inputs = tf.one_hot([[14, 1, 18, 0, 21], [2, 37, 1, 1, 0]], 38)

  def test_state_size(self):
    # 2 * (6 + 4) = 20: [h_1 (6), c_1 (6), h_2 (4), c_2 (4)].
    self.assertEqual(self.model.state_size, 20)
    self.assertEqual(self.model.initial_state(3).shape, (3, 20))

  def test_step_equals_call(self):
    logits, final = self.model(self.inputs, return_state=True)
    self.assertEqual(logits.shape, (2, 5, 38))
    state = self.model.initial_state(2)
    for t in range(5):
      step_logits, state = self.model.step(self.inputs[:, t], state)
      self.assertAllClose(step_logits, logits[:, t], atol=1e-5)
    self.assertAllClose(state, final, atol=1e-5)

  def test_state_layout_is_h_then_c_per_layer(self):
    _, state = self.model.step(self.inputs[:, 0], self.model.initial_state(2))
    _, (h1, c1) = self.model.lstm_layers[0].cell(
        self.inputs[:, 0], [tf.zeros([2, 6]), tf.zeros([2, 6])])
    self.assertAllClose(state[:, :6], h1)
    self.assertAllClose(state[:, 6:12], c1)
    # h = o * tanh(c): |h| <= |tanh(c)|.
    self.assertTrue(np.all(np.abs(h1) <= np.abs(np.tanh(c1)) + 1e-6))

  def test_call_with_initial_state_continues(self):
    full = self.model(self.inputs)
    _, mid = self.model(self.inputs[:, :2], return_state=True)
    rest = self.model(self.inputs[:, 2:], initial_state=mid)
    self.assertAllClose(rest, full[:, 2:], atol=1e-5)

  def test_config_round_trip_and_errors(self):
    d = self.get_temp_dir()
    self.config.save(d)
    self.assertEqual(note_rnn_model.NoteRNNConfig.load(d), self.config)
    with self.assertRaisesRegex(ValueError, 'layer_sizes'):
      note_rnn_model.NoteRNNConfig(layer_sizes=(0,))
    with open(os.path.join(d, note_rnn_model.CONFIG_FILENAME), 'w') as f:
      f.write('{not json')
    with self.assertRaisesRegex(ValueError, 'not a valid Note RNN config'):
      note_rnn_model.NoteRNNConfig.load(d)

  def test_l2_loss_excludes_biases(self):
    self.model.logits_layer.bias.assign(tf.fill([38], 100.0))
    expected = sum(0.5 * np.sum(v.numpy() ** 2)
                   for v in self.model.trainable_variables
                   if 'bias' not in v.path)
    self.assertAllClose(self.model.l2_loss(), expected, rtol=1e-5)


if __name__ == '__main__':
  tf.test.main()
