"""CARL's learner: DDPG actor, critic and their targets in TF.

:class:`CarlAgent` owns the four networks and two Adam optimisers and does
one DDPG update per :meth:`CarlAgent.train_step` (a ``tf.function`` with a
fixed input signature: traced once, never retraced). It does no file I/O
and touches no clock: :class:`sonification.carl.carl_session.CarlSession` runs it
in a worker thread and copies the actor's weights into the TF-free
:class:`sonification.carl.carl_policy.NumpyActor` that the clock thread uses.
"""

import logging
from typing import Dict, List, Optional

import numpy as np
import tensorflow as tf

from rl_tuner.algorithms import ddpg
from sonification.carl import carl_hparams

NETWORKS = ('actor', 'critic', 'target_actor', 'target_critic')


class CarlAgent:
  """DDPG for CARL (MEMLNaut; ../shared/SPEC.md §3).

  Args:
    hparams: :class:`carl_hparams.CarlHParams`.
  """

  def __init__(self, hparams: carl_hparams.CarlHParams):
    self.hparams = hparams
    logging.info('CarlAgent %s', hparams)
    self._seed_counter = hparams.seed * 7919
    hp = hparams
    self.actor = self._new_actor()
    self.critic = self._new_critic()
    self.target_actor = self._new_actor('target_actor')
    self.target_critic = self._new_critic('target_critic')
    self.target_actor.set_weights(self.actor.get_weights())
    self.target_critic.set_weights(self.critic.get_weights())
    self.actor_optimizer = tf.keras.optimizers.Adam(hp.actor_lr)
    self.critic_optimizer = tf.keras.optimizers.Adam(hp.critic_lr)
    # Optimiser slots made now, not inside the first traced call (which
    # would trace the train step twice).
    self.actor_optimizer.build(self.actor.trainable_variables)
    self.critic_optimizer.build(self.critic.trainable_variables)
    self.train_steps = 0
    s, a = hp.input_size, hp.output_size
    self._train = tf.function(self._train_step, input_signature=[
        tf.TensorSpec([None, s], tf.float32),
        tf.TensorSpec([None, a], tf.float32),
        tf.TensorSpec([None], tf.float32),
        tf.TensorSpec([None, s], tf.float32),
    ])

  def _next_seed(self) -> int:
    self._seed_counter += 1
    return self._seed_counter

  def _new_actor(self, name='actor'):
    hp = self.hparams
    return ddpg.build_actor(hp.input_size, hp.output_size, hp.actor_hidden,
                            seed=self._next_seed(), name=name)

  def _new_critic(self, name='critic'):
    hp = self.hparams
    return ddpg.build_critic(hp.input_size, hp.output_size, hp.critic_hidden,
                             seed=self._next_seed(), name=name)

  def _train_step(self, states, actions, rewards, next_states):
    hp = self.hparams
    discount = tf.fill(tf.shape(rewards), tf.constant(hp.discount, tf.float32))
    next_q = ddpg.critic_value(self.target_critic, next_states,
                               self.target_actor(next_states))
    with tf.GradientTape() as tape:
      q = ddpg.critic_value(self.critic, states, actions)
      c_loss = tf.reduce_mean(
          ddpg.critic_loss(q, rewards, discount, next_q).loss)
    grads = tape.gradient(c_loss, self.critic.trainable_variables)
    self.critic_optimizer.apply_gradients(
        zip(grads, self.critic.trainable_variables))
    with tf.GradientTape() as tape:
      q_mu = ddpg.critic_value(self.critic, states, self.actor(states))
      a_loss = tf.reduce_mean(ddpg.actor_loss(q_mu).loss)
    grads = tape.gradient(a_loss, self.actor.trainable_variables)
    self.actor_optimizer.apply_gradients(
        zip(grads, self.actor.trainable_variables))
    ddpg.soft_update(self.target_critic.variables, self.critic.variables,
                     hp.tau)
    ddpg.soft_update(self.target_actor.variables, self.actor.variables, hp.tau)
    return c_loss, a_loss

  def train_step(self, states: np.ndarray, actions: np.ndarray,
                 rewards: np.ndarray, next_states: np.ndarray
                 ) -> Dict[str, float]:
    """One critic update, one actor update and the soft target updates.

    Args:
      states: ``[B, input_size]``; actions: ``[B, output_size]`` in [0, 1];
      rewards: ``[B]``; next_states: ``[B, input_size]``.

    Returns:
      {'critic_loss': float, 'actor_loss': float}.

    Raises:
      FloatingPointError: if a loss is NaN or infinite.
    """
    c_loss, a_loss = self._train(
        tf.convert_to_tensor(states, tf.float32),
        tf.convert_to_tensor(actions, tf.float32),
        tf.convert_to_tensor(rewards, tf.float32),
        tf.convert_to_tensor(next_states, tf.float32))
    c_loss, a_loss = float(c_loss), float(a_loss)
    if not (np.isfinite(c_loss) and np.isfinite(a_loss)):
      raise FloatingPointError(f'CARL loss is not finite: critic {c_loss}, '
                               f'actor {a_loss} at step {self.train_steps}')
    self.train_steps += 1
    return dict(critic_loss=c_loss, actor_loss=a_loss)

  @property
  def trace_count(self) -> int:
    """How many times the train step was traced (1 after the first call)."""
    return self._train.experimental_get_tracing_count()

  def actor_weights(self) -> List[np.ndarray]:
    """Copies of the actor's weights ``[W0, b0, ...]`` for NumpyActor."""
    return self.actor.get_weights()

  def randomise_actor(self) -> None:
    """New random actor weights (its target too); variables kept."""
    ddpg.reinitialise(self.actor, self._new_actor('fresh_actor'))
    self.target_actor.set_weights(self.actor.get_weights())

  def randomise_critic(self) -> None:
    """New random critic weights (its target too); variables kept."""
    ddpg.reinitialise(self.critic, self._new_critic('fresh_critic'))
    self.target_critic.set_weights(self.critic.get_weights())

  def get_networks(self) -> Dict[str, List[np.ndarray]]:
    """Weights of all four networks by name (see NETWORKS)."""
    return {name: getattr(self, name).get_weights() for name in NETWORKS}

  def set_networks(self, networks: Dict[str, List[np.ndarray]]) -> None:
    """Restores all four networks.

    Raises:
      ValueError: if a network is missing or its shapes differ.
    """
    for name in NETWORKS:
      if name not in networks:
        raise ValueError(f'CARL state lacks network {name!r}')
      model = getattr(self, name)
      shapes = [w.shape for w in model.get_weights()]
      if [np.shape(w) for w in networks[name]] != shapes:
        raise ValueError(f'CARL network {name!r}: saved shapes '
                         f'{[np.shape(w) for w in networks[name]]} differ '
                         f'from {shapes}')
      model.set_weights(networks[name])


def make_agent(hparams: carl_hparams.CarlHParams,
               seed: Optional[int] = None) -> CarlAgent:
  """A CarlAgent with TF seeded (``seed`` or hparams.seed)."""
  tf.random.set_seed(hparams.seed if seed is None else seed)
  return CarlAgent(hparams)
