"""Tests for CARL: the TF agent, the session (controls, save/load, restart)
and learning from a simulated player."""

import os

import numpy as np
import tensorflow as tf

from sonification.carl import carl_agent
from sonification.carl import carl_hparams
from sonification.carl import carl_session
from sonification import clock
from sonification import sinks


def _tick(i):
  return clock.Tick(index=i, bar=i // 8, step=i % 8, phase=(i % 8) / 8,
                    deadline_s=i * 0.2, time_s=i * 0.2, bpm=150.0)


class SimulatedPlayer:
  """Prefers a hidden target mapping g(x) = sigmoid(x W + b): rewards +1
  when the output is closer to g(x) than the previous output for the same
  input, -1 otherwise."""

  def __init__(self, seed=0, input_size=3, output_size=4):
    rng = np.random.default_rng(seed)
    self.w = rng.normal(size=(input_size, output_size)) * 2
    self.b = rng.normal(size=output_size)
    self.previous = None

  def target(self, x):
    return 1 / (1 + np.exp(-(x @ self.w + self.b)))

  def judge(self, x, output):
    d = float(np.linalg.norm(output - self.target(x)))
    previous, self.previous = self.previous, d
    if previous is None:
      return None
    return 1.0 if d < previous else -1.0


class AgentTest(tf.test.TestCase):

  def test_train_step_traces_once_and_moves_the_actor(self):
    agent = carl_agent.make_agent(carl_hparams.CarlHParams(seed=1))
    before = agent.actor_weights()
    rng = np.random.default_rng(0)
    for batch in (4, 4, 3):  # the batch dimension is free: no retrace.
      losses = agent.train_step(rng.uniform(size=(batch, 3)),
                                rng.uniform(size=(batch, 4)),
                                np.ones(batch), rng.uniform(size=(batch, 3)))
    self.assertEqual(agent.trace_count, 1)
    self.assertEqual(agent.train_steps, 3)
    self.assertTrue(np.isfinite(losses['critic_loss']))
    self.assertNotAllClose(before[0], agent.actor_weights()[0])

  def test_steps_per_call_and_actor_clipnorm(self):
    hp = carl_hparams.CarlHParams(seed=1, steps_per_call=3,
                                  actor_clipnorm=0.5)
    agent = carl_agent.make_agent(hp)
    self.assertEqual(agent.actor_optimizer.global_clipnorm, 0.5)
    self.assertIsNone(carl_agent.make_agent(carl_hparams.CarlHParams(
        seed=1)).actor_optimizer.global_clipnorm)  # SPEC: no clipping.
    rng = np.random.default_rng(0)
    out = agent.train_step(rng.uniform(size=(4, 3)), rng.uniform(size=(4, 4)),
                           np.ones(4), rng.uniform(size=(4, 3)))
    self.assertEqual(out['skipped'], 0)
    # One call, three Adam steps on each network, one trace.
    self.assertEqual(int(agent.actor_optimizer.iterations), 3)
    self.assertEqual(int(agent.critic_optimizer.iterations), 3)
    self.assertEqual((agent.train_steps, agent.trace_count), (1, 1))

  def test_numpy_actor_matches_keras(self):
    agent = carl_agent.make_agent(carl_hparams.CarlHParams(seed=2))
    session = carl_session.CarlSession(agent, threaded=False)
    x = np.random.default_rng(1).uniform(size=(5, 3)).astype(np.float32)
    self.assertAllClose(session.actor(x), agent.actor(x).numpy(), atol=1e-5)

  def test_randomise(self):
    agent = carl_agent.make_agent(carl_hparams.CarlHParams(seed=3))
    actor, critic = agent.actor_weights(), agent.critic.get_weights()
    agent.randomise_actor()
    self.assertNotAllClose(actor[0], agent.actor_weights()[0])
    self.assertAllClose(agent.actor_weights()[0],
                        agent.target_actor.get_weights()[0])
    self.assertAllClose(critic[0], agent.critic.get_weights()[0])
    agent.randomise_critic()
    self.assertNotAllClose(critic[0], agent.critic.get_weights()[0])


