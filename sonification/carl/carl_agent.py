"""CARL's learner: DDPG actor, critic and their targets in TF.

:class:`CarlAgent` owns the four networks and two Adam optimisers and does
``hparams.steps_per_call`` DDPG updates (SPEC: 1) per
:meth:`CarlAgent.train_step` (a ``tf.function`` with a fixed input
signature: traced once, never retraced). It does no file I/O
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
from sonification.carl import carl_pref
from sonification.carl import carl_rwsl

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
    self.actor_optimizer = tf.keras.optimizers.Adam(
        hp.actor_lr, global_clipnorm=hp.actor_clipnorm or None)
    self.critic_optimizer = tf.keras.optimizers.Adam(hp.critic_lr)
    # Optimiser slots made now, not inside the first traced call (which
    # would trace the train step twice).
    self.actor_optimizer.build(self.actor.trainable_variables)
    self.critic_optimizer.build(self.critic.trainable_variables)
    self.train_steps = 0
    self.skipped_steps = 0
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
    """``steps_per_call`` DDPG steps on one batch; returns the last losses
    and whether every step was applied."""
    ok = tf.constant(True)
    c_loss = a_loss = tf.constant(0.0)
    for _ in range(self.hparams.steps_per_call):
      c_loss, a_loss, step_ok = self._one_step(states, actions, rewards,
                                               next_states)
      ok = tf.logical_and(ok, step_ok)
    return c_loss, a_loss, ok

  def _one_step(self, states, actions, rewards, next_states):
    """One DDPG step; each update is applied only if its loss and every
    gradient are finite (checked BEFORE applying, issue 12 item 1: a huge
    reward used to turn all four networks into NaN)."""
    hp = self.hparams
    discount = tf.fill(tf.shape(rewards), tf.constant(hp.discount, tf.float32))
    next_q = ddpg.critic_value(self.target_critic, next_states,
                               self.target_actor(next_states))
    with tf.GradientTape() as tape:
      q = ddpg.critic_value(self.critic, states, actions)
      c_loss = tf.reduce_mean(
          ddpg.critic_loss(q, rewards, discount, next_q).loss)
    c_grads = tape.gradient(c_loss, self.critic.trainable_variables)
    c_ok = _all_finite([c_loss] + c_grads)
    tf.cond(c_ok, lambda: self._apply(self.critic_optimizer, c_grads,
                                      self.critic), lambda: tf.constant(False))
    with tf.GradientTape() as tape:
      q_mu = ddpg.critic_value(self.critic, states, self.actor(states))
      a_loss = tf.reduce_mean(ddpg.actor_loss(q_mu).loss)
    a_grads = tape.gradient(a_loss, self.actor.trainable_variables)
    a_ok = tf.logical_and(c_ok, _all_finite([a_loss] + a_grads))
    tf.cond(a_ok, lambda: self._apply(self.actor_optimizer, a_grads,
                                      self.actor), lambda: tf.constant(False))
    tf.cond(a_ok, self._soft_updates, lambda: tf.constant(False))
    return c_loss, a_loss, a_ok

  def _apply(self, optimizer, grads, model):
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return tf.constant(True)

  def _soft_updates(self):
    ddpg.soft_update(self.target_critic.variables, self.critic.variables,
                     self.hparams.tau)
    ddpg.soft_update(self.target_actor.variables, self.actor.variables,
                     self.hparams.tau)
    return tf.constant(True)

  def train_step(self, states: np.ndarray, actions: np.ndarray,
                 rewards: np.ndarray, next_states: np.ndarray
                 ) -> Dict[str, float]:
    """``steps_per_call`` times: a critic update, an actor update and the
    soft target updates.

    A step whose loss or gradients are not finite changes nothing (the
    critic's update is skipped, and with it the actor's and the targets'),
    and is counted in :attr:`skipped_steps`; so does a batch that is not
    finite (it never reaches TF).

    Args:
      states: ``[B, input_size]``; actions: ``[B, output_size]`` in [0, 1];
      rewards: ``[B]``; next_states: ``[B, input_size]``.

    Returns:
      {'critic_loss': float, 'actor_loss': float, 'skipped': 0 or 1}.
    """
    batch = [np.asarray(x, np.float32) for x in
             (states, actions, rewards, next_states)]
    if not all(np.isfinite(x).all() for x in batch):
      self.skipped_steps += 1
      return dict(critic_loss=float('nan'), actor_loss=float('nan'),
                  skipped=1)
    c_loss, a_loss, ok = self._train(*[tf.convert_to_tensor(x)
                                       for x in batch])
    c_loss, a_loss, ok = float(c_loss), float(a_loss), bool(ok)
    if not ok:
      self.skipped_steps += 1
      logging.warning('CARL: skipped a non-finite step (critic loss %s, '
                      'actor loss %s); %d skipped so far', c_loss, a_loss,
                      self.skipped_steps)
      return dict(critic_loss=c_loss, actor_loss=a_loss, skipped=1)
    self.train_steps += 1
    return dict(critic_loss=c_loss, actor_loss=a_loss, skipped=0)

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


def _all_finite(tensors) -> tf.Tensor:
  """True (a bool scalar) if every tensor is finite everywhere."""
  return tf.reduce_all([tf.reduce_all(tf.math.is_finite(t)) for t in tensors])


def make_agent(hparams: carl_hparams.CarlHParams,
               seed: Optional[int] = None):
  """The learner named by ``hparams.algo``, with TF seeded.

  Returns:
    a CarlAgent ('ddpg'), a carl_rwsl.RwslAgent ('rwsl') or a
    carl_pref.PrefAgent ('pref'), seeded with
    ``seed`` or hparams.seed.
  """
  tf.random.set_seed(hparams.seed if seed is None else seed)
  if hparams.algo == 'rwsl':
    return carl_rwsl.RwslAgent(hparams)
  if hparams.algo == 'pref':
    return carl_pref.PrefAgent(hparams)
  return CarlAgent(hparams)
