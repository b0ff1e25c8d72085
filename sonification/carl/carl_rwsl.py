"""CARL's alternative learner: reward-weighted supervised learning (RWSL).

NISPS (MEMLNaut's successor, ../shared/SPEC.md section 3): a like pulls the
actor's output for that input toward the liked sound; a dislike pushes it
away. :class:`RwslAgent` has the agent interface of
:class:`sonification.carl.carl_agent.CarlAgent` (``train_step``,
``actor_weights``, ``randomise_actor``, ``randomise_critic``,
``get_networks``, ``set_networks``), so :class:`CarlSession` and the child
process of :mod:`sonification.carl.carl_remote` run it unchanged
(``CarlHParams.algo='rwsl'``).

Loss of a batch (s_i, a_i, r_i), mu = the actor, d_i = ||mu(s_i) - a_i||^2:

  L = mean_i( r_i * d_i            if r_i > 0   (pull toward a liked sound)
              |r_i| * relu(m^2 - d_i)  if r_i < 0  (push away, up to m) )

with m = ``hparams.dislike_margin`` (a dislike stops pushing once the output
is m away from the disliked sound, so it cannot drive outputs to 0 or 1).
Each ``train_step`` runs ``hparams.steps_per_call`` Adam steps (the learner
is idle between rewards; a call per tick at 50 Hz then gives hundreds of
minibatch steps a second on the tiny MLP). There is no critic.
"""

from typing import Dict, List

import numpy as np
import tensorflow as tf

from rl_tuner.algorithms import ddpg
from sonification.carl import carl_hparams

NETWORKS = ('actor',)


def rwsl_loss(outputs: tf.Tensor, actions: tf.Tensor, rewards: tf.Tensor,
              margin: float) -> tf.Tensor:
  """Per-transition RWSL loss ``[B]`` (see the module docstring).

  Args:
    outputs: the actor's outputs ``[B, A]``; actions: the sounds judged
      ``[B, A]``; rewards: ``[B]`` (+ like, - dislike, 0 ignored).
    margin: the distance at which a dislike stops pushing.
  """
  d = tf.reduce_sum(tf.square(outputs - actions), axis=-1)
  pull = tf.nn.relu(rewards) * d
  push = tf.nn.relu(-rewards) * tf.nn.relu(margin ** 2 - d)
  return pull + push


class RwslAgent:
  """Reward-weighted supervised CARL learner (one actor, Adam).

  Args:
    hparams: :class:`carl_hparams.CarlHParams` (actor_hidden, actor_lr,
      steps_per_call, dislike_margin, seed are used).
  """

  def __init__(self, hparams: carl_hparams.CarlHParams):
    self.hparams = hparams
    self._seed_counter = hparams.seed * 7919
    self.actor = self._new_actor()
    self.optimizer = tf.keras.optimizers.Adam(hparams.actor_lr,
                                              clipnorm=1.0)
    self.optimizer.build(self.actor.trainable_variables)
    self.train_steps = 0
    self.skipped_steps = 0
    s, a = hparams.input_size, hparams.output_size
    self._train = tf.function(self._train_steps, input_signature=[
        tf.TensorSpec([None, s], tf.float32),
        tf.TensorSpec([None, a], tf.float32),
        tf.TensorSpec([None], tf.float32),
    ])

  def _new_actor(self, name='actor'):
    hp = self.hparams
    self._seed_counter += 1
    return ddpg.build_actor(hp.input_size, hp.output_size, hp.actor_hidden,
                            seed=self._seed_counter, name=name)

  def _train_steps(self, states, actions, rewards):
    margin = self.hparams.dislike_margin
    return finite_steps(
        lambda: tf.reduce_mean(rwsl_loss(self.actor(states), actions,
                                         rewards, margin)),
        self.actor.trainable_variables, self.optimizer,
        self.hparams.steps_per_call)

  def train_step(self, states: np.ndarray, actions: np.ndarray,
                 rewards: np.ndarray, next_states: np.ndarray
                 ) -> Dict[str, float]:
    """``steps_per_call`` RWSL steps on one batch (next_states unused).

    Args:
      states: ``[B, input_size]``; actions: ``[B, output_size]`` in [0, 1];
      rewards: ``[B]``; next_states: ``[B, input_size]`` (ignored: the
        feedback is immediate).

    Returns:
      {'actor_loss': float, 'critic_loss': 0.0, 'skipped': 0 or 1}; a
      non-finite batch or step changes nothing and counts as skipped.
    """
    del next_states
    return checked_train(self, (states, actions, rewards))

  def actor_weights(self) -> List[np.ndarray]:
    """Copies of the actor's weights ``[W0, b0, ...]`` for NumpyActor."""
    return self.actor.get_weights()

  def randomise_actor(self) -> None:
    """New random actor weights."""
    ddpg.reinitialise(self.actor, self._new_actor('fresh_actor'))

  def randomise_critic(self) -> None:
    """RWSL has no critic: nothing to do."""

  def get_networks(self) -> Dict[str, List[np.ndarray]]:
    """{'actor': weights}."""
    return {'actor': self.actor.get_weights()}

  def set_networks(self, networks: Dict[str, List[np.ndarray]]) -> None:
    """Restores the actor (a DDPG save's other networks are ignored).

    Raises:
      ValueError: if 'actor' is missing or its shapes differ.
    """
    self.actor.set_weights(checked_actor_weights(self.actor, networks))


