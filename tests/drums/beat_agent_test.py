"""Tests of drums.beat_agent and its hparams."""

import os

import numpy as np

import tensorflow as tf

from drums import beat_agent
from drums import beat_agent_hparams

HParams = beat_agent_hparams.BeatAgentHParams


class HParamsTest(tf.test.TestCase):

  def test_defaults_follow_spec(self):
    h = HParams()
    self.assertEqual((h.structure, h.source_history, h.dropout, h.batch_size,
                      h.replay_size, h.discount), ((32, 16, 8), 8, 0.2, 32,
                                                   128, 0.0))
    self.assertEqual(h.state_size, 16)  # 8 tick one-hot + 8 source history.
    self.assertEqual(beat_agent_hparams.CONFIGS['tutorial'].source_history, 1)

  def test_validation_names_field(self):
    with self.assertRaisesRegex(ValueError, 'epsilon'):
      HParams(epsilon=1.5)
    with self.assertRaisesRegex(ValueError, 'structure'):
      HParams(structure=())

  def test_parse_overrides(self):
    h = beat_agent_hparams.parse_hparams('structure=8/4,discount=0.5,seed=3')
    self.assertEqual((h.structure, h.discount, h.seed), ((8, 4), 0.5, 3))
    with self.assertRaisesRegex(ValueError, 'unknown hyperparameter'):
      beat_agent_hparams.parse_hparams('nope=1')


