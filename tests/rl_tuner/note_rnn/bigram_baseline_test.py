"""Tests for the bigram baseline (numpy only)."""

import math

from absl.testing import absltest
import numpy as np

from rl_tuner.note_rnn import bigram_baseline
from rl_tuner.note_rnn import melody_pipeline


class BigramTest(absltest.TestCase):

  def setUp(self):
    super().setUp()
    # Transitions 0->1, 1->1, 1->0 over 3 classes.
    self.model = bigram_baseline.BigramModel(alpha=1.0, num_classes=3).fit(
        [np.array([0, 1, 1]), np.array([1, 0])])

  def test_add_one_probabilities(self):
    p = np.exp(self.model.log_probs)
    # Row 0: counts [0, 1, 0] + 1 = [1, 2, 1] / 4.
    np.testing.assert_allclose(p[0], [0.25, 0.5, 0.25])
    # Row 1: counts [1, 1, 0] + 1 = [2, 2, 1] / 5.
    np.testing.assert_allclose(p[1], [0.4, 0.4, 0.2])
    # Row 2: no counts: uniform.
    np.testing.assert_allclose(p[2], [1 / 3] * 3)

  def test_evaluate_by_hand(self):
    windows = np.array([[0, 1, 1]])
    # 0 -> 1: p 0.5, argmax 1 correct; 1 -> 1: p 0.4, argmax 0 (first of the
    # tie) wrong. Accuracy 1/2, log perplexity -(ln 0.5 + ln 0.4) / 2.
    out = self.model.evaluate(windows, skip_first_steps=0)
    self.assertAlmostEqual(out['accuracy'], 0.5)
    self.assertAlmostEqual(out['log_perplexity'],
                           -(math.log(0.5) + math.log(0.4)) / 2)
    self.assertEqual(out['num_steps'], 2)
    # Skipping the first prediction leaves 1 -> 1 only.
    out = self.model.evaluate(windows, skip_first_steps=1)
    self.assertAlmostEqual(out['accuracy'], 0.0)
    self.assertAlmostEqual(out['log_perplexity'], -math.log(0.4))

  def test_loss_weights_skip_and_padding(self):
    pad = melody_pipeline.PAD
    w = bigram_baseline.loss_weights(np.array([[1, 2, pad, 3], [4, 5, 6, 7]]),
                                     skip_first_steps=1)
    np.testing.assert_array_equal(w, [[0, 1, 0, 1], [0, 1, 1, 1]])

  def test_bad_alpha(self):
    with self.assertRaisesRegex(ValueError, 'alpha'):
      bigram_baseline.BigramModel(alpha=0.0)


if __name__ == '__main__':
  absltest.main()
