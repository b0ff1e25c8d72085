"""RLTuner: tunes a trained Note RNN with Q, Psi or G learning (no file I/O).

Jaques, Gu, Turner, Eck, "Tuning Recurrent Neural Networks with Reinforcement
Learning" (ICLR 2017 workshop; "Sequence Tutor", ICML 2017). The agent owns
three copies of a trained Note RNN: ``q_network`` (tuned), ``target_q_network``
(soft-updated towards it) and ``reward_rnn`` (frozen; supplies log p(a|s)),
the optimiser, the loss (looked up by name in
``rl_tuner.algorithms.value_losses.LOSSES``), the replay memory and a batched
:class:`~rl_tuner.melody_env.MelodyEnv`.

State and action. The state at beat t is (previous event, q network's LSTM
state before reading it); Q(s, .) are the q network's outputs after reading
the previous event; the action is the next of 38 events.

Rewards (per algorithm, ``REWARDS``):
  * q, psi: ``log p(a|s) + reward_scaler * r_MT``;
  * g:      ``reward_scaler * r_MT`` (the prior enters the target, and the
    agent acts by G(s, .) + log p(.|s));
  * pure_rl: ``r_MT`` only;
  plus, with ``hparams.variety_reward`` beta > 0 (an option the paper lacks),
  ``beta * `` the onset's gain in its composition's pitch-class entropy
  (rl_tuner.rewards.variety).

Everything per environment step runs over B compositions at once in compiled
``tf.function``s with fixed shapes (no retracing). With ``jit_compile`` (the
default) acting and the whole train phase (K gradient steps, each followed by
its soft target update, looping inside one XLA computation) are compiled by
XLA: one call per batched step and one per train phase, so the per-op
overhead that dominated the tiny LSTM updates goes away
(bench/rl_tuner_bench.py). With one intra-op thread
(:func:`configure_cpu_threads`) the process CPU time per environment step is
lowest, and two runs share two cores.
"""

import collections
from typing import Callable, Dict, Optional

from absl import logging
import numpy as np
import tensorflow as tf

from rl_tuner import encoding
from rl_tuner import melody_env
from rl_tuner import melody_sampler
from rl_tuner import replay_memory
from rl_tuner import rl_tuner_hparams
from rl_tuner.algorithms import exploration
from rl_tuner.algorithms import target_update
from rl_tuner.algorithms import value_losses
from rl_tuner.note_rnn import note_rnn_loader
from rl_tuner.note_rnn import note_rnn_model
from rl_tuner.rewards import variety

REWARDS: Dict[str, Callable[[np.ndarray, np.ndarray, float], np.ndarray]] = {
    'q': lambda log_p, r_mt, w: log_p + w * r_mt,
    'psi': lambda log_p, r_mt, w: log_p + w * r_mt,
    'g': lambda log_p, r_mt, w: w * r_mt,
    'pure_rl': lambda log_p, r_mt, w: r_mt,
}

TrainStats = collections.namedtuple(
    'TrainStats', ['step', 'epsilon', 'loss', 'total_reward',
                   'music_theory_reward', 'note_rnn_reward',
                   'num_compositions'])
"""What one call of :meth:`RLTuner.train` saw. Rewards are means per
composition (summed over its steps) over the compositions completed in the
call (NaN if none); loss is the mean over gradient steps (NaN if none)."""

EvalResult = collections.namedtuple(
    'EvalResult', ['total_reward', 'music_theory_reward', 'note_rnn_reward',
                   'compositions'])
"""Per-composition rewards, float32 [N] each, accumulated over the 32 steps,
and the compositions int32 [N, 32]."""


def configure_cpu_threads(num_threads: int) -> bool:
  """Sets TensorFlow's intra- and inter-op thread pools to ``num_threads``.

  Takes effect only before TensorFlow executes its first op; later (e.g. a
  second run in one process) it logs a warning and changes nothing. The RL
  Tuner's ops are small: one thread each gives the lowest CPU time per
  environment step (bench/rl_tuner_bench.py), and lets concurrent runs
  (sweeps) share the cores. 0 keeps TensorFlow's default.

  Returns:
    True if the thread pools were set.

  Raises:
    ValueError: if ``num_threads`` is negative.
  """
  if num_threads < 0:
    raise ValueError(f'configure_cpu_threads: num_threads must be >= 0, got '
                     f'{num_threads}')
  if not num_threads:
    return False
  try:
    tf.config.threading.set_intra_op_parallelism_threads(num_threads)
    tf.config.threading.set_inter_op_parallelism_threads(num_threads)
  except RuntimeError as e:  # TensorFlow is already initialised.
    logging.warning('configure_cpu_threads(%d) ignored: %s', num_threads, e)
    return False
  return True


