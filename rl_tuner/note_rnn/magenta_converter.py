"""Converts a public Magenta RL Tuner Note RNN checkpoint into our NoteRNN.

The public RL Tuner (magenta/models/rl_tuner/note_rnn_loader.py) builds, in
variable scope ``rnn_model``, a ``MultiRNNCell`` of LSTM cells run by
``dynamic_rnn`` and a linear output layer (``legacy_linear``). Its released
checkpoint was written by TF 0.x, so the variable names depend on the
TensorFlow version that wrote it; :data:`KERNEL_NAMES`, :data:`BIAS_NAMES`
and :data:`OUTPUT_NAMES` list the spellings this converter accepts (cell
index ``k``), e.g. ``rnn_model/RNN/MultiRNNCell/Cell0/LSTMCell/W_0`` and
``.../B`` (the public checkpoint), ``.../BasicLSTMCell/Linear/Matrix`` and
``.../Bias``, TF 1.x ``rnn_model/rnn/multi_rnn_cell/cell_0/lstm_cell/kernel``
and ``/bias``, and ``rnn_model/fully_connected/weights`` and ``/bias``.

Weight layout and maths:
  * TF1 LSTM kernel ``[input + units, 4 units]`` multiplies ``concat(x, h)``;
    the gate blocks are ``(i, j, f, o)`` (j = candidate), and the forget gate
    gets a constant ``forget_bias`` (1.0 by default) that is not stored:
    ``c' = sig(f + 1) c + sig(i) tanh(j)``, ``h' = sig(o) tanh(c')``.
  * Keras LSTM: ``kernel [input, 4 units]``, ``recurrent_kernel [units,
    4 units]``, ``bias [4 units]``, gate blocks ``(i, f, c, o)``, no constant
    forget bias. So the kernel is split at row ``input``, the column blocks
    are reordered ``(i, j, f, o) -> (i, f, j, o)``, and ``forget_bias`` is
    added to the f block of the bias.
  * Output layer: ``weights [units, 38]``, ``bias [38]``, same as Dense.

Encoding: the public Note RNN was trained on note_seq's
``MelodyOneHotEncoding(min_note=48, max_note=84)``: class 0 = NO_EVENT,
1 = NOTE_OFF, k >= 2 = MIDI pitch k + 46. Ours (rl_tuner.encoding) has
0 = NOTE_OFF and 1 = NO_EVENT, pitches identical. With
``swap_special_events=True`` (default) the converter swaps input rows 0 and 1
of the first kernel and output columns 0 and 1 of the output layer, so the
converted model speaks our encoding. (The public RL code itself decodes
actions as pitch ``a + 48``; that bug is in its decoding, not the weights,
which need no pitch shift.)

State: TF1's non-tuple LSTM state is ``concat(c, h)``; ours is
``[h, c]`` per layer. Only weights are converted, so this matters only to
someone feeding old states in.
"""

import os
from typing import Dict, List, Tuple

import numpy as np
import tensorflow as tf

from rl_tuner.note_rnn import note_rnn_model

KERNEL_NAMES = (
    '{scope}/RNN/MultiRNNCell/Cell{k}/LSTMCell/W_0',
    '{scope}/RNN/MultiRNNCell/Cell{k}/BasicLSTMCell/Linear/Matrix',
    '{scope}/rnn/multi_rnn_cell/cell_{k}/lstm_cell/kernel',
    '{scope}/rnn/multi_rnn_cell/cell_{k}/basic_lstm_cell/kernel',
)
BIAS_NAMES = (
    '{scope}/RNN/MultiRNNCell/Cell{k}/LSTMCell/B',
    '{scope}/RNN/MultiRNNCell/Cell{k}/BasicLSTMCell/Linear/Bias',
    '{scope}/rnn/multi_rnn_cell/cell_{k}/lstm_cell/bias',
    '{scope}/rnn/multi_rnn_cell/cell_{k}/basic_lstm_cell/bias',
)
OUTPUT_NAMES = (
    ('{scope}/fully_connected/weights', '{scope}/fully_connected/bias'),
    ('{scope}/fully_connected/weights', '{scope}/fully_connected/biases'),
    ('{scope}/softmax_W', '{scope}/softmax_b'),
)
FORGET_BIAS = 1.0  # TF1 BasicLSTMCell/LSTMCell default.
_MAX_LAYERS = 16


def _find(names, values, **fmt):
  for pattern in names:
    name = pattern.format(**fmt)
    if name in values:
      return name
  return None


