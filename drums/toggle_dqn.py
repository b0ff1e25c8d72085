"""A DQN agent for the kick/snare toggle environment (drums.toggle_env).

Built on the project's shared algorithms (no copies):
rl_tuner.algorithms.value_losses.q_learning (TD target under stop_gradient),
rl_tuner.algorithms.exploration (linear epsilon, epsilon-greedy) and
rl_tuner.algorithms.target_update.soft_update (Polyak target network). The
replay memory is drums.beat_memory (FIFO, sampled without replacement).

Episodes end only by truncation (50 steps), so every transition bootstraps
with the full discount.
"""

import dataclasses
from typing import Dict, Tuple

import numpy as np
import tensorflow as tf

from drums import beat_memory
from rl_tuner import hparams_overrides
from rl_tuner.algorithms import exploration
from rl_tuner.algorithms import target_update
from rl_tuner.algorithms import value_losses


@dataclasses.dataclass(frozen=True)
class ToggleDQNHParams:
  """Hyperparameters of the toggle DQN (validated on construction).

  Attributes:
    hidden: widths of the ReLU hidden layers.
    learning_rate: Adam learning rate.
    discount: gamma.
    replay_size: FIFO replay capacity (transitions).
    batch_size: transitions per gradient step.
    min_replay: transitions stored before learning starts.
    initial_epsilon, final_epsilon, exploration_period: linear epsilon
      schedule over environment steps.
    target_update_rate: soft target update tau after each gradient step.
    seed: seed of weights, exploration and replay sampling.
  """
  hidden: Tuple[int, ...] = (64, 64)
  learning_rate: float = 1e-3
  discount: float = 0.9
  replay_size: int = 10_000
  batch_size: int = 32
  min_replay: int = 200
  initial_epsilon: float = 1.0
  final_epsilon: float = 0.05
  exploration_period: int = 5_000
  target_update_rate: float = 0.01
  seed: int = 0

  def __post_init__(self):
    object.__setattr__(self, 'hidden', tuple(int(n) for n in self.hidden))
    hparams_overrides.check_numbers(self, {
        'learning_rate': 1.0, 'hidden': 65_536, 'replay_size': 10_000_000,
        'batch_size': 65_536})
    if not self.hidden or min(self.hidden) < 1:
      raise ValueError(f'ToggleDQNHParams.hidden must be positive widths, got '
                       f'{self.hidden!r}')
    for name in ('learning_rate', 'replay_size', 'batch_size',
                 'exploration_period'):
      if not getattr(self, name) > 0:
        raise ValueError(f'ToggleDQNHParams.{name} must be > 0, got '
                         f'{getattr(self, name)!r}')
    for name in ('discount', 'initial_epsilon', 'final_epsilon',
                 'target_update_rate'):
      if not 0.0 <= getattr(self, name) <= 1.0:
        raise ValueError(f'ToggleDQNHParams.{name} must be in [0, 1], got '
                         f'{getattr(self, name)!r}')
    if self.min_replay < 1:
      raise ValueError(f'ToggleDQNHParams.min_replay must be >= 1, got '
                       f'{self.min_replay!r}')


def build_q_network(obs_size: int, num_actions: int, hidden, seed: int
                    ) -> tf.keras.Model:
  """MLP float32 ``[B, obs_size]`` -> Q values ``[B, num_actions]``."""
  inputs = tf.keras.Input(shape=(obs_size,), dtype=tf.float32)
  x = inputs
  for i, width in enumerate(hidden):
    x = tf.keras.layers.Dense(
        width, activation='relu',
        kernel_initializer=tf.keras.initializers.GlorotUniform(seed + i))(x)
  outputs = tf.keras.layers.Dense(
      num_actions,
      kernel_initializer=tf.keras.initializers.GlorotUniform(seed + 99))(x)
  return tf.keras.Model(inputs, outputs)


