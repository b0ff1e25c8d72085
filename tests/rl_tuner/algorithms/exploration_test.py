"""Tests for the epsilon schedule and action selection."""

import numpy as np
import tensorflow as tf

from rl_tuner.algorithms import exploration


class ExplorationTest(tf.test.TestCase):

  def test_linear_epsilon(self):
    # 1.0 -> 0.1 over 1000 steps: at 250, 1 - 0.9 * 0.25 = 0.775.
    values = [float(exploration.linear_epsilon(s, 1.0, 0.1, 1000))
              for s in (0, 250, 1000, 5000)]
    self.assertAllClose(values, [1.0, 0.775, 0.1, 0.1])

  def test_epsilon_zero_is_greedy_and_one_is_uniform(self):
    scores = tf.constant([[0.0, 5.0, 1.0]] * 3000)
    greedy = exploration.epsilon_greedy(scores, 0.0, tf.constant([1, 2]))
    self.assertAllEqual(greedy, [1] * 3000)
    random = exploration.epsilon_greedy(scores, 1.0, tf.constant([1, 2]))
    counts = np.bincount(random.numpy(), minlength=3) / 3000
    self.assertAllClose(counts, [1 / 3] * 3, atol=0.05)

  def test_boltzmann_returns_the_sampled_action(self):
    # softmax([0, log 3]) = [0.25, 0.75]: the argmax (1) must NOT always be
    # returned; about a quarter of the samples are action 0.
    scores = tf.constant([[0.0, np.log(3.0)]] * 4000)
    actions = exploration.boltzmann(scores, 0.0, tf.constant([3, 4]))
    self.assertEqual(actions.dtype, tf.int32)
    self.assertAllClose(np.mean(actions.numpy() == 0), 0.25, atol=0.03)

  def test_boltzmann_temperature(self):
    # T = 0.01 makes softmax one-hot on the argmax.
    scores = tf.constant([[0.0, 1.0, 0.5]] * 100)
    actions = exploration.boltzmann(scores, 0.0, tf.constant([5, 6]),
                                    temperature=0.01)
    self.assertAllEqual(actions, [1] * 100)

  def test_deterministic_given_seed(self):
    scores = tf.random.stateless_normal([50, 38], [0, 0])
    for mode in exploration.EXPLORATION:
      fn = exploration.get_exploration(mode)
      self.assertAllEqual(fn(scores, 0.5, tf.constant([7, 8])),
                          fn(scores, 0.5, tf.constant([7, 8])))

  def test_nucleus_by_hand(self):
    logits = tf.math.log(tf.constant([[0.5, 0.3, 0.2], [0.2, 0.3, 0.5],
                                      [0.1, 0.1, 0.8]]))
    out = exploration.nucleus_logits(logits, 0.7).numpy()
    # Row 0: 0.5 < 0.7, 0.5 + 0.3 >= 0.7: keep actions 0 and 1.
    self.assertAllEqual(np.isfinite(out), [[True, True, False],
                                           [False, True, True],
                                           [False, False, True]])
    self.assertAllClose(out[0, :2], np.log([0.5, 0.3]))
    self.assertAllEqual(np.isfinite(exploration.nucleus_logits(logits, 1.0)),
                        np.ones([3, 3], bool))

  def test_nucleus_sampling_never_draws_outside(self):
    scores = tf.tile(tf.math.log(tf.constant([[0.6, 0.25, 0.1, 0.05]])),
                     [4000, 1])
    drawn = exploration.sample_nucleus(scores, tf.constant([1, 2]),
                                       temperature=1.0, top_p=0.8).numpy()
    self.assertEqual(set(drawn.tolist()), {0, 1})
    # Renormalised over the nucleus: p(0) = 0.6 / 0.85 = 0.706.
    self.assertNear((drawn == 0).mean(), 0.706, 0.03)

  def test_top_p_one_is_the_papers_sampling(self):
    # Tail probabilities far below float32 epsilon stay drawable, and the
    # draws equal plain softmax sampling with the same seed.
    scores = tf.tile(tf.constant([[30.0, 0.0, -40.0, 1.0]]), [64, 1])
    self.assertAllEqual(np.isfinite(exploration.nucleus_logits(scores, 1.0)),
                        np.ones([64, 4], bool))
    seed = tf.constant([3, 4])
    self.assertAllEqual(exploration.sample_nucleus(scores * 0.1, seed, 2.0),
                        exploration.sample_softmax(scores * 0.1, seed, 2.0))

  def test_min_p_by_hand(self):
    scores = tf.constant([[5.0, 3.0, 0.0], [1.0, 1.0, -9.0]])
    # min_p 0.1: within ln 10 = 2.30 of the best. Row 0 keeps 5 and 3 (2 below),
    # not 0 (5 below); row 1 keeps both 1s (ties with the best).
    out = exploration.min_p_logits(scores, scores / 2.0, 0.1).numpy()
    self.assertAllEqual(np.isfinite(out), [[True, True, False],
                                           [True, True, False]])
    self.assertAllClose(out[0, :2], [2.5, 1.5])  # The tempered logits.
    # min_p 0.2 (ln 5 = 1.61) keeps only the best of row 0; 0 keeps all.
    self.assertAllEqual(
        np.isfinite(exploration.min_p_logits(scores, scores, 0.2))[0],
        [True, False, False])
    self.assertTrue(np.all(np.isfinite(
        exploration.min_p_logits(scores, scores, 0.0))))

  def test_min_p_sampling_at_a_high_temperature(self):
    # Scores [4, 3.5, 0, 0]: min_p 0.05 (3.0 units) keeps the first two; at
    # T = 100 they are drawn about equally, the others never.
    scores = tf.tile(tf.constant([[4.0, 3.5, 0.0, 0.0]]), [4000, 1])
    drawn = exploration.sample_nucleus(scores, tf.constant([5, 6]),
                                       temperature=100.0, min_p=0.05).numpy()
    self.assertEqual(set(drawn.tolist()), {0, 1})
    self.assertNear((drawn == 0).mean(), 0.501, 0.03)  # e^.04/(e^.04+e^.035)
    boltzmann = exploration.boltzmann(scores, 0.0, tf.constant([5, 6]), 100.0,
                                      0.05).numpy()
    self.assertAllEqual(boltzmann, drawn)

  def test_unknown_mode(self):
    with self.assertRaisesRegex(ValueError, "'ucb'.*'boltzmann'"):
      exploration.get_exploration('ucb')


if __name__ == '__main__':
  tf.test.main()
