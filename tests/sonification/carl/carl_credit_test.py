"""Tests for held / mirrored exploration noise and reward credit (no TF)."""

from absl.testing import absltest
import numpy as np

from sonification import clock
from sonification.carl import carl_hparams
from sonification.carl import carl_policy
from sonification.carl import carl_session


def _tick(i):
  return clock.Tick(i, i // 50, i % 50, (i % 50) / 50, i / 50, i / 50, 240.0)


class StubAgent:
  """A learner that never learns: one layer, output sigmoid(x)."""

  def __init__(self, **overrides):
    self.hparams = carl_hparams.CarlHParams(
        **dict(dict(input_size=1, output_size=1, noise_sigma=0.0),
               **overrides))

  def actor_weights(self):
    return [np.ones((1, 1)), np.zeros(1)]


def _sigmoid(x):
  return 1 / (1 + np.exp(-np.asarray(x, np.float64)))


class HeldNoiseTest(absltest.TestCase):

  def test_held_until_a_reward(self):
    noise = carl_policy.HeldNoise(2, sigma=0.5, seed=0)
    z0 = np.random.default_rng(0).standard_normal(2)
    np.testing.assert_allclose(noise(), 0.5 * z0)
    np.testing.assert_allclose(noise(), 0.5 * z0)  # the same every tick.
    noise.sigma = 0.1  # the player's noise control acts at once.
    np.testing.assert_allclose(noise(), 0.1 * z0)
    noise.on_reward()
    self.assertFalse(np.allclose(noise(), 0.1 * z0))
    self.assertFalse(np.allclose(noise(), -0.1 * z0))

  def test_mirrored_pairs(self):
    noise = carl_policy.HeldNoise(3, sigma=1.0, mirrored=True, seed=4)
    rng = np.random.default_rng(4)
    z0 = rng.standard_normal(3)
    z1 = rng.standard_normal(3)
    played = []
    for _ in range(4):
      played.append(noise())
      noise.on_reward()
    # Draws z0, -z0, z1, -z1: each pair judges e against -e.
    np.testing.assert_allclose(played, [z0, -z0, z1, -z1])

  def test_make_noise(self):
    self.assertIsInstance(carl_policy.make_noise('ou', 2, 0.1, 0.15),
                          carl_policy.OrnsteinUhlenbeckNoise)
    held = carl_policy.make_noise('mirrored', 2, 0.1, 0.15)
    self.assertTrue(held.mirrored)
    with self.assertRaisesRegex(ValueError, "got 'pink'"):
      carl_policy.make_noise('pink', 2, 0.1, 0.15)

  def test_named_learners(self):
    hp = carl_hparams.CarlHParams.for_learner('rwsl_mirrored', 'seed=4')
    self.assertEqual((hp.algo, hp.actor_lr, hp.steps_per_call, hp.noise_mode,
                      hp.credit_ticks, hp.mirror_dislikes, hp.seed),
                     ('rwsl', 3e-3, 10, 'mirrored', 50, True, 4))
    self.assertEqual(carl_hparams.CarlHParams.for_learner('ddpg', seed=2),
                     carl_hparams.CarlHParams(seed=2))
    # Overrides win over the learner's settings.
    self.assertEqual(carl_hparams.CarlHParams.for_learner(
        'rwsl_mirrored', 'noise_mode=ou').noise_mode, 'ou')
    with self.assertRaisesRegex(ValueError, "got 'ppo'"):
      carl_hparams.CarlHParams.for_learner('ppo')

  def test_hparams_are_checked(self):
    for field, value in (('noise_mode', 'pink'), ('credit_ticks', -1),
                         ('actor_clipnorm', -1.0)):
      with self.assertRaisesRegex(ValueError, field):
        carl_hparams.CarlHParams(**{field: value})


class CreditTest(absltest.TestCase):

  def test_last_tick_by_default(self):
    session = carl_session.CarlSession(StubAgent(), threaded=False)
    for i, x in enumerate((0.0, 1.0, 2.0)):
      session.set_input(x)
      session.on_tick(_tick(i))
    session.reward(1.0)
    memory = session.memory.get_state()
    np.testing.assert_allclose(memory['states'], [[2.0]])
    np.testing.assert_allclose(memory['actions'], [_sigmoid([2.0])], rtol=1e-6)

  def test_mean_of_the_ticks_since_the_last_reward(self):
    session = carl_session.CarlSession(StubAgent(credit_ticks=3),
                                       threaded=False)
    for i, x in enumerate((0.0, 1.0, 2.0, 3.0, 4.0)):
      session.set_input(x)
      session.on_tick(_tick(i))
    session.reward(1.0)  # 5 ticks since: the last 3, inputs 2, 3, 4.
    session.set_input(5.0)
    session.on_tick(_tick(5))
    session.reward(-1.0)  # 1 tick since: input 5 alone.
    session.reward(-1.0)  # none since: the last tick's again.
    memory = session.memory.get_state()
    np.testing.assert_allclose(memory['states'], [[3.0], [5.0], [5.0]])
    np.testing.assert_allclose(
        memory['actions'][:, 0],
        [np.mean(_sigmoid([2.0, 3.0, 4.0])), _sigmoid(5.0), _sigmoid(5.0)],
        rtol=1e-6)
    np.testing.assert_allclose(memory['next_states'], memory['states'])

  def test_held_noise_in_a_session_changes_only_at_rewards(self):
    session = carl_session.CarlSession(
        StubAgent(noise_mode='mirrored', noise_sigma=0.2, seed=3),
        threaded=False)
    session.set_input(0.0)  # the actor says 0.5.
    first = [session.on_tick(_tick(i))[0] for i in range(3)]
    session.reward(1.0)
    second = [session.on_tick(_tick(i))[0] for i in range(3, 6)]
    z = np.random.default_rng(3).standard_normal(1)[0]
    np.testing.assert_allclose(first, [0.5 + 0.2 * z] * 3)
    np.testing.assert_allclose(second, [0.5 - 0.2 * z] * 3)

  def test_mirror_dislikes(self):
    session = carl_session.CarlSession(
        StubAgent(noise_mode='held', noise_sigma=0.2, seed=3,
                  mirror_dislikes=True, credit_ticks=50), threaded=False)
    z = np.random.default_rng(3).standard_normal(1)[0]
    session.set_input(0.0)  # the actor says 0.5; heard 0.5 + 0.2 z.
    for i in range(2):
      session.on_tick(_tick(i))
    session.reward(-2.0)  # stored: a like (+2) of 0.5 - 0.2 z.
    session.on_tick(_tick(2))
    session.reward(1.0)  # a like is stored as it came.
    memory = session.memory.get_state()
    np.testing.assert_allclose(memory['actions'][0], [0.5 - 0.2 * z])
    np.testing.assert_allclose(memory['rewards'], [2.0, 1.0])
    self.assertNotAlmostEqual(memory['actions'][1][0], 0.5 - 0.2 * z)

  def test_mirrored_action_is_clipped(self):
    session = carl_session.CarlSession(
        StubAgent(noise_mode='held', noise_sigma=1.0, seed=3,
                  mirror_dislikes=True), threaded=False)
    session.set_input(-3.0)  # the actor says sigmoid(-3) = 0.047.
    session.on_tick(_tick(0))  # + 2.04 (seed 3): heard 1.0 (clipped).
    self.assertEqual(session.last_action[0], 1.0)
    session.reward(-1.0)  # mirrored: 2 * 0.047 - 1.0 = -0.905 -> 0.0.
    np.testing.assert_allclose(session.memory.get_state()['actions'][0],
                               [0.0])


if __name__ == '__main__':
  absltest.main()
