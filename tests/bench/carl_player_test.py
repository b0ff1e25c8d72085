"""Tests for the simulated CARL players and oracles of the learning bench."""

from absl.testing import absltest
import numpy as np

from bench import carl_oracle
from bench import carl_player


class MusicianTest(absltest.TestCase):

  def test_target(self):
    np.testing.assert_allclose(
        carl_player.Musician().target(np.array([[0.2, 0.9]])),
        [[0.2, 0.1, 0.3, 0.7]])

  def test_judges_the_mean_distance_against_the_same_place_then_median(self):
    player = carl_player.Musician()
    want = player.target(np.array([[0.5, 0.5]]))[0]  # [0.5, 0.5, 0.3, 0.7].
    off = np.array([0.0, 0.0, 0.0, 0.4])  # 0.4 away.
    # First judgement: nothing to compare with.
    self.assertIsNone(player.judge([0.5, 0.5], [want + off]))
    # Same place: ticks 0.4 and 0.0 away, mean 0.2 < 0.4: like.
    self.assertEqual(player.judge([0.5, 0.5], [want + off, want]), 1.0)
    # Same place (0.05 < RADIUS): 0.3 vs the previous 0.2: dislike.
    near = player.target(np.array([[0.55, 0.5]]))[0]
    self.assertEqual(player.judge([0.55, 0.5], [near + 0.75 * off]), -1.0)
    self.assertAlmostEqual(player.distances[-1], 0.3)
    # A new place: the median of 0.4, 0.2, 0.3 is 0.3; 0.25 < 0.3: like.
    far = player.target(np.array([[0.0, 0.0]]))[0]
    self.assertEqual(player.judge([0.0, 0.0], [far + 0.625 * off]), 1.0)

  def test_previous3d_judges_the_last_tick_against_the_previous(self):
    player = carl_player.Previous3d()
    x = np.array([0.2, 0.4, 0.6])
    want = player.target(x[None])[0]  # [0.2, 0.6, 0.5, 0.4].
    np.testing.assert_allclose(want, [0.2, 0.6, 0.5, 0.4])
    self.assertIsNone(player.judge(x, [want + 0.1]))
    # Only the last tick counts: exact, closer than 0.2: like.
    self.assertEqual(player.judge(x, [want + 0.5, want]), 1.0)

  def test_evaluate(self):
    player = carl_player.Musician()
    probe = np.array([[0.0, 0.0], [1.0, 1.0]])
    # Outputs [x, 1 - y, 0.3, 0.3]: 0.4 away, correlations 1 and 1.
    distance, corr = carl_player.evaluate(
        player, lambda x: player.target(x) * [1, 1, 1, 0] + [0, 0, 0, 0.3],
        probe)
    self.assertAlmostEqual(distance, 0.4)
    np.testing.assert_allclose(corr, [1.0, 1.0])


class OracleTest(absltest.TestCase):

  def test_linear_es_mirrors_and_steps_along_the_reward(self):
    es = carl_oracle.LinearEs(2, 4, sigma=0.1, alpha=0.5, seed=0)
    x = np.array([0.0, 0.0])  # features [0, 0, 1]: only the offsets play.
    first = es.play(x)
    e = es._e.copy()  # pylint: disable=protected-access
    np.testing.assert_allclose(first, np.clip(0.5 + e[2], 0, 1))
    es.learn(1.0)  # theta += 0.5 * e.
    second = es.play(x)  # the mirrored partner: theta - e.
    np.testing.assert_allclose(second, np.clip(0.5 + 0.5 * e[2] - e[2], 0, 1))
    np.testing.assert_allclose(es(x[None])[0], np.clip(0.5 + 0.5 * e[2], 0, 1))
    with self.assertRaisesRegex(ValueError, 'oracle must be one of'):
      carl_oracle.make('genie', carl_player.Musician(), 0, 0.1, 0.1)

  def test_linear_bayes_weighs_hypotheses_by_the_players_rule(self):
    player = carl_player.Musician()
    oracle = carl_oracle.LinearBayes(player, 0.15, particles=2, seed=1)
    true = np.array([[1.0, 0, 0.3, 0.7], [0, -1.0, 0, 0], [0, 1.0, 0, 0]])
    oracle._p = np.stack([true, true + 0.3])  # pylint: disable=protected-access
    x = np.array([0.4, 0.6])
    oracle.learn(player.judge(x, oracle.play(x)[None]))  # None: the first.
    second = oracle.play(x)  # the mirrored partner, at the same place.
    reward = player.judge(x, second[None])
    oracle.learn(reward)
    # The true hypothesis predicts the player's reward; the other (every
    # number 0.3 off) predicts the opposite one here: it weighs far less.
    weights = oracle._weights()  # pylint: disable=protected-access
    self.assertGreater(weights[0], 0.9, weights)
    self.assertEqual(len(oracle._played), 2)  # pylint: disable=protected-access

if __name__ == '__main__':
  absltest.main()