def finite_steps(loss_fn, variables, optimizer, steps: int):
  """``steps`` optimiser steps on ``loss_fn()``, each applied only if finite.

  Shared by the actor-only learners (inside their tf.function).

  Args:
    loss_fn: () -> scalar loss tensor of ``variables``.
    variables: the trainable variables.
    optimizer: a built Keras optimizer for them.
    steps: how many steps (a Python int: unrolled when traced).

  Returns:
    (the last step's loss, whether every step was finite and applied).
  """
  loss = tf.constant(0.0)
  ok = tf.constant(True)
  for _ in range(steps):
    with tf.GradientTape() as tape:
      loss = loss_fn()
    grads = tape.gradient(loss, variables)
    step_ok = tf.reduce_all([tf.reduce_all(tf.math.is_finite(t))
                             for t in [loss] + grads])
    ok = tf.logical_and(ok, step_ok)

    def apply(g=grads):
      optimizer.apply_gradients(zip(g, variables))
      return tf.constant(True)

    tf.cond(step_ok, apply, lambda: tf.constant(False))
  return loss, ok


def checked_train(agent, arrays) -> Dict[str, float]:
  """Runs ``agent._train`` on ``arrays`` unless a value is non-finite.

  Shared by the actor-only learners (RwslAgent, carl_pref.PrefAgent): a
  non-finite input or step changes nothing and counts in
  ``agent.skipped_steps``; a good step counts in ``agent.train_steps``.

  Args:
    agent: has ``_train(*tensors) -> (loss, ok)``, ``train_steps`` and
      ``skipped_steps``.
    arrays: the batch, each array float32-convertible (shapes as the
      agent's ``_train`` signature).

  Returns:
    {'actor_loss': float, 'critic_loss': 0.0, 'skipped': 0 or 1}.
  """
  batch = [np.asarray(x, np.float32) for x in arrays]
  if not all(np.isfinite(x).all() for x in batch):
    agent.skipped_steps += 1
    return dict(critic_loss=0.0, actor_loss=float('nan'), skipped=1)
  loss, ok = agent._train(*[tf.convert_to_tensor(x) for x in batch])  # pylint: disable=protected-access
  if not bool(ok):
    agent.skipped_steps += 1
    return dict(critic_loss=0.0, actor_loss=float(loss), skipped=1)
  agent.train_steps += 1
  return dict(critic_loss=0.0, actor_loss=float(loss), skipped=0)


def checked_actor_weights(actor: tf.keras.Model,
                          networks: Dict[str, List[np.ndarray]]
                          ) -> List[np.ndarray]:
  """The saved actor weights of ``networks``, checked against ``actor``.

  Raises:
    ValueError: if 'actor' is missing or its shapes differ from actor's.
  """
  if 'actor' not in networks:
    raise ValueError("CARL state lacks network 'actor'")
  shapes = [w.shape for w in actor.get_weights()]
  if [np.shape(w) for w in networks['actor']] != shapes:
    raise ValueError(f"CARL network 'actor': saved shapes "
                     f"{[np.shape(w) for w in networks['actor']]} differ "
                     f'from {shapes}')
  return networks['actor']
