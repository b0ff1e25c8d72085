"""Tests for the Note RNN trainer (tiny models)."""

import dataclasses
import json
import math
import os

import numpy as np
import tensorflow as tf

from rl_tuner.note_rnn import melody_pipeline
from rl_tuner.note_rnn import note_rnn_loader
from rl_tuner.note_rnn import note_rnn_trainer

TINY = note_rnn_trainer.NoteRNNHParams(
    layer_sizes=(8,), batch_size=4, window_steps=12, window_stride=6,
    skip_first_steps=2, learning_rate=0.02)


def _windows():
  # A repeating 4-step figure: C4 hold E4 hold; easy to learn.
  melody = np.array([14, 1, 18, 1] * 12, np.int32)
  return melody_pipeline.make_windows([melody], 12, 6)


class SequenceLossTest(tf.test.TestCase):

  def test_masking_by_hand(self):
    pad = melody_pipeline.PAD
    labels = tf.constant([[1, 2, pad, 3]])
    logits = np.zeros([1, 4, 38], np.float32)
    logits[0, 1, 2] = 100.0  # Step 1 predicts its label 2 with p ~ 1.
    nll, correct, total, nll_sum = note_rnn_trainer.sequence_loss(
        tf.constant(logits), labels, skip_first_steps=1)
    # Scored steps: t=1 (nll ~ 0, correct) and t=3 (uniform: ln 38, argmax 0
    # != 3); t=0 skipped, t=2 padding.
    self.assertAllClose(total, 2.0)
    self.assertAllClose(correct, 1.0)
    self.assertAllClose(nll_sum, math.log(38), atol=1e-4)
    self.assertAllClose(nll, math.log(38) / 2, atol=1e-4)

  def test_per_window_skips(self):
    labels = tf.constant([[1, 2, 3], [1, 2, 3]])
    logits = tf.zeros([2, 3, 38])
    # Window 0 opens its melody (skip 0: 3 steps), window 1 skips 2 (1 step).
    _, _, total, nll_sum = note_rnn_trainer.sequence_loss(
        logits, labels, tf.constant([0, 2]))
    self.assertAllClose(total, 4.0)
    self.assertAllClose(nll_sum, 4 * math.log(38), atol=1e-4)

  def test_skips_follow_the_window_starts(self):
    trainer = note_rnn_trainer.NoteRNNTrainer(TINY, self.get_temp_dir())
    self.assertAllEqual(trainer.skips(np.array([0, 6, 0]), 3), [0, 2, 0])
    self.assertAllEqual(trainer.skips(None, 2), [2, 2])
    paper = note_rnn_trainer.NoteRNNTrainer(
        dataclasses.replace(TINY, score_melody_starts=False),
        os.path.join(self.get_temp_dir(), 'paper'))
    self.assertAllEqual(paper.skips(np.array([0, 6]), 2), [2, 2])


class HParamsTest(tf.test.TestCase):

  def test_parse(self):
    h = note_rnn_trainer.parse_hparams('batch_size=64, layer_sizes=16:16,'
                                       'learning_rate=0.5')
    self.assertEqual((h.batch_size, h.layer_sizes, h.learning_rate),
                     (64, (16, 16), 0.5))

  def test_errors_name_the_field(self):
    with self.assertRaisesRegex(ValueError, 'nosuch'):
      note_rnn_trainer.parse_hparams('nosuch=1')
    with self.assertRaisesRegex(ValueError, 'batch_size'):
      note_rnn_trainer.parse_hparams('batch_size=abc')
    with self.assertRaisesRegex(ValueError, 'clip_norm'):
      note_rnn_trainer.NoteRNNHParams(clip_norm=0.0)


class TrainerTest(tf.test.TestCase):

  def test_training_reduces_loss(self):
    w = _windows()
    trainer = note_rnn_trainer.NoteRNNTrainer(TINY, self.get_temp_dir())
    self.assertEqual(trainer.restore_or_initialize(), 0)
    before = trainer.evaluate(w)
    trainer.train(w, w, num_steps=40, eval_every=40, log_every=20)
    after = trainer.evaluate(w)
    # Untrained: about ln 38 = 3.6 nats per step.
    self.assertLess(after['log_perplexity'], 0.5 * before['log_perplexity'])
    self.assertGreater(after['accuracy'], before['accuracy'])

  def test_resume_continues_from_saved_step(self):
    w = _windows()
    out = os.path.join(self.get_temp_dir(), 'resume')
    first = note_rnn_trainer.NoteRNNTrainer(TINY, out)
    first.restore_or_initialize()
    first.train(w, w, num_steps=5, checkpoint_every=5)
    weights = [v.numpy() for v in first.model.trainable_variables]
    second = note_rnn_trainer.NoteRNNTrainer(TINY, out)
    self.assertEqual(second.restore_or_initialize(), 5)
    for a, b in zip(weights, second.model.trainable_variables):
      self.assertAllClose(a, b)
    self.assertEqual(second.train(w, w, num_steps=7)['step'], 7)
    # The training directory itself loads as a Note RNN.
    self.assertEqual(note_rnn_loader.NoteRNNLoader(out).load().config,
                     first.config)

  def test_other_architecture_in_output_dir_raises(self):
    out = os.path.join(self.get_temp_dir(), 'arch')
    note_rnn_trainer.NoteRNNTrainer(TINY, out).restore_or_initialize()
    with self.assertRaisesRegex(ValueError, 'arch'):
      note_rnn_trainer.NoteRNNTrainer(
          note_rnn_trainer.NoteRNNHParams(layer_sizes=(4,)), out)

  def test_nan_loss_raises(self):
    trainer = note_rnn_trainer.NoteRNNTrainer(
        TINY, os.path.join(self.get_temp_dir(), 'nan'))
    trainer.model.logits_layer.bias.assign(np.full([38], np.nan, np.float32))
    with self.assertRaisesRegex(FloatingPointError, 'step'):
      trainer.train_step(_windows()[:4])

  def test_export_is_weights_only_and_loads(self):
    trainer = note_rnn_trainer.NoteRNNTrainer(
        TINY, os.path.join(self.get_temp_dir(), 'train'))
    export = os.path.join(self.get_temp_dir(), 'export')
    note_rnn_trainer.export_model(trainer.model, export, {'steps': 0})
    names = [n for n, _ in tf.train.list_variables(
        tf.train.latest_checkpoint(export))]
    self.assertFalse([n for n in names if 'optimizer' in n])
    with open(os.path.join(export, 'training_record.json')) as f:
      self.assertEqual(json.load(f), {'steps': 0})
    loaded = note_rnn_loader.NoteRNNLoader(export).load()
    x = tf.one_hot([[14, 1, 18]], 38)
    self.assertAllClose(loaded(x), trainer.model(x))


if __name__ == '__main__':
  tf.test.main()
