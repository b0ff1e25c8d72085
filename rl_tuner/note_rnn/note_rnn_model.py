"""The Note RNN: an LSTM over the 38-class melody encoding.

Jaques et al. (ICLR 2017 workshop) use one LSTM layer of 100 cells and a
softmax over 38 classes; Magenta's bigger "basic_rnn" used [512, 512]. The
model is a Keras 3 model with two entry points that share weights:

  * ``model(inputs)``: teacher-forced sequences, one-hot ``[batch, time, 38]``
    -> logits ``[batch, time, 38]`` (maximum-likelihood training);
  * ``model.step(inputs, state)``: one step, one-hot ``[batch, 38]`` and a flat
    LSTM state ``[batch, state_size]`` -> logits ``[batch, 38]`` and the next
    state. The RL Tuner stores these flat states in its replay memory.

The flat state concatenates, layer by layer, the hidden state h and the cell
state c: ``[h_1, c_1, h_2, c_2, ...]``, so ``state_size = 2 * sum(layer_sizes)``.
"""

import dataclasses
import json
import os
from typing import Tuple

import tensorflow as tf

from rl_tuner import encoding
from rl_tuner import file_errors

CONFIG_FILENAME = 'note_rnn_config.json'


@dataclasses.dataclass(frozen=True)
class NoteRNNConfig:
  """Architecture of a Note RNN.

  Attributes:
    layer_sizes: LSTM cells per layer (paper: (100,); Magenta basic_rnn:
      (512, 512)).
    num_classes: size of the one-hot input and of the softmax (38).
  """
  layer_sizes: Tuple[int, ...] = (100,)
  num_classes: int = encoding.NUM_CLASSES

  def __post_init__(self):
    sizes = tuple(int(s) for s in self.layer_sizes)
    object.__setattr__(self, 'layer_sizes', sizes)
    if not sizes or any(not 0 < s <= 65_536 for s in sizes):
      raise ValueError(
          f'NoteRNNConfig.layer_sizes must be non-empty ints in [1, 65536], '
          f'got {self.layer_sizes!r}')
    if self.num_classes <= 2:
      raise ValueError(f'NoteRNNConfig.num_classes must be > 2, got '
                       f'{self.num_classes}')

  @property
  def state_size(self) -> int:
    """Length of the flat LSTM state: 2 * sum(layer_sizes)."""
    return 2 * sum(self.layer_sizes)

  def save(self, directory: str) -> str:
    """Writes the config as JSON into ``directory``; returns the file path."""
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, CONFIG_FILENAME)
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
      json.dump(dataclasses.asdict(self), f, indent=2)
    os.replace(tmp, path)
    return path

  @classmethod
  def load(cls, directory: str) -> 'NoteRNNConfig':
    """Reads the config written by :meth:`save`.

    Raises:
      FileNotFoundError: if ``directory`` holds no note_rnn_config.json.
      ValueError: if the file is not a valid config.
    """
    path = os.path.join(directory, CONFIG_FILENAME)
    if not os.path.exists(path):
      raise FileNotFoundError(
          f'No Note RNN config {CONFIG_FILENAME} in {directory!r}: is this a '
          f'Note RNN checkpoint directory?')
    try:
      with open(path) as f:
        raw = json.load(f)
      return cls(layer_sizes=tuple(raw['layer_sizes']),
                 num_classes=int(raw.get('num_classes', encoding.NUM_CLASSES)))
    except (ValueError, KeyError, TypeError, AttributeError, OSError) as e:
      raise file_errors.CorruptFileError(
          path, f'not a valid Note RNN config ({file_errors.describe(e)})'
      ) from e


class NoteRNN(tf.keras.Model):
  """Stacked-LSTM Note RNN with a linear output layer (logits over 38 classes).

  Args:
    config: a :class:`NoteRNNConfig`.
    name: Keras model name (also the checkpoint's top-level object name).
  """

  def __init__(self, config: NoteRNNConfig = NoteRNNConfig(),
               name: str = 'note_rnn'):
    super().__init__(name=name)
    self.config = config
    self.lstm_layers = []
    for i, n in enumerate(config.layer_sizes):
      layer = tf.keras.layers.LSTM(n, return_sequences=True, return_state=True,
                                   name=f'lstm_{i}')
      # An attribute per layer: tf.train.Checkpoint does not track Keras 3
      # layers held only in a Python list.
      setattr(self, f'lstm_{i}', layer)
      self.lstm_layers.append(layer)
    self.logits_layer = tf.keras.layers.Dense(config.num_classes,
                                              name='logits')
    # Build every weight now so step() and call() can run in either order and
    # checkpoints restore eagerly.
    self(tf.zeros([1, 1, config.num_classes]))

  @property
  def state_size(self) -> int:
    return self.config.state_size

  def initial_state(self, batch_size: int) -> tf.Tensor:
    """Zero LSTM state, float32 ``[batch_size, state_size]``."""
    return tf.zeros([batch_size, self.state_size], tf.float32)

  def _split_state(self, state):
    parts, offset = [], 0
    for n in self.config.layer_sizes:
      parts.append((state[:, offset:offset + n],
                    state[:, offset + n:offset + 2 * n]))
      offset += 2 * n
    return parts

  def call(self, inputs, initial_state=None, return_state=False,
           training=False):
    """Teacher-forced pass over whole sequences.

    Args:
      inputs: float one-hot ``[batch, time, 38]``.
      initial_state: optional flat state ``[batch, state_size]``; zeros if
        None.
      return_state: also return the final flat state ``[batch, state_size]``.
      training: unused (no dropout), kept for the Keras signature.

    Returns:
      logits ``[batch, time, 38]`` (and the final state if ``return_state``).
    """
    x = inputs
    finals = []
    layer_states = (self._split_state(initial_state)
                    if initial_state is not None else
                    [None] * len(self.lstm_layers))
    for layer, st in zip(self.lstm_layers, layer_states):
      x, h, c = layer(x, initial_state=list(st) if st is not None else None)
      finals.extend([h, c])
    logits = self.logits_layer(x)
    if return_state:
      return logits, tf.concat(finals, axis=-1)
    return logits

  def step(self, inputs, state):
    """One step of the LSTM.

    Args:
      inputs: float one-hot ``[batch, 38]`` of the previous event.
      state: flat LSTM state ``[batch, state_size]``.

    Returns:
      (logits ``[batch, 38]``, next flat state ``[batch, state_size]``).
    """
    x = inputs
    finals = []
    for layer, (h, c) in zip(self.lstm_layers, self._split_state(state)):
      x, (h, c) = layer.cell(x, [h, c])
      finals.extend([h, c])
    return self.logits_layer(x), tf.concat(finals, axis=-1)

  def l2_loss(self) -> tf.Tensor:
    """Sum of squared kernel weights / 2 (tf.nn.l2_loss), biases excluded."""
    return tf.add_n([tf.nn.l2_loss(v) for v in self.trainable_variables
                     if 'bias' not in v.path])
