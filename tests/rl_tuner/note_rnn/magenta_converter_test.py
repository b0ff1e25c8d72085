"""Tests for the Magenta RL Tuner checkpoint converter."""

import os

import numpy as np
import tensorflow as tf

from rl_tuner.note_rnn import magenta_converter
from rl_tuner.note_rnn import note_rnn_loader
from rl_tuner.note_rnn import note_rnn_trainer

C = 38  # Classes.
U = 5  # LSTM units (tiny).


def _sigmoid(x):
  return 1.0 / (1.0 + np.exp(-x))


def _write_tf1_checkpoint(directory, kernel_name, bias_name, out_w_name,
                          out_b_name, seed=0):
  """Writes a TF1 name-based checkpoint with the public Note RNN's naming."""
  rng = np.random.default_rng(seed)
  values = {
      kernel_name: rng.normal(0, 0.5, [C + U, 4 * U]).astype(np.float32),
      bias_name: rng.normal(0, 0.5, [4 * U]).astype(np.float32),
      out_w_name: rng.normal(0, 0.5, [U, C]).astype(np.float32),
      out_b_name: rng.normal(0, 0.5, [C]).astype(np.float32),
  }
  graph = tf.Graph()
  with graph.as_default():
    variables = {name: tf.compat.v1.get_variable(
        name, initializer=tf.constant(v)) for name, v in values.items()}
    saver = tf.compat.v1.train.Saver(var_list=variables)
    with tf.compat.v1.Session(graph=graph) as sess:
      sess.run(tf.compat.v1.global_variables_initializer())
      prefix = saver.save(sess, os.path.join(directory, 'model.ckpt'),
                          global_step=30000)
  return prefix, values


def _tf1_lstm_step(x, h, c, kernel, bias, out_w, out_b, forget_bias=1.0):
  """Reference TF1 BasicLSTMCell step + linear layer in numpy.

  Gates (i, j, f, o) = split(concat(x, h) @ kernel + bias, 4);
  c' = sig(f + forget_bias) c + sig(i) tanh(j); h' = sig(o) tanh(c').
  """
  z = np.concatenate([x, h], -1) @ kernel + bias
  i, j, f, o = np.split(z, 4, axis=-1)
  c2 = _sigmoid(f + forget_bias) * c + _sigmoid(i) * np.tanh(j)
  h2 = _sigmoid(o) * np.tanh(c2)
  return h2 @ out_w + out_b, h2, c2


class MagentaConverterTest(tf.test.TestCase):

  def _check_matches_reference(self, names):
    prefix, v = _write_tf1_checkpoint(self.get_temp_dir(), *names)
    kernel, bias, out_w, out_b = (v[n] for n in names)
    model = magenta_converter.convert_checkpoint(prefix)
    self.assertEqual(model.config.layer_sizes, (U,))
    # Our class a is the checkpoint's class swap(a): 0 <-> 1, pitches same.
    swap = np.array([1, 0] + list(range(2, C)))
    ours = np.array([0, 1, 14, 37])  # NOTE_OFF, NO_EVENT, C4, B5.
    h = np.zeros([4, U], np.float32)
    c = np.zeros([4, U], np.float32)
    state = model.initial_state(4)
    for _ in range(3):  # Three steps: the state carries over.
      ref_logits, h, c = _tf1_lstm_step(np.eye(C)[swap[ours]], h, c, kernel,
                                        bias, out_w, out_b)
      logits, state = model.step(tf.one_hot(ours, C), state)
      self.assertAllClose(logits.numpy(), ref_logits[:, swap], atol=1e-5)
      # Our flat state is [h, c].
      self.assertAllClose(state.numpy(), np.concatenate([h, c], -1),
                          atol=1e-5)
      ours = (ours + 5) % C

  def test_public_checkpoint_names(self):
    self._check_matches_reference((
        'rnn_model/RNN/MultiRNNCell/Cell0/LSTMCell/W_0',
        'rnn_model/RNN/MultiRNNCell/Cell0/LSTMCell/B',
        'rnn_model/fully_connected/weights',
        'rnn_model/fully_connected/bias'))

  def test_basic_lstm_cell_names(self):
    self._check_matches_reference((
        'rnn_model/RNN/MultiRNNCell/Cell0/BasicLSTMCell/Linear/Matrix',
        'rnn_model/RNN/MultiRNNCell/Cell0/BasicLSTMCell/Linear/Bias',
        'rnn_model/softmax_W', 'rnn_model/softmax_b'))

  def test_gate_reorder_by_hand(self):
    # Blocks of width 1: (i, j, f, o) = (1, 2, 3, 4) -> (i, f, j, o).
    self.assertAllEqual(magenta_converter._reorder_gates(
        np.array([1., 2., 3., 4.]), 1), [1., 3., 2., 4.])

  def test_converted_model_saves_and_loads(self):
    names = ('rnn_model/RNN/MultiRNNCell/Cell0/LSTMCell/W_0',
             'rnn_model/RNN/MultiRNNCell/Cell0/LSTMCell/B',
             'rnn_model/fully_connected/weights',
             'rnn_model/fully_connected/bias')
    prefix, _ = _write_tf1_checkpoint(self.get_temp_dir(), *names)
    model = magenta_converter.convert_checkpoint(os.path.dirname(prefix))
    out = os.path.join(self.get_temp_dir(), 'converted')
    note_rnn_trainer.export_model(model, out)
    loaded = note_rnn_loader.NoteRNNLoader(out).load()
    x = tf.one_hot([[3, 1, 0]], C)
    self.assertAllClose(loaded(x), model(x))

  def test_wrong_checkpoint_names_the_file(self):
    prefix, _ = _write_tf1_checkpoint(self.get_temp_dir(), 'a/k', 'a/b',
                                      'a/w', 'a/c')
    with self.assertRaisesRegex(ValueError, 'model.ckpt-30000'):
      magenta_converter.convert_checkpoint(prefix)

  def test_directory_without_checkpoint(self):
    empty = os.path.join(self.get_temp_dir(), 'empty')
    os.makedirs(empty)
    with self.assertRaisesRegex(FileNotFoundError, 'empty'):
      magenta_converter.convert_checkpoint(empty)


if __name__ == '__main__':
  tf.test.main()