class SessionTest(tf.test.TestCase):

  def _session(self, seed=0, **kwargs):
    agent = carl_agent.make_agent(carl_hparams.CarlHParams(seed=seed))
    return carl_session.CarlSession(agent, **kwargs)

  def test_tick_sends_parameters_in_range_and_rewards_are_stored(self):
    rec = sinks.RecordingSink()
    session = self._session(sink=rec, threaded=False)
    session.set_input(0.2, 0.4, 0.6)
    session.set_noise(1.0)  # the top of the range: outputs clipped to [0, 1].
    for i in range(10):
      session.on_tick(_tick(i))
    values = np.array([e[2] for e in rec.events])
    self.assertEqual(values.shape, (10, 4))
    self.assertTrue(np.all((values >= 0) & (values <= 1)))
    session.set_reward_scale(2.0)
    session.reward(-1.0)
    state = session.memory.get_state()
    # (s, a, -1 x 2, s): the last input and the last parameters sent.
    self.assertAllClose(state['rewards'], [-2.0])
    self.assertAllClose(state['states'][0], [0.2, 0.4, 0.6])
    self.assertAllClose(state['next_states'][0], [0.2, 0.4, 0.6])
    self.assertAllClose(state['actions'][0], values[-1])
    with self.assertRaisesRegex(ValueError, 'needs 3 values'):
      session.set_input(1.0)
    self.assertEqual(session.status(), dict(memory=1, rewards=1,
                                            optimisations=0))
    session.set_input_at(1, 0.9)  # one component (a MIDI CC, a mouse axis).
    self.assertAllClose(session.input, [0.2, 0.9, 0.6])
    with self.assertRaisesRegex(IndexError, r'in \[0, 3\), got 3'):
      session.set_input_at(3, 0.5)

  def test_optimise_every_and_pause(self):
    session = self._session(threaded=False)
    for _ in range(4):
      session.reward(1.0)
    session.set_optimise_every(3)
    for i in range(9):
      session.on_tick(_tick(i))
    self.assertEqual(session.optimisations, 3)  # ticks 3, 6, 9.
    session.set_optimise_every(session.hparams.optimise_every_max)  # pause.
    for i in range(9, 30):
      session.on_tick(_tick(i))
    self.assertEqual(session.optimisations, 3)
    session.clear_memory()
    self.assertEmpty(session.memory)

  def test_save_load_round_trip(self):
    path = os.path.join(self.get_temp_dir(), 'carl.npz')
    a = self._session(seed=4, threaded=False)
    a.set_input(0.1, 0.2, 0.3)
    for i in range(6):
      a.on_tick(_tick(i))
      a.reward(1.0 if i % 2 else -1.0)
    a.set_noise(0.3)
    a.save(path)
    b = self._session(seed=5, threaded=False)
    self.assertNotAllClose(a.actor.get_weights()[0], b.actor.get_weights()[0])
    b.load(path)
    for name in carl_agent.NETWORKS:
      for wa, wb in zip(a.agent.get_networks()[name],
                        b.agent.get_networks()[name]):
        self.assertAllEqual(wa, wb)
    self.assertAllClose(a.memory.get_state()['actions'],
                        b.memory.get_state()['actions'])
    self.assertAllEqual(a.actor.get_weights()[0], b.actor.get_weights()[0])
    self.assertEqual(b.noise.sigma, 0.3)

  def test_restart_restores_from_autosave(self):
    state_dir = os.path.join(self.get_temp_dir(), 'state')
    first = self._session(seed=6, state_dir=state_dir, autosave_every_bars=1)
    first.start()
    for _ in range(5):
      first.reward(1.0)
    for i in range(17):  # autosaves at the downbeats of bars 1 and 2.
      first.on_tick(_tick(i))
    self.assertTrue(first.wait_idle())
    self.assertTrue(os.path.exists(first.state_path()))
    saved_actor = first.agent.actor_weights()
    saved_memory = first.memory.get_state()
    # "Kill" the session: no clean shutdown save. A new process would build
    # a fresh agent (another seed) and restore from the state dir.
    second = self._session(seed=7, state_dir=state_dir)
    self.assertLen(second.memory, 5)
    self.assertAllClose(second.memory.get_state()['rewards'],
                        saved_memory['rewards'])
    self.assertAllClose(second.agent.actor_weights()[0], saved_actor[0])
    first.close(save=False)

  def test_worker_thread_learns_beside_ticks(self):
    session = self._session(seed=8).start()
    self.addCleanup(session.close, save=False)
    for _ in range(8):
      session.reward(1.0)
    for i in range(20):
      session.on_tick(_tick(i))
      session.wait_idle()
    self.assertGreaterEqual(session.optimisations, 10)
    self.assertEqual(session.learner_errors, 0)


class LearningTest(tf.test.TestCase):

  def test_actor_moves_toward_what_the_player_rewards(self):
    # Fixed seeds; 1500 ticks, a reward every tick, optimise every tick.
    hp = carl_hparams.CarlHParams(seed=5)
    session = carl_session.CarlSession(carl_agent.make_agent(hp), threaded=False)
    player = SimulatedPlayer(seed=0)
    rng = np.random.default_rng(0)
    probe = rng.uniform(size=(32, 3))
    before = carl_session.mean_distance(session.actor, probe, player.target)
    for i in range(1500):
      if i % 16 == 0:  # the player moves the joystick every 16 ticks.
        session.set_input(*rng.uniform(size=3))
        player.previous = None
      output = session.on_tick(_tick(i))
      reward = player.judge(session.input, output)
      if reward is not None:
        session.reward(reward)
    after = carl_session.mean_distance(session.actor, probe, player.target)
    # Measured: 0.617 -> 0.315 (-49%). Require at least a 25% drop.
    self.assertLess(after, 0.75 * before, (before, after))


if __name__ == '__main__':
  tf.test.main()
