"""Tests for the Kneser-Ney n-gram baseline (numpy only)."""

from absl.testing import absltest
import numpy as np

from rl_tuner.note_rnn import kneser_ney

BOS = kneser_ney.BOS
# Order-1 continuation counts of the corpus [2, 3, 2, 3] (BOS-padded): the
# distinct bigrams are (BOS,2), (2,3), (3,2), so c1(2) = 2, c1(3) = 1; C = 3,
# N = 2 types, n1 = n2 = 1 -> D1 = 1/3. P1(w) = max(c - 1/3, 0)/3 +
# (1/3 * 2/3) / 38: P1(2) = 5/9 + 1/171, P1(3) = 2/9 + 1/171, else 1/171.
P1_2 = 5 / 9 + 1 / 171
P1_3 = 2 / 9 + 1 / 171
P1_OTHER = 1 / 171


class KneserNeyTest(absltest.TestCase):

  def test_bigram_by_hand(self):
    kn = kneser_ney.KneserNeyModel(order=2).fit([np.array([2, 3, 2, 3])])
    # Order 2 counts: (2,3) x2, (BOS,2) x1, (3,2) x1: n1 = 2, n2 = 1 ->
    # D2 = 2 / (2 + 2) = 0.5.
    self.assertAlmostEqual(kn.discounts[0], 1 / 3)
    self.assertAlmostEqual(kn.discounts[1], 0.5)
    p = kn.probs(np.array([[2], [7], [BOS]]))
    # After 2: C = 2, N = 1: P(3|2) = (2 - .5)/2 + .5 * 1/2 * P1(3);
    # P(2|2) = .25 P1(2).
    self.assertAlmostEqual(p[0, 3], 0.75 + 0.25 * P1_3)
    self.assertAlmostEqual(p[0, 2], 0.25 * P1_2)
    self.assertAlmostEqual(p[0, 20], 0.25 * P1_OTHER)
    # Unseen context 7: the order-1 distribution.
    self.assertAlmostEqual(p[1, 2], P1_2)
    self.assertAlmostEqual(p[1, 3], P1_3)
    self.assertAlmostEqual(p[1, 0], P1_OTHER)
    # After BOS: C = 1, N = 1: P(2|BOS) = .5 + .5 P1(2).
    self.assertAlmostEqual(p[2, 2], 0.5 + 0.5 * P1_2)
    np.testing.assert_allclose(p.sum(-1), 1.0)

  def test_distributions_sum_to_one(self):
    rng = np.random.default_rng(0)
    melodies = [rng.integers(0, 38, size=rng.integers(2, 40))
                for _ in range(30)]
    kn = kneser_ney.KneserNeyModel(order=5).fit(melodies)
    contexts = rng.integers(0, 39, size=[100, 4])
    np.testing.assert_allclose(kn.probs(contexts).sum(-1), 1.0)
    lp = kn.melody_log_probs(melodies[:3], chunk=7)
    self.assertEqual(lp.shape, (sum(len(m) - 1 for m in melodies[:3]), 38))
    np.testing.assert_allclose(np.exp(lp).sum(-1), 1.0)

  def test_melody_contexts(self):
    kn = kneser_ney.KneserNeyModel(order=3)
    np.testing.assert_array_equal(
        kn.melody_contexts(np.array([5, 6, 7])),
        [[BOS, 5], [5, 6]])

  def test_memorises_a_long_context(self):
    # With order 4 the context (2, 3, 4) is always followed by 5.
    kn = kneser_ney.KneserNeyModel(order=4).fit([np.array([2, 3, 4, 5] * 5)])
    self.assertEqual(int(np.argmax(kn.probs([[2, 3, 4]])[0])), 5)

  def test_errors(self):
    with self.assertRaisesRegex(ValueError, 'order'):
      kneser_ney.KneserNeyModel(order=12)
    with self.assertRaisesRegex(ValueError, 'events'):
      kneser_ney.KneserNeyModel(2).fit([np.array([1, 38])])
    with self.assertRaisesRegex(ValueError, 'fit'):
      kneser_ney.KneserNeyModel(2).probs([[1]])
    with self.assertRaisesRegex(ValueError, 'contexts'):
      kneser_ney.KneserNeyModel(2).fit([np.array([1, 2])]).probs([[1, 2]])


if __name__ == '__main__':
  absltest.main()
