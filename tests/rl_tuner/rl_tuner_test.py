"""Tests for the RLTuner agent on a tiny Note RNN (layer_sizes (8,))."""

import dataclasses
import tempfile

from absl.testing import absltest
from absl.testing import parameterized
import numpy as np
import tensorflow as tf

from rl_tuner import encoding
from rl_tuner import replay_memory
from rl_tuner import rl_tuner
from rl_tuner import rl_tuner_hparams
from rl_tuner.algorithms import value_losses
from rl_tuner.rewards import batched
from rl_tuner.rewards import variety
from tests.rl_tuner import testing_utils

ALGORITHMS = ('q', 'psi', 'g', 'pure_rl')


def _hparams(**kwargs):
  base = rl_tuner_hparams.RLTunerHParams(
      num_compositions_in_parallel=4, replay_memory_size=1024,
      exploration_period=256, learning_rate=0.01)
  return dataclasses.replace(base, **kwargs)


class RLTunerTest(tf.test.TestCase, parameterized.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.note_rnn_dir = testing_utils.make_tiny_note_rnn(
        tempfile.mkdtemp(dir=absltest.get_default_test_tmpdir()))

  def _agent(self, jit_compile=True, **kwargs):
    return rl_tuner.RLTuner.from_note_rnn_checkpoint(
        _hparams(**kwargs), self.note_rnn_dir,
        np.array(testing_utils.PRIMER_ACTIONS), jit_compile=jit_compile)

  @parameterized.parameters('q', 'g')
  def test_xla_train_phase_matches_the_uncompiled_graph(self, algorithm):
    # The same batch through the XLA-compiled train phase (K = 4 gradient
    # steps of 32, a soft update after each) and the plain tf.function: the
    # loss and every weight agree up to float32 rounding.
    agents = [self._agent(jit_compile=j, algorithm=algorithm)
              for j in (True, False)]
    agents[1].q_network.set_weights(agents[0].q_network.get_weights())
    agents[1].target_q_network.set_weights(
        agents[0].target_q_network.get_weights())
    s = agents[0].q_network.state_size
    rng = np.random.default_rng(1)
    batch = replay_memory.Transitions(
        state=rng.normal(size=[128, s]).astype(np.float32),
        prev_action=rng.integers(0, 38, 128).astype(np.int32),
        action=rng.integers(0, 38, 128).astype(np.int32),
        reward=rng.normal(size=128).astype(np.float32),
        next_state=rng.normal(size=[128, s]).astype(np.float32),
        discount=np.full([128], 0.5, np.float32),
        next_log_prior=np.log(np.full([128, 38], 1 / 38, np.float32)))
    before = agents[0].q_network.get_weights()
    losses = [float(a._train_fn(batch)) for a in agents]  # pylint: disable=protected-access
    self.assertAllClose(losses[0], losses[1], rtol=1e-4)
    for net in ('q_network', 'target_q_network'):
      for w_xla, w_graph in zip(getattr(agents[0], net).get_weights(),
                                getattr(agents[1], net).get_weights()):
        self.assertAllClose(w_xla, w_graph, atol=1e-5)
    self.assertFalse(all(np.array_equal(b, w) for b, w in
                         zip(before, agents[0].q_network.get_weights())))

  def test_configure_cpu_threads_rejects_negative(self):
    with self.assertRaisesRegex(ValueError, 'num_threads'):
      rl_tuner.configure_cpu_threads(-1)

  def test_rewards_per_algorithm(self):
    log_p, r_mt, w = np.array([-1.0]), np.array([3.0]), 2.0
    # q, psi: -1 + 2 * 3 = 5; g: 2 * 3 = 6 (prior in the target); pure_rl: 3.
    expected = {'q': 5.0, 'psi': 5.0, 'g': 6.0, 'pure_rl': 3.0}
    for algorithm, value in expected.items():
      self.assertAllClose(rl_tuner.REWARDS[algorithm](log_p, r_mt, w), [value])

  @parameterized.parameters(*ALGORITHMS)
  def test_smoke_trains_and_reward_rnn_stays_bit_identical(self, algorithm):
    agent = self._agent(algorithm=algorithm)
    reward_before = [v.numpy().copy() for v in agent.reward_rnn.weights]
    q_before = [v.numpy().copy() for v in agent.q_network.weights]
    target_before = [v.numpy().copy() for v in agent.target_q_network.weights]
    # 4 compositions x 32 steps x 2 = 256 environment steps = 64 batched
    # steps, training every 5th (12 times, 4 gradient steps of 32 each).
    stats = agent.train(256)
    self.assertEqual(stats.step, 256)
    self.assertEqual(stats.num_compositions, 8)
    self.assertLen(agent.replay_memory, 256)
    self.assertTrue(np.isfinite(stats.loss))
    self.assertAllClose(stats.epsilon, 0.1)  # Annealed over 256 steps.
    for before, v in zip(reward_before, agent.reward_rnn.weights):
      np.testing.assert_array_equal(before, v.numpy())  # Bit-identical.
    self.assertEmpty(agent.reward_rnn.trainable_variables)
    self.assertFalse(all(np.array_equal(b, v.numpy()) for b, v in
                         zip(q_before, agent.q_network.weights)))
    self.assertFalse(all(np.array_equal(b, v.numpy()) for b, v in
                         zip(target_before, agent.target_q_network.weights)))

  @parameterized.parameters(*ALGORITHMS)
  def test_loss_is_wired_to_the_algorithm(self, algorithm):
    # B = 2, multiplier 2: one gradient step of 64 transitions per train call.
    agent = self._agent(algorithm=algorithm, num_compositions_in_parallel=2,
                        minibatch_multiplier=2)
    s = agent.q_network.state_size
    rng = np.random.default_rng(0)
    batch = replay_memory.Transitions(
        state=rng.normal(size=[64, s]).astype(np.float32),
        prev_action=rng.integers(0, 38, 64).astype(np.int32),
        action=rng.integers(0, 38, 64).astype(np.int32),
        reward=rng.normal(size=64).astype(np.float32),
        next_state=rng.normal(size=[64, s]).astype(np.float32),
        discount=np.where(np.arange(64) % 2, 0.5, 0.0).astype(np.float32),
        next_log_prior=np.log(np.full([64, 38], 1 / 38, np.float32)))
    q_tm1, _ = agent.q_network.step(tf.one_hot(batch.prev_action, 38),
                                    batch.state)
    q_t, _ = agent.target_q_network.step(tf.one_hot(batch.action, 38),
                                         batch.next_state)
    expected = tf.reduce_mean(value_losses.LOSSES[algorithm](
        q_tm1, tf.constant(batch.action), tf.constant(batch.reward),
        tf.constant(batch.discount), q_t,
        log_prior_t=tf.constant(batch.next_log_prior)).loss)
    loss = agent._train_fn(batch)  # pylint: disable=protected-access
    self.assertAllClose(loss, expected, rtol=1e-5)

  @parameterized.parameters(('boltzmann', True), ('egreedy', False))
  def test_stored_action_is_the_action_taken(self, mode, differs_from_argmax):
    # No training (train_every huge), so the stored states still give the
    # acting scores. Greedy (epsilon 0) stores the argmax; Boltzmann stores
    # the sampled action, which often is not the argmax.
    agent = self._agent(algorithm='q', exploration=mode, initial_epsilon=0.0,
                        final_epsilon=0.0, train_every=10**6)
    agent.train(128)
    n = len(agent.replay_memory)
    memory = agent.replay_memory._arrays  # pylint: disable=protected-access
    scores, _ = agent.q_network.step(tf.one_hot(memory.prev_action[:n], 38),
                                     memory.state[:n])
    argmax = np.argmax(scores.numpy(), axis=1)
    mismatch = np.mean(argmax != memory.action[:n])
    if differs_from_argmax:
      self.assertGreater(mismatch, 0.5)  # Near-uniform softmax of 38.
    else:
      self.assertEqual(mismatch, 0.0)

  def test_evaluate_model_accumulates_log_p(self):
    agent = self._agent(algorithm='q')
    result = agent.evaluate_model(3, sample=True, seed=1)
    self.assertEqual(result.compositions.shape, (3, 32))
    # Independent path: teacher-forced log-likelihood of primer + composition
    # under the reward RNN, summed over the 32 composed steps.
    primer = np.array(testing_utils.PRIMER_ACTIONS)
    seqs = np.concatenate([np.tile(primer, [3, 1]), result.compositions], 1)
    logits = agent.reward_rnn(tf.one_hot(seqs[:, :-1], 38))
    log_p = tf.nn.log_softmax(logits).numpy()
    idx = np.arange(len(primer) - 1, seqs.shape[1] - 1)
    expected = np.take_along_axis(log_p[:, idx], seqs[:, idx + 1, None],
                                  2)[..., 0].sum(1)
    self.assertAllClose(result.note_rnn_reward, expected, rtol=1e-4)
    # Independent path: r_MT of the whole compositions at once (not the
    # step-by-step environment the agent's evaluation uses).
    self.assertAllClose(
        result.music_theory_reward,
        batched.music_theory_reward_per_step(result.compositions).sum(1),
        rtol=1e-5)
    self.assertAllClose(result.total_reward, result.note_rnn_reward +
                        2.0 * result.music_theory_reward, rtol=1e-5)

  def test_generate_music_sequence(self):
    agent = self._agent(algorithm='g', priming='random')
    compositions, probs = agent.generate_music_sequence(5, sample=False)
    self.assertEqual(compositions.shape, (5, 32))
    self.assertEqual(probs.shape, (5, 32, encoding.NUM_CLASSES))
    self.assertAllClose(probs.sum(-1), np.ones([5, 32]), rtol=1e-5)
    # Greedy: each chosen event is the most probable one.
    self.assertAllEqual(np.argmax(probs, -1), compositions)

  def test_options_the_paper_lacks_are_wired(self):
    agent = self._agent(algorithm='psi', priming='random',
                        sampling_temperature=2.5, entropy_bonus=1.5,
                        tonic_start_reward=0.5, sampling_top_p=0.9,
                        sampling_min_p=0.05)
    self.assertEqual(agent.sampler().temperature, 2.5)
    self.assertAlmostEqual(agent.sampler().min_p, 0.05)
    self.assertEqual(agent.sampler(use_note_rnn=True).min_p, 0.0)
    self.assertAlmostEqual(agent.sampler().top_p, 0.9)
    self.assertEqual(agent.sampler(use_note_rnn=True).top_p, 1.0)
    self.assertEqual(agent.sampler(use_note_rnn=True).temperature, 1.0)
    self.assertEqual(agent._loss_fn.keywords['temperature'], 2.5)  # pylint: disable=protected-access
    # The tonic at beat 0 earns 0.5 instead of 3 in training.
    rewards = agent.music_theory_rewards(np.array([[14] + [1] * 31]))
    paper = self._agent(priming='random').music_theory_rewards(
        np.array([[14] + [1] * 31]))
    self.assertAllClose(paper[0, 0] - rewards[0, 0], 2.5)

  @parameterized.parameters('random', 'midi')
  def test_composition_replay_stores_whole_compositions(self, priming):
    # B = 4 compositions of 32 steps, one composition per row; training
    # every 5th step: one gradient step of 4 compositions (multiplier 4).
    agent = self._agent(replay_unit='composition', minibatch_multiplier=4,
                        priming=priming)
    stats = agent.train(4 * 32 * 2)
    self.assertEqual(stats.num_compositions, 8)
    self.assertLen(agent.replay_memory, 8)  # Rows, i.e. 256 transitions.
    self.assertTrue(np.isfinite(stats.loss))
    row = agent.replay_memory.sample(3)
    self.assertEqual(row.action.shape, (3, 32))
    self.assertEqual(row.next_log_prior.shape, (3, 32, 38))
    # Each step's input is the action before it; gamma until the last step.
    self.assertAllEqual(row.prev_action[:, 1:], row.action[:, :-1])
    self.assertAllClose(row.discount[:, :-1], np.full([3, 31], 0.5))
    self.assertAllClose(row.discount[:, -1], np.zeros(3))
    if priming == 'random':  # A random pitch from the zero state.
      self.assertAllEqual(row.state, np.zeros_like(row.state))
      self.assertTrue(np.all(row.prev_action[:, 0] >= 2))
    else:  # The primer's last event, from the state after the others.
      self.assertAllEqual(row.prev_action[:, 0], np.full(3, 0))
      self.assertGreater(np.abs(row.state).max(), 0)

  def test_composition_replay_unrolls_both_networks_from_the_first_state(self):
    agent = self._agent(replay_unit='composition', minibatch_multiplier=4,
                        priming='random')
    agent.target_q_network.set_weights(
        [w + 0.1 for w in agent.q_network.get_weights()])
    agent.train(4 * 32)
    row = agent.replay_memory.sample(2)
    rows = replay_memory.Transitions(*(tf.constant(x) for x in row))
    q_tm1 = agent._online_values(rows)  # pylint: disable=protected-access
    q_t = agent._target_values(rows)  # pylint: disable=protected-access
    self.assertEqual(q_tm1.shape, (64, 38))
    # The same values one LSTM step at a time from the stored first state.
    state_q = state_t = tf.constant(row.state)
    expected_q, expected_t = [], []
    for t in range(32):
      values, state_q = agent.q_network.step(
          tf.one_hot(row.prev_action[:, t], 38), state_q)
      expected_q.append(values)
      _, state_t = agent.target_q_network.step(
          tf.one_hot(row.prev_action[:, t], 38), state_t)
      values_t, _ = agent.target_q_network.step(
          tf.one_hot(row.action[:, t], 38), state_t)
      expected_t.append(values_t)
    self.assertAllClose(q_tm1, tf.reshape(tf.stack(expected_q, 1), [64, 38]),
                        atol=1e-5)
    self.assertAllClose(q_t, tf.reshape(tf.stack(expected_t, 1), [64, 38]),
                        atol=1e-5)

  def test_composition_replay_loss_pairs_each_step_with_its_target(self):
    # One train phase = one gradient step of 4 whole compositions (B = 4,
    # multiplier 4); the loss it returns (before its update) is the mean over
    # the 128 steps of (r + gamma * max_a' Q_T(s', a') - Q(s, a))^2.
    agent = self._agent(replay_unit='composition', minibatch_multiplier=4,
                        priming='random')
    agent.train(4 * 32)
    row = agent.replay_memory.sample(4)
    rows = replay_memory.Transitions(*(tf.constant(x) for x in row))
    q_tm1 = agent._online_values(rows).numpy().reshape(4, 32, 38)  # pylint: disable=protected-access
    q_t = agent._target_values(rows).numpy().reshape(4, 32, 38)  # pylint: disable=protected-access
    taken = np.take_along_axis(q_tm1, row.action[..., None], 2)[..., 0]
    target = row.reward + row.discount * q_t.max(2)
    expected = np.mean((target - taken) ** 2)
    self.assertAllClose(float(agent._train_fn(row)), expected, rtol=1e-4)  # pylint: disable=protected-access

  def test_variety_reward_is_added_to_the_reward(self):
    # pure_rl stores r_MT (+ beta * the pitch-class entropy gain); a row of
    # composition replay is a whole composition, so both can be recomputed.
    agent = self._agent(algorithm='pure_rl', variety_reward=2.0,
                        replay_unit='composition', minibatch_multiplier=4,
                        priming='random')
    agent.train(4 * 32)
    row = agent.replay_memory.sample(1)
    compositions = row.action
    gains = np.stack([variety.pitch_class_entropy_gain(compositions[:, :t + 1])
                      for t in range(32)], 1)
    self.assertGreater(gains.sum(), 0)
    self.assertAllClose(
        row.reward, agent.music_theory_rewards(compositions) + 2.0 * gains,
        atol=1e-5)

  def test_composition_replay_needs_whole_compositions_per_step(self):
    with self.assertRaisesRegex(ValueError, 'multiple of composition_length'):
      _hparams(replay_unit='composition', minibatch_size=48)

  def test_midi_priming_needs_primer(self):
    with self.assertRaisesRegex(ValueError, 'primer'):
      rl_tuner.RLTuner.from_note_rnn_checkpoint(_hparams(), self.note_rnn_dir)


if __name__ == '__main__':
  tf.test.main()
