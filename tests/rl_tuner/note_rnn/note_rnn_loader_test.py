"""Tests for NoteRNNLoader, including the shipped checkpoint."""

import json
import os

import tensorflow as tf

from rl_tuner import paths
from rl_tuner.note_rnn import note_rnn_loader
from rl_tuner.note_rnn import note_rnn_model
from rl_tuner.note_rnn import note_rnn_trainer


class NoteRNNLoaderTest(tf.test.TestCase):

  def _export(self, name):
    model = note_rnn_model.NoteRNN(note_rnn_model.NoteRNNConfig((5,)))
    d = os.path.join(self.get_temp_dir(), name)
    note_rnn_trainer.export_model(model, d)
    return model, d

  def test_missing_directory(self):
    with self.assertRaisesRegex(FileNotFoundError, 'nowhere'):
      note_rnn_loader.NoteRNNLoader(os.path.join(self.get_temp_dir(),
                                                 'nowhere'))

  def test_missing_config(self):
    d = os.path.join(self.get_temp_dir(), 'noconfig')
    os.makedirs(d)
    with self.assertRaisesRegex(FileNotFoundError, 'note_rnn_config.json'):
      note_rnn_loader.NoteRNNLoader(d)

  def test_missing_checkpoint(self):
    d = os.path.join(self.get_temp_dir(), 'nockpt')
    note_rnn_model.NoteRNNConfig((5,)).save(d)
    with self.assertRaisesRegex(FileNotFoundError, 'nockpt'):
      note_rnn_loader.NoteRNNLoader(d)

  def test_mismatched_config_raises(self):
    _, d = self._export('mismatch')
    note_rnn_model.NoteRNNConfig((7,)).save(d)
    with self.assertRaisesRegex(ValueError, 'cannot restore a Note RNN'):
      note_rnn_loader.NoteRNNLoader(d).load()

  def test_copies_have_the_weights_and_reward_rnn_is_frozen(self):
    model, d = self._export('copies')
    copies = note_rnn_loader.NoteRNNLoader(d).load_copies()
    x = tf.one_hot([[14, 1, 0]], 38)
    for copy in copies:
      self.assertAllClose(copy(x), model(x))
    self.assertEmpty(copies.reward_rnn.trainable_variables)
    self.assertNotEmpty(copies.q_network.trainable_variables)
    # Copies are independent: changing one leaves the others.
    copies.q_network.logits_layer.bias.assign_add(tf.ones([38]))
    self.assertAllClose(copies.target_q_network(x), model(x))

  def test_shipped_checkpoint_loads_and_beats_the_bigram(self):
    d = paths.DEFAULT_NOTE_RNN_CHECKPOINT_DIR
    model = note_rnn_loader.NoteRNNLoader(d).load()
    self.assertEqual(model.config.layer_sizes, (100,))
    with open(os.path.join(d, note_rnn_trainer.RECORD_FILENAME)) as f:
      record = json.load(f)
    self.assertLess(record['validation']['log_perplexity'],
                    record['bigram_baseline']['log_perplexity'])
    self.assertGreater(record['validation']['accuracy'],
                       record['bigram_baseline']['accuracy'])
    # Whole held-out melodies (note_rnn_eval): better than the 10-gram
    # Kneser-Ney model in log perplexity, and it knows how melodies begin:
    # after the first event its p(onset) is within 0.05 of the data's rate
    # (the paper's skip-8-everywhere training gave 0.90 against 0.11).
    held_out = record['held_out']
    self.assertLess(held_out['note_rnn']['all']['log_perplexity'],
                    held_out['kneser_ney_10']['all']['log_perplexity'])
    self.assertAlmostEqual(held_out['note_rnn']['p_onset_after_first'],
                           held_out['data']['onset_rate_after_first'],
                           delta=0.05)


if __name__ == '__main__':
  tf.test.main()