class BeatAgentTest(tf.test.TestCase):

  def test_network_layers(self):
    agent = beat_agent.BeatAgent(HParams(structure=(32, 16, 8)))
    layers = agent.model.layers[1:]  # After the Input.
    self.assertEqual([type(l).__name__ for l in layers],
                     ['Dense', 'Dropout', 'Dense', 'Dense', 'Dense', 'Dense'])
    self.assertEqual([l.units for l in layers if hasattr(l, 'units')],
                     [16, 32, 16, 8, 2])
    self.assertEqual(layers[1].rate, 0.2)
    self.assertEqual([l.activation.__name__ for l in layers
                      if hasattr(l, 'units')],
                     ['tanh', 'tanh', 'tanh', 'tanh', 'linear'])
    self.assertEqual(agent.model(tf.zeros([3, 16])).shape, (3, 2))

  def _agent_with_two_transitions(self, discount):
    agent = beat_agent.BeatAgent(HParams(dropout=0.0, discount=discount))
    s0, s1 = agent.encoder.state(0), agent.encoder.state(1)
    agent.memory.add(s0, 1, 1.0, s1)
    agent.memory.add(s1, 0, -1.0, s0)
    return agent, s0, s1

  def test_learn_step_loss_is_squared_td_error_discount_0(self):
    agent, s0, s1 = self._agent_with_two_transitions(0.0)
    q0, q1 = agent.q_values(s0), agent.q_values(s1)
    # Bandit: y = r. loss = mean((1 - Q(s0,1))^2, (-1 - Q(s1,0))^2).
    expected = ((1 - q0[1]) ** 2 + (-1 - q1[0]) ** 2) / 2
    self.assertAllClose(agent.learn_step(), expected, rtol=1e-5)
    self.assertNotAllClose(agent.q_values(s0), q0)  # It learned.

  def test_learn_step_bootstraps_with_discount(self):
    agent, s0, s1 = self._agent_with_two_transitions(0.5)
    q0, q1 = agent.q_values(s0), agent.q_values(s1)
    # y0 = 1 + 0.5 max Q(s1); y1 = -1 + 0.5 max Q(s0).
    expected = ((1 + 0.5 * q1.max() - q0[1]) ** 2 +
                (-1 + 0.5 * q0.max() - q1[0]) ** 2) / 2
    self.assertAllClose(agent.learn_step(), expected, rtol=1e-5)

  def test_tick_modes(self):
    agent = beat_agent.BeatAgent()
    first = agent.tick(0, 1, 0, 'learn')
    self.assertIsNone(first.loss)  # Nothing stored yet.
    self.assertIn(first.reward, (1.0, -1.0))
    second = agent.tick(1, 0, 1, 'learn')
    self.assertIsNotNone(second.loss)
    self.assertLen(agent.memory, 1)
    # The stored transition: tick-0 state -> tick-1 state.
    states, actions, rewards, next_states = agent.memory.in_order()
    self.assertEqual(states[0, 0], 1.0)
    self.assertEqual(next_states[0, 1], 1.0)
    self.assertEqual(rewards[0], 1.0 if first.action == 0 else -1.0)
    predicted = agent.tick(2, 0, None, 'predict')
    self.assertIn(predicted.action, (0, 1))
    self.assertIsNone(predicted.loss)
    off = agent.tick(3, 1, None, 'off')
    self.assertEqual(off, beat_agent.TickResult(None, None, None, None))
    agent.tick(4, 1, 1, 'learn')
    self.assertLen(agent.memory, 1)  # Pending dropped across predict/off.
    with self.assertRaisesRegex(ValueError, 'unknown mode'):
      agent.tick(0, 0, 0, 'sing')
    with self.assertRaisesRegex(ValueError, 'target'):
      agent.tick(0, 0, None, 'learn')

  def test_no_retracing_over_batch_sizes(self):
    agent = beat_agent.BeatAgent(HParams(replay_size=64))
    for i in range(50):  # Batches of 1, 2, ..., 32, 32, ...
      agent.tick(i % 8, i % 2, (i // 2) % 2, 'learn')
    for i in range(10):
      agent.tick(i % 8, i % 2, None, 'predict')
    self.assertLen(agent.memory, 49)
    self.assertEqual(agent.tracing_counts(),
                     {'q_values': 1, 'learn': 0, 'act_learn': 1})

  def test_warm_up_traces_once_and_learns_nothing(self):
    agent = beat_agent.BeatAgent(HParams(seed=3))
    before = [w.copy() for w in agent.model.get_weights()]
    agent.warm_up()
    self.assertEqual(agent.tracing_counts(),
                     {'q_values': 1, 'learn': 1, 'act_learn': 1})
    for w0, w1 in zip(before, agent.model.get_weights()):
      self.assertAllEqual(w0, w1)
    self.assertEmpty(agent.memory)
    cold = beat_agent.BeatAgent(HParams(seed=3))  # same seed, no warm-up.
    for i in range(12):  # No tracing after warm-up.
      agent.tick(i % 8, i % 2, (i // 2) % 2, 'learn')
      cold.tick(i % 8, i % 2, (i // 2) % 2, 'learn')
    self.assertEqual(agent.tracing_counts(),
                     {'q_values': 1, 'learn': 1, 'act_learn': 1})
    # The warm-up ran each graph once and put every variable back: learning
    # afterwards is exactly that of an agent that never warmed up.
    self.assertAllClose(agent.losses, cold.losses, rtol=0, atol=0)

  def test_save_load_round_trip(self):
    agent = beat_agent.BeatAgent(HParams(seed=1))
    for i in range(20):
      agent.tick(i % 8, i % 3 == 0, i % 2, 'learn')
    path = os.path.join(self.get_temp_dir(), 'agent')
    saved = agent.save(path)
    self.assertEqual(saved, path + '.npz')
    self.assertEqual(os.listdir(self.get_temp_dir()), ['agent.npz'])
    other = beat_agent.BeatAgent(HParams(seed=2))
    state = agent.encoder.state(5)
    self.assertNotAllClose(other.q_values(state), agent.q_values(state))
    other.load(path)
    self.assertAllClose(other.q_values(state), agent.q_values(state))
    for a, b in zip(agent.memory.in_order(), other.memory.in_order()):
      self.assertAllEqual(a, b)
    self.assertAllEqual(other.encoder.state(5), agent.encoder.state(5))
    for a, b in zip(agent.optimizer.variables, other.optimizer.variables):
      self.assertAllClose(a, b)
    with self.assertRaisesRegex(ValueError, 'source_history'):
      beat_agent.BeatAgent(HParams(source_history=1)).load(saved)
    with self.assertRaisesRegex(FileNotFoundError, 'nowhere'):
      other.load(os.path.join(self.get_temp_dir(), 'nowhere'))

  def test_reset(self):
    agent = beat_agent.BeatAgent()
    for i in range(10):
      agent.tick(i % 8, 1, 1, 'learn')
    state = agent.encoder.state(0)
    before = agent.q_values(state)
    agent.reset()
    self.assertEmpty(agent.memory)
    self.assertEmpty(agent.losses)
    self.assertNotAllClose(agent.q_values(state), before)
    self.assertIsNotNone(agent.tick(0, 1, 1, 'learn'))
    # Adam restarts (step 0) but keeps its learning rate: the old reset
    # zeroed every optimiser variable, the learning rate too.
    self.assertAllClose(float(agent.optimizer.learning_rate),
                        agent.hparams.learning_rate)
    # Weights made off the clock thread (numpy, no new Keras model): Glorot
    # kernels within sqrt(6 / (16 + 16)) = 0.433 for the first layer, zero
    # biases; the same weights give the same network.
    weights = agent.fresh_weights()
    self.assertLessEqual(np.abs(weights[0]).max(), np.sqrt(6 / 32))
    self.assertAllEqual(weights[1], np.zeros(16))
    agent.reset(weights)
    self.assertAllClose(agent.model.get_weights()[0], weights[0])
    for _ in range(40):
      agent.tick(0, 1, 1, 'learn')
    self.assertNotAllClose(agent.model.get_weights()[0], weights[0])


if __name__ == '__main__':
  tf.test.main()
