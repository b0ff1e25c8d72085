"""DDPG pieces (Lillicrap et al. 2016) in TF: networks, losses, soft updates.

Used by CARL (continuous active reinforcement learning, MEMLNaut;
../shared/SPEC.md §3): a deterministic actor maps an input vector to
synthesis parameters in [0, 1]; a critic estimates Q(s, a).

  * actor  [in, 10, 12, out]: ReLU, ReLU, sigmoid (outputs in [0, 1]).
  * critic [in + out, 10, 10, 1]: ReLU, ReLU, linear; its input is the
    concatenation [state, action].
  * soft target updates with tau = 0.005; discount 0.95.

The losses are pure functions in the style of deepmind/trfl, named by time
step, returning ``(loss [B], extra)``; the caller takes the mean:

  * critic: y = r_t + discount_t * Q_T(s_t, mu_T(s_t)) (under stop_gradient),
    loss = (y - Q(s_tm1, a_tm1))^2.
  * actor: loss = -Q(s_tm1, mu(s_tm1)) (the deterministic policy gradient
    flows through the critic into the actor).
"""

import collections
from typing import Optional, Sequence

import tensorflow as tf

from rl_tuner.algorithms import target_update

keras = tf.keras

TAU = 0.005  # MEMLNaut CARL soft target update rate.
ACTOR_HIDDEN = (10, 12)  # MEMLNaut CARL actor [in, 10, 12, out].
CRITIC_HIDDEN = (10, 10)  # MEMLNaut CARL critic [in + out, 10, 10, 1].

LossOutput = collections.namedtuple('LossOutput', ['loss', 'extra'])
CriticExtra = collections.namedtuple('CriticExtra', ['target', 'td_error'])


def _mlp(input_size: int, hidden: Sequence[int], output_size: int,
         output_activation: Optional[str], seed: Optional[int],
         name: str) -> keras.Sequential:
  if input_size <= 0 or output_size <= 0 or any(h <= 0 for h in hidden):
    raise ValueError(f'{name}: sizes must be positive, got input '
                     f'{input_size}, hidden {tuple(hidden)}, output '
                     f'{output_size}')
  base = 0 if seed is None else int(seed)

  def init(i):
    return keras.initializers.GlorotUniform(
        seed=None if seed is None else base * 1000 + i)

  layers = [keras.Input(shape=(input_size,))]
  for i, units in enumerate(hidden):
    layers.append(keras.layers.Dense(units, activation='relu',
                                     kernel_initializer=init(i)))
  layers.append(keras.layers.Dense(output_size, activation=output_activation,
                                   kernel_initializer=init(len(hidden))))
  return keras.Sequential(layers, name=name)


def build_actor(input_size: int, output_size: int,
                hidden: Sequence[int] = ACTOR_HIDDEN,
                seed: Optional[int] = None,
                name: str = 'actor') -> keras.Sequential:
  """The deterministic policy mu: ``[B, input_size] -> [B, output_size]``.

  Hidden layers ReLU, output sigmoid (parameters in [0, 1]).

  Raises:
    ValueError: if a size is not positive.
  """
  return _mlp(input_size, hidden, output_size, 'sigmoid', seed, name)


def build_critic(input_size: int, action_size: int,
                 hidden: Sequence[int] = CRITIC_HIDDEN,
                 seed: Optional[int] = None,
                 name: str = 'critic') -> keras.Sequential:
  """Q(s, a): ``[B, input_size + action_size]`` (concat [s, a]) -> ``[B, 1]``.

  Raises:
    ValueError: if a size is not positive.
  """
  return _mlp(input_size + action_size, hidden, 1, None, seed, name)


def critic_value(critic: keras.Model, state: tf.Tensor,
                 action: tf.Tensor) -> tf.Tensor:
  """Q(s, a) as ``[B]`` from state ``[B, S]`` and action ``[B, A]``."""
  return tf.squeeze(critic(tf.concat([state, action], axis=1)), axis=1)


def critic_loss(q_tm1: tf.Tensor, r_t: tf.Tensor, discount_t: tf.Tensor,
                q_t: tf.Tensor) -> LossOutput:
  """Critic TD loss: squared error to ``r_t + discount_t * q_t``.

  Args:
    q_tm1: Q(s_tm1, a_tm1) of the online critic, ``[B]``.
    r_t: rewards ``[B]``.
    discount_t: discounts ``[B]`` (0.95, or 0 at a terminal state).
    q_t: Q_T(s_t, mu_T(s_t)) of the target networks, ``[B]``.

  Returns:
    LossOutput(loss ``[B]``, CriticExtra(target ``[B]``, td_error ``[B]``)).

  Raises:
    ValueError: if a tensor is not of rank 1.
  """
  for name, t in (('q_tm1', q_tm1), ('r_t', r_t), ('discount_t', discount_t),
                  ('q_t', q_t)):
    if t.shape.rank != 1:
      raise ValueError(f'critic_loss: {name} must have rank 1 [B], got shape '
                       f'{t.shape}')
  target = tf.stop_gradient(r_t + discount_t * q_t)
  td_error = target - q_tm1
  return LossOutput(tf.square(td_error), CriticExtra(target, td_error))


def actor_loss(q_mu: tf.Tensor) -> LossOutput:
  """Deterministic policy gradient loss ``-Q(s, mu(s))``.

  Args:
    q_mu: Q(s, mu(s)) ``[B]``, computed with the actor's action (gradients
      flow through the critic into the actor; only the actor's variables
      are updated with this loss).

  Returns:
    LossOutput(loss ``[B]``, None).

  Raises:
    ValueError: if q_mu is not of rank 1.
  """
  if q_mu.shape.rank != 1:
    raise ValueError(f'actor_loss: q_mu must have rank 1 [B], got shape '
                     f'{q_mu.shape}')
  return LossOutput(-q_mu, None)


def soft_update(target_variables: Sequence[tf.Variable],
                online_variables: Sequence[tf.Variable],
                tau: float = TAU):
  """target <- (1 - tau) * target + tau * online (tau 0.005 for CARL).

  Delegates to :func:`rl_tuner.algorithms.target_update.soft_update`.

  Raises:
    ValueError: if the lists differ in length or a pair in shape.
  """
  return target_update.soft_update(target_variables, online_variables, tau)


def reinitialise(model: keras.Model, fresh: keras.Model) -> None:
  """Copies the weights of a freshly built twin into ``model`` in place.

  The variables keep their identity, so tf.functions that captured them
  stay valid (no retracing).

  Raises:
    ValueError: if the two models' weight shapes differ.
  """
  old, new = model.get_weights(), fresh.get_weights()
  if [w.shape for w in old] != [w.shape for w in new]:
    raise ValueError('reinitialise: the fresh model has different shapes')
  model.set_weights(new)
