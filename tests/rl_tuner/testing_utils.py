"""Test helpers: a tiny Note RNN checkpoint and a MIDI primer in a temp dir."""

import os

import tensorflow as tf

from rl_tuner import midi_io
from rl_tuner.note_rnn import note_rnn_model

PRIMER_ACTIONS = (14, 1, 16, 1, 18, 1, 19, 0)  # C D E F, rests/holds between.


def make_tiny_note_rnn(directory: str, layer_sizes=(8,), seed: int = 0) -> str:
  """Saves a randomly initialised NoteRNN (as the Note RNN trainer would)."""
  tf.keras.utils.set_random_seed(seed)
  config = note_rnn_model.NoteRNNConfig(layer_sizes=layer_sizes)
  model = note_rnn_model.NoteRNN(config)
  config.save(directory)
  tf.train.CheckpointManager(tf.train.Checkpoint(model=model), directory,
                             1).save()
  return directory


def make_primer(directory: str) -> str:
  return midi_io.write_composition_midi(
      os.path.join(directory, 'primer.mid'), PRIMER_ACTIONS)