def read_magenta_checkpoint(checkpoint: str, scope: str = 'rnn_model'
                            ) -> Dict[str, object]:
  """Reads the Note RNN weights of a Magenta RL Tuner checkpoint.

  Args:
    checkpoint: a checkpoint prefix (``.../model.ckpt-30000``) or a directory
      holding one.
    scope: the variable scope the Note RNN was trained in ('rnn_model').

  Returns:
    {'layers': [(kernel [in+u, 4u], bias [4u]), ...] per LSTM layer,
     'output': (weights [u, C], bias [C]), 'names': the variables used}.

  Raises:
    FileNotFoundError: if no checkpoint is found.
    ValueError: naming the checkpoint if the expected variables are missing
      (the message lists the variables it does hold).
  """
  path = (tf.train.latest_checkpoint(checkpoint) if os.path.isdir(checkpoint)
          else checkpoint)
  if not path:
    raise FileNotFoundError(f'No checkpoint in directory {checkpoint!r}')
  try:
    reader = tf.train.load_checkpoint(path)
  except (tf.errors.OpError, ValueError) as e:
    raise FileNotFoundError(f'Cannot read checkpoint {path!r}: {e}') from e
  shapes = reader.get_variable_to_shape_map()
  layers, names = [], []
  for k in range(_MAX_LAYERS):
    kn = _find(KERNEL_NAMES, shapes, scope=scope, k=k)
    bn = _find(BIAS_NAMES, shapes, scope=scope, k=k)
    if kn is None or bn is None:
      break
    layers.append((reader.get_tensor(kn), reader.get_tensor(bn)))
    names += [kn, bn]
  output = None
  for wn, bn in OUTPUT_NAMES:
    wn, bn = wn.format(scope=scope), bn.format(scope=scope)
    if wn in shapes and bn in shapes:
      output = (reader.get_tensor(wn), reader.get_tensor(bn))
      names += [wn, bn]
      break
  if not layers or output is None:
    raise ValueError(
        f'{path!r} is not a Magenta RL Tuner Note RNN checkpoint under scope '
        f'{scope!r}: expected e.g. {KERNEL_NAMES[0].format(scope=scope, k=0)} '
        f'and {OUTPUT_NAMES[0][0].format(scope=scope)}; it holds '
        f'{sorted(shapes)}')
  return {'layers': layers, 'output': output, 'names': names}


def _reorder_gates(x: np.ndarray, units: int) -> np.ndarray:
  """Last-axis gate blocks (i, j, f, o) -> (i, f, j, o)."""
  i, j, f, o = (x[..., g * units:(g + 1) * units] for g in range(4))
  return np.concatenate([i, f, j, o], axis=-1)


def convert_weights(weights: Dict[str, object], forget_bias: float = FORGET_BIAS,
                    swap_special_events: bool = True
                    ) -> Tuple[List[List[np.ndarray]], List[np.ndarray]]:
  """TF1 Note RNN weights -> Keras weights.

  Args:
    weights: output of :func:`read_magenta_checkpoint`.
    forget_bias: the TF1 cell's constant forget bias (folded into the bias).
    swap_special_events: swap classes 0 and 1 (note_seq's NO_EVENT/NOTE_OFF
      order -> ours) in the first layer's inputs and the outputs.

  Returns:
    ([[kernel, recurrent_kernel, bias] per layer], [dense_kernel,
    dense_bias]), ready for ``layer.set_weights``.

  Raises:
    ValueError: if shapes are inconsistent.
  """
  keras_layers = []
  for n, (kernel, bias) in enumerate(weights['layers']):
    units = bias.shape[0] // 4
    if bias.shape[0] != 4 * units or kernel.shape[1] != 4 * units:
      raise ValueError(f'LSTM layer {n}: kernel {kernel.shape} and bias '
                       f'{bias.shape} are not [in+u, 4u] and [4u]')
    n_in = kernel.shape[0] - units
    w_x = _reorder_gates(kernel[:n_in], units)
    w_h = _reorder_gates(kernel[n_in:], units)
    b = _reorder_gates(bias, units).copy()
    b[units:2 * units] += forget_bias
    if n == 0 and swap_special_events:
      w_x = w_x[[1, 0] + list(range(2, n_in))]
    keras_layers.append([w_x.astype(np.float32), w_h.astype(np.float32),
                         b.astype(np.float32)])
  out_w, out_b = weights['output']
  if swap_special_events:
    perm = [1, 0] + list(range(2, out_w.shape[1]))
    out_w, out_b = out_w[:, perm], out_b[perm]
  return keras_layers, [out_w.astype(np.float32), out_b.astype(np.float32)]


def convert_checkpoint(checkpoint: str, scope: str = 'rnn_model',
                       forget_bias: float = FORGET_BIAS,
                       swap_special_events: bool = True
                       ) -> note_rnn_model.NoteRNN:
  """Builds a :class:`NoteRNN` holding a Magenta checkpoint's weights.

  Args:
    checkpoint: checkpoint prefix or directory.
    scope, forget_bias, swap_special_events: see above.

  Returns:
    The converted model (architecture read from the weight shapes).

  Raises:
    FileNotFoundError, ValueError: see :func:`read_magenta_checkpoint`; also
      if the checkpoint's input size is not the model's 38 classes.
  """
  weights = read_magenta_checkpoint(checkpoint, scope)
  lstm, dense = convert_weights(weights, forget_bias, swap_special_events)
  sizes = tuple(w[1].shape[0] for w in lstm)
  num_classes = dense[0].shape[1]
  if lstm[0][0].shape[0] != num_classes:
    raise ValueError(f'{checkpoint!r}: input size {lstm[0][0].shape[0]} != '
                     f'output size {num_classes}')
  model = note_rnn_model.NoteRNN(note_rnn_model.NoteRNNConfig(
      layer_sizes=sizes, num_classes=num_classes))
  for layer, w in zip(model.lstm_layers, lstm):
    layer.set_weights(w)
  model.logits_layer.set_weights(dense)
  return model