class RLTuner:
  """The RL Tuner agent.

  Args:
    hparams: an :class:`~rl_tuner.rl_tuner_hparams.RLTunerHParams`.
    networks: ``NoteRNNCopies(q_network, target_q_network, reward_rnn)``, e.g.
      from ``NoteRNNLoader(dir).load_copies()`` (see
      :meth:`from_note_rnn_checkpoint`).
    primer_actions: int ``[P]`` primer events for 'midi' priming (required
      then; ignored for 'random').
    jit_compile: compile acting and the train phase with XLA (results equal
      the uncompiled graph's up to floating-point rounding).

  Raises:
    ValueError: if the networks' architectures differ or 'midi' priming has
      no primer.
  """

  def __init__(self, hparams: rl_tuner_hparams.RLTunerHParams,
               networks: note_rnn_loader.NoteRNNCopies,
               primer_actions: Optional[np.ndarray] = None,
               jit_compile: bool = True):
    self.hparams = hparams
    self.q_network, self.target_q_network, self.reward_rnn = networks
    configs = {n.config for n in networks}
    if len(configs) != 1:
      raise ValueError(f'RLTuner: the three Note RNN copies differ: {configs}')
    self.note_rnn_config = networks.q_network.config
    self.reward_rnn.trainable = False
    if hparams.priming == 'midi':
      if primer_actions is None or len(primer_actions) == 0:
        raise ValueError("RLTuner: priming='midi' needs primer_actions")
      self.primer_actions = np.asarray(primer_actions, np.int32)
    else:
      self.primer_actions = None
    self.key = encoding.KeyConfig(hparams.tonic_pitch, hparams.key_mode)
    self.batch_size = hparams.num_compositions_in_parallel
    self.env = melody_env.MelodyEnv(self.batch_size, self.key,
                                    hparams.reward_mode,
                                    hparams.composition_length,
                                    hparams.tonic_start_reward)
    self.replay_memory = replay_memory.ReplayMemory(
        max(hparams.replay_memory_size // hparams.replay_steps, 1),
        self.q_network.state_size, encoding.NUM_CLASSES, seed=hparams.seed,
        steps=hparams.replay_steps)
    self._composition = []  # replay_unit='composition': this batch's steps.
    self.optimizer = tf.keras.optimizers.Adam(hparams.learning_rate)
    self.optimizer.build(self.q_network.trainable_variables)
    self.global_step = tf.Variable(0, dtype=tf.int64, trainable=False,
                                   name='global_step')  # Environment steps.
    self.rng = tf.random.Generator.from_seed(hparams.seed)
    self._loss_fn = value_losses.get_loss(hparams.algorithm,
                                          hparams.entropy_bonus)
    self._select = exploration.get_exploration(hparams.exploration)
    self._scores_fn = melody_sampler.get_acting_scores(hparams.algorithm)
    self._reward_fn = REWARDS[hparams.algorithm]
    # Boltzmann acting samples with tf.random.stateless_categorical, which
    # has no XLA kernel: that mode acts through the plain graph.
    self._act_fn = tf.function(
        self._act,
        jit_compile=jit_compile and hparams.exploration != 'boltzmann')
    self._train_fn = tf.function(self._train_minibatches,
                                 jit_compile=jit_compile)
    self._prime_fn = tf.function(self._prime)
    self._num_batched_steps = 0
    self._state = None  # melody_sampler.PrimedState of the current batch.
    self._episode_rewards = np.zeros([3, self.batch_size], np.float64)
    self._samplers = {}  # (use_note_rnn, priming) -> MelodySampler.

  @classmethod
  def from_note_rnn_checkpoint(cls, hparams, checkpoint_dir: str,
                               primer_actions=None,
                               jit_compile: bool = True) -> 'RLTuner':
    """Builds the agent from a trained Note RNN checkpoint directory."""
    copies = note_rnn_loader.NoteRNNLoader(checkpoint_dir).load_copies()
    return cls(hparams, copies, primer_actions, jit_compile)

  @classmethod
  def from_config(cls, hparams, config: note_rnn_model.NoteRNNConfig,
                  primer_actions=None, jit_compile: bool = True) -> 'RLTuner':
    """An agent with freshly initialised networks (restore weights after)."""
    copies = note_rnn_loader.NoteRNNCopies(
        note_rnn_model.NoteRNN(config, name='q_network'),
        note_rnn_model.NoteRNN(config, name='target_q_network'),
        note_rnn_model.NoteRNN(config, name='reward_rnn'))
    return cls(hparams, copies, primer_actions, jit_compile)

  # -- Compiled pieces -------------------------------------------------------

  def _prime(self):
    return melody_sampler.prime(self.q_network, self.reward_rnn,
                                self.batch_size, self.primer_actions,
                                self.rng.make_seeds(1)[:, 0])

  def _act(self, state: melody_sampler.PrimedState):
    hp = self.hparams
    epsilon = exploration.linear_epsilon(
        self.global_step, hp.initial_epsilon, hp.final_epsilon,
        hp.exploration_period)
    seed = self.rng.make_seeds(1)[:, 0]
    select = lambda scores: self._select(scores, epsilon, seed,
                                         hp.boltzmann_temperature,
                                         hp.boltzmann_min_p)
    action, _, log_p, next_state, _ = melody_sampler.policy_step(
        self.q_network, self.reward_rnn, self._scores_fn, state, select)
    self.global_step.assign_add(self.batch_size)
    return action, log_p, next_state, epsilon

  def _train_minibatches(self, batch: replay_memory.Transitions):
    """Gradient steps over ``batch`` ([K * M] rows), soft update after each."""
    hp = self.hparams
    k = hp.gradient_steps_per_train
    m = hp.transitions_per_gradient_step // hp.replay_steps
    batch = replay_memory.Transitions(
        *(tf.reshape(x, [k, m] + x.shape[1:].as_list()) for x in batch))
    q_vars = self.q_network.trainable_variables
    target_vars = self.target_q_network.trainable_variables
    total = tf.constant(0.0)
    for i in tf.range(k):
      b = replay_memory.Transitions(*(x[i] for x in batch))
      q_t = self._target_values(b)
      if hp.replay_steps > 1:  # Rows of T steps -> [M * T] transitions.
        flat = lambda x: tf.reshape(x, [-1] + x.shape[2:].as_list())
        b = b._replace(action=flat(b.action), reward=flat(b.reward),
                       discount=flat(b.discount),
                       next_log_prior=flat(b.next_log_prior))
      with tf.GradientTape() as tape:
        out = self._loss_fn(self._online_values(b), b.action, b.reward,
                            b.discount, q_t, log_prior_t=b.next_log_prior)
        loss = tf.reduce_mean(out.loss)
      grads = tape.gradient(loss, q_vars)
      loss = tf.debugging.check_numerics(loss, 'RLTuner loss')
      grads = [tf.clip_by_norm(g, hp.clip_gradient) for g in grads]
      self.optimizer.apply_gradients(zip(grads, q_vars))
      target_update.soft_update(target_vars, q_vars, hp.target_update_rate)
      total += loss
    return total / tf.cast(k, tf.float32)

  def _target_values(self, b: replay_memory.Transitions):
    """The target network's values at each next state: ``[N, 38]``.

    One transition per row: one LSTM step from the stored ``next_state``.
    Rows of T steps (replay_unit='composition', M rows): the target network
    runs over a_{-1} .. a_{T-1} from the row's first state ``b.state``; N =
    M * T, in row-major order.
    """
    if self.hparams.replay_steps == 1:
      return self.target_q_network.step(
          tf.one_hot(b.action, encoding.NUM_CLASSES), b.next_state)[0]
    inputs = tf.one_hot(tf.concat([b.prev_action[:, :1], b.action], axis=1),
                        encoding.NUM_CLASSES)
    q_t = self.target_q_network(inputs, initial_state=b.state)[:, 1:]
    return tf.reshape(q_t, [-1, encoding.NUM_CLASSES])

  def _online_values(self, b: replay_memory.Transitions):
    """The Q network's values where each action was taken: ``[N, 38]``.

    One transition per row: one LSTM step from the stored ``state``. Rows of
    T steps: the Q network runs over a_{-1} .. a_{T-2} from the row's first
    state, so every state is recomputed with the current weights and the
    gradient flows through time; N = M * T, in row-major order.
    """
    if self.hparams.replay_steps == 1:
      return self.q_network.step(
          tf.one_hot(b.prev_action, encoding.NUM_CLASSES), b.state)[0]
    q_tm1 = self.q_network(tf.one_hot(b.prev_action, encoding.NUM_CLASSES),
                           initial_state=b.state)
    return tf.reshape(q_tm1, [-1, encoding.NUM_CLASSES])

  # -- Training --------------------------------------------------------------

  def reset(self) -> None:
    """Starts B new compositions (primes the networks)."""
    self.env.reset()
    self._state = self._prime_fn()
    self._episode_rewards[:] = 0.0
    self._composition = []

  def _remember(self, step: replay_memory.Transitions, done: bool) -> None:
    """Stores one batched step: B transitions, or (replay_unit='composition')
    B compositions once their last step is in."""
    if self.hparams.replay_steps == 1:
      self.replay_memory.add(step)
      return
    self._composition.append(step)
    if done:
      steps, self._composition = self._composition, []
      stack = lambda name: np.stack([getattr(t, name) for t in steps], 1)
      self.replay_memory.add(replay_memory.Transitions(
          steps[0].state, stack('prev_action'), stack('action'),
          stack('reward'), steps[-1].next_state, stack('discount'),
          stack('next_log_prior')))

  def train(self, num_steps: int) -> TrainStats:
    """Runs ``num_steps`` environment steps (rounded up to a multiple of B).

    Each batched step acts with exploration, rewards, stores B transitions;
    every ``train_every`` batched steps it trains on ``B * minibatch_size``
    sampled transitions (see RLTunerHParams).

    Returns:
      A :class:`TrainStats`.
    """
    hp = self.hparams
    if self._state is None:
      self.reset()
    num_batched = -(-int(num_steps) // self.batch_size)
    losses, finished = [], []
    discount = np.full([self.batch_size], hp.discount, np.float32)
    last = np.zeros([self.batch_size], np.float32)
    for _ in range(num_batched):
      state = self._state
      action, log_p, next_state, _ = self._act_fn(state)
      action = action.numpy()
      log_p = log_p.numpy()
      result = self.env.step(action)
      reward = self._reward_fn(log_p, result.reward, hp.reward_scaler)
      if hp.variety_reward:
        reward = reward + hp.variety_reward * variety.pitch_class_entropy_gain(
            result.compositions)
      self._remember(replay_memory.Transitions(
          state.q_state.numpy(), state.prev_action.numpy(), action, reward,
          next_state.q_state.numpy(), last if result.done else discount,
          next_state.log_prior.numpy()), result.done)
      self._episode_rewards += [reward, result.reward, log_p]
      self._num_batched_steps += 1
      if result.done:
        finished.append(self._episode_rewards.copy())
        self.reset()
      else:
        self._state = next_state
      if (self._num_batched_steps % hp.train_every == 0 and
          len(self.replay_memory) * hp.replay_steps >= hp.minibatch_size):
        batch = self.replay_memory.sample(
            hp.gradient_steps_per_train * hp.transitions_per_gradient_step //
            hp.replay_steps)
        losses.append(float(self._train_fn(batch)))
    epsilon = float(exploration.linear_epsilon(
        self.global_step, hp.initial_epsilon, hp.final_epsilon,
        hp.exploration_period))
    means = (np.concatenate(finished, axis=1).mean(axis=1) if finished else
             np.full(3, np.nan))
    return TrainStats(int(self.global_step.numpy()), float(epsilon),
                      float(np.mean(losses)) if losses else float('nan'),
                      *means.tolist(), len(finished) * self.batch_size)

  # -- Generation and evaluation --------------------------------------------

  def sampler(self, use_note_rnn: bool = False,
              priming: Optional[str] = None) -> melody_sampler.MelodySampler:
    """A MelodySampler of the tuned policy (or of the untuned Note RNN).

    Args:
      use_note_rnn: generate from the frozen reward RNN (the untuned Note RNN)
        instead of the tuned policy.
      priming: 'midi' or 'random'; default the hparams' priming.

    The tuned policy samples at ``hparams.sampling_temperature`` from the
    ``hparams.sampling_top_p`` nucleus and ``hparams.sampling_min_p`` set by
    default, the untuned Note RNN at 1 from every action.
    """
    priming = priming or self.hparams.priming
    primer = self.primer_actions if priming == 'midi' else None
    if priming == 'midi' and primer is None:
      raise ValueError("RLTuner.sampler: priming='midi' needs a primer")
    key = (use_note_rnn, priming)
    cache = self._samplers
    if key not in cache:
      policy = self.reward_rnn if use_note_rnn else self.q_network
      cache[key] = melody_sampler.MelodySampler(
          policy, self.reward_rnn,
          'note_rnn' if use_note_rnn else self.hparams.algorithm, primer,
          self.hparams.composition_length,
          1.0 if use_note_rnn else self.hparams.sampling_temperature,
          1.0 if use_note_rnn else self.hparams.sampling_top_p,
          0.0 if use_note_rnn else self.hparams.sampling_min_p)
    return cache[key]

  def generate_music_sequence(self, num_compositions: int = 1,
                              sample: bool = False, seed: int = 0,
                              use_note_rnn: bool = False,
                              priming: Optional[str] = None):
    """Generates compositions and the note probabilities behind them.

    Returns:
      (compositions int32 [N, 32], note probabilities float32 [N, 32, 38]).
    """
    out = self.sampler(use_note_rnn, priming).generate(
        num_compositions, seed=seed, sample=sample, with_probabilities=True)
    return out.actions, out.probabilities

  def music_theory_rewards(self, compositions: np.ndarray) -> np.ndarray:
    """r_MT of every step, float32 [N, T], via the batched environment."""
    compositions = np.asarray(compositions, np.int32)
    n, length = compositions.shape
    env = melody_env.MelodyEnv(n, self.key, self.hparams.reward_mode, length,
                               self.hparams.tonic_start_reward)
    return np.stack([env.step(compositions[:, t]).reward
                     for t in range(length)], axis=1)

  def evaluate_model(self, num_compositions: int = 100, sample: bool = False,
                     seed: int = 0, use_note_rnn: bool = False) -> EvalResult:
    """Rewards of generated compositions, accumulated over every step.

    (The public code assigned instead of accumulating; here each
    composition's rewards are summed over its 32 steps.)

    Args:
      num_compositions: N.
      sample: sample from the softmax instead of the argmax.
      seed: sampling / priming seed.
      use_note_rnn: evaluate the untuned Note RNN instead.

    Returns:
      An :class:`EvalResult`.
    """
    out = self.sampler(use_note_rnn).generate(num_compositions, seed=seed,
                                              sample=sample)
    r_mt = self.music_theory_rewards(out.actions).sum(axis=1)
    log_p = out.log_p.sum(axis=1)
    # Per-step rewards accumulate, so the total is the reward function of the
    # summed terms (each reward is linear in log p and r_MT).
    total = self._reward_fn(log_p, r_mt, self.hparams.reward_scaler)
    return EvalResult(total.astype(np.float32), r_mt.astype(np.float32),
                      log_p.astype(np.float32), out.actions)

  # -- Checkpointing (delegated: the agent itself does no file I/O) ----------

  def checkpoint(self) -> tf.train.Checkpoint:
    """A tf.train.Checkpoint over everything training changes."""
    return tf.train.Checkpoint(
        q_network=self.q_network, target_q_network=self.target_q_network,
        reward_rnn=self.reward_rnn, optimizer=self.optimizer,
        global_step=self.global_step, rng=self.rng)

  def save_model_and_figs(self, directory: str, num_figures: int = 1):
    """Saves a checkpoint, the replay memory and figures into ``directory``."""
    from rl_tuner import rl_tuner_runner  # pylint: disable=g-import-not-at-top
    return rl_tuner_runner.save_model_and_figs(self, directory, num_figures)

  def restore_from_directory(self, directory: str) -> int:
    """Restores what :meth:`save_model_and_figs` or the runner saved.

    Returns:
      The restored global step.
    """
    from rl_tuner import rl_tuner_runner  # pylint: disable=g-import-not-at-top
    return rl_tuner_runner.restore_agent(self, directory)