class ToggleDQNAgent:
  """DQN with a soft-updated target network.

  Args:
    obs_size: observation length (16: kick ++ snare).
    num_actions: 8 toggles (+1 with the no-op).
    hparams: ToggleDQNHParams.
  """

  def __init__(self, obs_size: int, num_actions: int,
               hparams: ToggleDQNHParams = ToggleDQNHParams()):
    obs_size, num_actions = int(obs_size), int(num_actions)
    self.hparams = hparams
    self.num_actions = num_actions
    self.q_network = build_q_network(obs_size, num_actions, hparams.hidden,
                                     hparams.seed)
    self.target_network = build_q_network(obs_size, num_actions,
                                          hparams.hidden, hparams.seed)
    self.target_network.set_weights(self.q_network.get_weights())
    self.optimizer = tf.keras.optimizers.Adam(hparams.learning_rate)
    self.optimizer.build(self.q_network.trainable_variables)
    self.memory = beat_memory.BeatReplayMemory(hparams.replay_size, obs_size,
                                               seed=hparams.seed)
    self.env_steps = tf.Variable(0, dtype=tf.int64, name='env_steps')
    self._seed = tf.Variable([hparams.seed, 0], dtype=tf.int64, name='seed')
    obs_spec = tf.TensorSpec([None, obs_size], tf.float32)
    self._act_fn = tf.function(self._act_graph, input_signature=[
        obs_spec, tf.TensorSpec([], tf.bool)])
    self._train_fn = tf.function(self._train_graph, input_signature=[
        obs_spec, tf.TensorSpec([None], tf.int32),
        tf.TensorSpec([None], tf.float32), obs_spec])

  def checkpoint(self) -> tf.train.Checkpoint:
    """Everything to save: networks, optimiser, step and exploration seed."""
    return tf.train.Checkpoint(q_network=self.q_network,
                               target_network=self.target_network,
                               optimizer=self.optimizer,
                               env_steps=self.env_steps, seed=self._seed)

  def epsilon(self):
    h = self.hparams
    return exploration.linear_epsilon(self.env_steps, h.initial_epsilon,
                                      h.final_epsilon, h.exploration_period)

  def _act_graph(self, observations, explore):
    scores = self.q_network(observations, training=False)
    self._seed.assign_add([0, 1])
    epsilon = tf.where(explore, self.epsilon(), 0.0)
    return exploration.epsilon_greedy(scores, epsilon, self._seed)

  def _train_graph(self, states, actions, rewards, next_states):
    q_t = self.target_network(next_states, training=False)
    discounts = tf.fill(tf.shape(rewards), self.hparams.discount)
    with tf.GradientTape() as tape:
      q_tm1 = self.q_network(states, training=True)
      loss = tf.reduce_mean(value_losses.q_learning(
          q_tm1, actions, rewards, discounts, q_t).loss)
    variables = self.q_network.trainable_variables
    self.optimizer.apply_gradients(
        zip(tape.gradient(loss, variables), variables))
    target_update.soft_update(self.target_network.trainable_variables,
                              variables, self.hparams.target_update_rate)
    return loss

  def act(self, observation, explore: bool = True) -> int:
    """Epsilon-greedy (or greedy) action for one observation."""
    obs = np.asarray(observation, np.float32)[None, :]
    return int(self._act_fn(obs, tf.constant(explore))[0])

  def observe(self, observation, action, reward, next_observation) -> float:
    """Stores a transition, counts the step, learns once; the loss or NaN.

    Raises:
      FloatingPointError: if the loss is NaN or infinite.
    """
    self.memory.add(np.asarray(observation, np.float32), action, reward,
                    np.asarray(next_observation, np.float32))
    self.env_steps.assign_add(1)
    if len(self.memory) < self.hparams.min_replay:
      return float('nan')
    loss = float(self._train_fn(*self.memory.sample(self.hparams.batch_size)))
    if not np.isfinite(loss):
      raise FloatingPointError(f'ToggleDQNAgent: loss became {loss}')
    return loss


def run_episode(env, agent: ToggleDQNAgent, learn: bool, seed=None,
                snare=None) -> Dict[str, np.ndarray]:
  """Plays one episode; rewards ``[T]`` and losses ``[T]`` (NaN: no step).

  Args:
    env: a KickSnareToggleEnv (or its Gymnasium wrapper).
    agent: the agent.
    learn: explore and learn (training) or act greedily (evaluation).
    seed: reset seed.
    snare: a starting snare pattern (8 values 0/1), else random.
  """
  options = {'snare': snare} if snare is not None else None
  obs, info = env.reset(seed=seed, options=options)
  rewards, losses = [], []
  start_reward = info['reward']
  done = False
  while not done:
    action = agent.act(obs, explore=learn)
    next_obs, reward, terminated, truncated, _ = env.step(action)
    losses.append(agent.observe(obs, action, reward, next_obs) if learn
                  else float('nan'))
    rewards.append(reward)
    obs, done = next_obs, terminated or truncated
  return {'rewards': np.array(rewards, np.float32),
          'losses': np.array(losses, np.float32),
          'start_reward': np.float32(start_reward),
          'final_snare': np.asarray(env.unwrapped.snare).copy()}
