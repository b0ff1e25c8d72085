"""Tests for CARL's preference-likelihood learner (algo='pref')."""

import numpy as np
import tensorflow as tf

from sonification import clock
from sonification.carl import carl_agent
from sonification.carl import carl_hparams
from sonification.carl import carl_memory
from sonification.carl import carl_pref
from sonification.carl import carl_session


def _hparams(**overrides):
  return carl_hparams.CarlHParams(**dict(
      dict(algo='pref', input_size=2, output_size=4, batch_size=1,
           noise_sigma=0.0, seed=0), **overrides))


def _tick(i):
  return clock.Tick(i, i // 50, i % 50, (i % 50) / 50, i / 50, i / 50, 240.0)


class PrefLossTest(tf.test.TestCase):

  def test_hand_computed_values(self):
    # mu = (0.5, 0.5); heard (0.5, 0.9): d_now = 0.4; reference (0.5, 0.2):
    # d_ref = 0.3. k = 10: like -> softplus(-10 * (0.3 - 0.4)) = ln(1 + e);
    # dislike -> ln(1 + 1/e). No reference: tau = 0.6 stands in, a like ->
    # softplus(-10 * (0.6 - 0.4)) = ln(1 + e^-2).
    outputs = tf.constant([[0.5, 0.5]] * 3)
    actions = tf.constant([[0.5, 0.9]] * 3)
    refs = tf.constant([[0.5, 0.2]] * 3)
    loss = carl_pref.pref_loss(outputs, actions, tf.constant([1., -1., 1.]),
                               refs, tf.constant([1., 1., 0.]),
                               tf.constant(0.6), sharpness=10.0)
    self.assertAllClose(loss, [np.log(1 + np.e), np.log(1 + 1 / np.e),
                               np.log(1 + np.exp(-2.0))], atol=1e-5)


class PrefAgentTest(tf.test.TestCase):

  def test_make_agent_and_hparams(self):
    self.assertIsInstance(carl_agent.make_agent(_hparams()),
                          carl_pref.PrefAgent)
    for field, value in (('pref_sharpness', 0.0), ('pref_prior', -1.0),
                         ('ref_radius', -0.1), ('mirror_dislikes', True)):
      with self.assertRaisesRegex(ValueError, field):
        _hparams(**{field: value})

  def test_named_learner(self):
    hp = carl_hparams.CarlHParams.for_learner('pref', seed=3)
    self.assertEqual((hp.algo, hp.noise_mode, hp.credit_ticks,
                      hp.mirror_dislikes, hp.batch_size, hp.seed),
                     ('pref', 'mirrored', 50, False, 1, 3))

  def test_initial_outputs_near_half(self):
    agent = carl_agent.make_agent(_hparams())
    out = agent.actor(np.random.default_rng(0).uniform(
        size=(50, 2)).astype(np.float32)).numpy()
    self.assertLess(np.abs(out - 0.5).max(), 0.05)

  def test_like_pulls_toward_and_dislike_away(self):
    # The like was nearer than the reference: mu moves toward the liked
    # sound; a dislike of the same pair moves it toward the reference.
    s = np.array([[0.2, 0.7]], np.float32)
    heard = np.array([[0.9, 0.1, 0.5, 0.5]], np.float32)
    ref = np.array([[0.1, 0.9, 0.5, 0.5]], np.float32)
    for reward, toward in ((1.0, heard), (-1.0, ref)):
      agent = carl_agent.make_agent(_hparams(actor_lr=1e-2,
                                             steps_per_call=20))
      before = np.linalg.norm(agent.actor(s).numpy() - toward)
      out = agent.train_step(s, heard, np.array([reward]), ref, np.ones(1))
      after = np.linalg.norm(agent.actor(s).numpy() - toward)
      self.assertEqual(out['skipped'], 0)
      self.assertLess(after, before, reward)

  def test_non_finite_is_skipped_and_networks_round_trip(self):
    agent, other = (carl_agent.make_agent(_hparams(seed=i)) for i in (0, 5))
    out = agent.train_step(np.full((1, 2), np.nan), np.zeros((1, 4)),
                           np.ones(1), np.zeros((1, 4)), np.zeros(1))
    self.assertEqual((out['skipped'], agent.skipped_steps), (1, 1))
    agent.tau.assign(0.25)
    other.set_networks(agent.get_networks())
    self.assertAllEqual(other.actor_weights()[0], agent.actor_weights()[0])
    self.assertAllClose(other.tau.numpy(), 0.25)
    with self.assertRaisesRegex(ValueError, 'actor'):
      other.set_networks({})


class ReferenceTest(tf.test.TestCase):

  def test_reference_is_the_previous_sound_unless_moved(self):
    session = carl_session.CarlSession(
        carl_agent.make_agent(_hparams(ref_radius=0.05)), threaded=False)
    sounds = [[0.1, 0.2, 0.3, 0.4], [0.5, 0.6, 0.7, 0.8],
              [0.9, 0.1, 0.2, 0.3], [0.4, 0.4, 0.4, 0.4]]
    inputs = [(0.3, 0.3), (0.32, 0.33), (0.6, 0.3), (0.6, 0.3)]
    for i, (x, sound) in enumerate(zip(inputs, sounds)):
      session.set_input(*x)
      session.on_tick(_tick(i))
      session.last_action = np.array(sound)  # as if heard.
      session.reward(1.0 if i % 2 else -1.0)
    _, actions, rewards, refs, has_ref = session.memory.all_with_refs()
    # First: nothing before; second: moved 0.036 (< 0.05): the first sound;
    # third: moved 0.28: none; fourth: not moved: the third sound.
    self.assertAllEqual(has_ref, [0, 1, 0, 1])
    self.assertAllClose(refs[1], sounds[0])
    self.assertAllClose(refs[3], sounds[2])
    self.assertAllClose(actions, sounds)
    self.assertAllEqual(rewards, [-1, 1, -1, 1])

  def test_memory_state_keeps_references(self):
    memory = carl_memory.ReplayMemory(4, 2, 1)
    memory.add([0, 0], [0.5], 1.0, [0, 0], ref_action=[0.25])
    memory.add([1, 1], [0.5], -1.0, [1, 1])
    state = memory.get_state()
    self.assertAllEqual(state['has_ref'], [1, 0])
    other = carl_memory.ReplayMemory(4, 2, 1)
    other.set_state(state)
    self.assertAllClose(other.all_with_refs()[3], [[0.25], [0.0]])
    del state['ref_actions'], state['has_ref']  # a save from before refs.
    other.set_state(state)
    self.assertAllEqual(other.all_with_refs()[4], [0, 0])
    self.assertIsNone(carl_memory.ReplayMemory(4, 2, 1).all_with_refs())


if __name__ == '__main__':
  tf.test.main()
