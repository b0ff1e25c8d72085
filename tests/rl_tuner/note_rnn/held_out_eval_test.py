"""Tests for whole-melody held-out scoring."""

import math

import numpy as np
import tensorflow as tf

from rl_tuner.note_rnn import held_out_eval
from rl_tuner.note_rnn import note_rnn_model


def _dist(**probs):
  """A log distribution over 38 events; unnamed events share the rest."""
  p = np.full([38], (1.0 - sum(probs.values())) / (38 - len(probs)))
  for k, v in probs.items():
    p[int(k[1:])] = v
  return np.log(p)


class StepMetricsTest(tf.test.TestCase):

  def test_by_hand(self):
    melodies = [np.array([14, 1, 16]), np.array([2, 0])]
    labels, positions = held_out_eval.step_labels(melodies)
    self.assertAllEqual(labels, [1, 16, 0])
    self.assertAllEqual(positions, [1, 2, 1])
    log_probs = np.stack([
        _dist(e1=0.5),              # label 1: argmax 1, right; -ln 0.5.
        _dist(e16=0.25, e1=0.5),    # label 16: argmax 1, wrong; -ln 0.25.
        np.log(np.full([38], 1 / 38)),  # label 0: argmax 0, right; ln 38.
    ])
    m = held_out_eval.step_metrics(log_probs, labels, positions)
    self.assertAllClose(m['all']['accuracy'], 2 / 3)
    self.assertAllClose(m['all']['log_perplexity'],
                        (math.log(2) + math.log(4) + math.log(38)) / 3)
    self.assertEqual(m['all']['num_steps'], 3)
    self.assertAllClose(m['onset']['accuracy'], 0.0)
    self.assertAllClose(m['onset']['log_perplexity'], math.log(4))
    self.assertEqual(m['opening']['num_steps'], 3)
    # Step-1 rows 0 and 2: p(onset) = 36 * 0.5/37 and 36/38.
    self.assertAllClose(m['p_onset_after_first'],
                        (36 * 0.5 / 37 + 36 / 38) / 2)
    self.assertAllClose(m['onset_rate_after_first'], 0.0)

  def test_shape_error(self):
    with self.assertRaisesRegex(ValueError, 'log_probs'):
      held_out_eval.step_metrics(np.zeros([2, 37]), np.zeros([2]),
                                 np.ones([2]))

  def test_bigram_rows(self):
    table = np.log(np.full([38, 38], 1 / 38))
    table[14, 1] = 0.0
    lp = held_out_eval.bigram_log_probs(table, [np.array([14, 1, 16])])
    self.assertAllClose(lp[0, 1], 0.0)
    self.assertEqual(lp.shape, (2, 38))

  def test_reference_segments(self):
    # 70 steps -> segments at 0 and 32 (64..69 is not whole); 31 -> none.
    a = np.arange(70) % 38
    seg = held_out_eval.reference_segments([a, a[:31]], length=32)
    self.assertAllEqual(seg, [a[:32], a[32:64]])
    self.assertEqual(seg.dtype, np.int8)
    one = held_out_eval.reference_segments([a], length=32, max_segments=1)
    self.assertEqual(one.shape, (1, 32))

  def test_note_rnn_batches_equal_single_melodies(self):
    tf.keras.utils.set_random_seed(0)
    model = note_rnn_model.NoteRNN(note_rnn_model.NoteRNNConfig((8,)))
    melodies = [np.array([14, 1, 16, 1, 0, 21]), np.array([2, 1, 3]),
                np.array([26, 1, 1, 1])]
    lp = held_out_eval.note_rnn_log_probs(model, melodies, max_batch_steps=6)
    self.assertEqual(lp.shape, (5 + 2 + 3, 38))
    offset = 0
    for m in melodies:
      expected = tf.nn.log_softmax(model(tf.one_hot(m[None, :-1], 38)))[0]
      self.assertAllClose(lp[offset:offset + len(m) - 1], expected,
                          atol=1e-5)
      offset += len(m) - 1


if __name__ == '__main__':
  tf.test.main()
