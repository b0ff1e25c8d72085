"""NoteRNNLoader: restores trained Note RNNs, e.g. the three RL Tuner copies.

A Note RNN checkpoint directory holds ``note_rnn_config.json`` (the
architecture, :class:`NoteRNNConfig`) and TF2 object-based checkpoint files
written by ``tf.train.CheckpointManager`` over ``tf.train.Checkpoint(model=...)``
(the training checkpoint may hold more, e.g. the optimiser, which is skipped).

The RL Tuner (Jaques et al. 2017) needs three copies of the same trained
weights: ``q_network`` and ``target_q_network`` start from the Note RNN and are
tuned, and ``reward_rnn`` is frozen and supplies log p(a|s).
"""

import collections
import os

import tensorflow as tf

from rl_tuner import file_errors
from rl_tuner.note_rnn import note_rnn_model

NoteRNNCopies = collections.namedtuple(
    'NoteRNNCopies', ['q_network', 'target_q_network', 'reward_rnn'])


class NoteRNNLoader:
  """Loads Note RNNs from one checkpoint directory.

  Args:
    checkpoint_dir: directory with note_rnn_config.json and checkpoint files.
    checkpoint_path: optional explicit checkpoint prefix (e.g. ``DIR/ckpt-7``);
      default: the latest in ``checkpoint_dir``.

  Raises:
    FileNotFoundError: if the directory, its config or its checkpoint is
      missing (the message names the directory).
    ValueError: if the config is corrupt.
  """

  def __init__(self, checkpoint_dir: str, checkpoint_path: str = None):
    if not os.path.isdir(checkpoint_dir):
      raise FileNotFoundError(
          f'Note RNN checkpoint directory {checkpoint_dir!r} does not exist')
    self.checkpoint_dir = checkpoint_dir
    self.config = note_rnn_model.NoteRNNConfig.load(checkpoint_dir)
    self.checkpoint_path = (checkpoint_path or
                            tf.train.latest_checkpoint(checkpoint_dir))
    if not self.checkpoint_path:
      raise FileNotFoundError(
          f'No checkpoint in Note RNN directory {checkpoint_dir!r} (expected '
          f'files written by tf.train.CheckpointManager)')

  def load(self, name: str = 'note_rnn',
           trainable: bool = True) -> note_rnn_model.NoteRNN:
    """Builds a Note RNN and restores the trained weights into it.

    Args:
      name: Keras name of the copy (e.g. 'q_network').
      trainable: False freezes the copy (no trainable variables).

    Returns:
      The restored :class:`NoteRNN`.

    Raises:
      file_errors.CorruptFileError: (a ValueError) naming the checkpoint if
        it is damaged or does not match the config.
    """
    model = note_rnn_model.NoteRNN(self.config, name=name)
    try:
      status = tf.train.Checkpoint(model=model).restore(self.checkpoint_path)
      status.expect_partial()
      status.assert_existing_objects_matched()
    except Exception as e:  # pylint: disable=broad-except
      # A damaged file raises DataLossError, IndexError, ... by where it is.
      raise file_errors.CorruptFileError(
          self.checkpoint_path, f'cannot restore a Note RNN '
          f'({file_errors.describe(e)})') from e
    model.trainable = trainable
    return model

  def load_copies(self) -> NoteRNNCopies:
    """The RL Tuner's three copies; ``reward_rnn`` is frozen."""
    return NoteRNNCopies(
        q_network=self.load('q_network'),
        target_q_network=self.load('target_q_network'),
        reward_rnn=self.load('reward_rnn', trainable=False))
