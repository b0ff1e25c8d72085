"""CARL's preference learner: the actor as the player's target (algo=pref).

The player likes a sound that is closer to what it wants, so the actor's
output mu(s) is treated as the player's hidden target at input s and fitted
by maximum likelihood of ALL judgements in the memory (Bradley-Terry /
logistic):

  P(like) = sigmoid(k * (d_ref - d_now)),  d_now = ||a - mu(s)||,
  d_ref = ||a_ref - mu(s)||  if the judgement has a reference sound a_ref
          (the previous judgement's, the input not moved since),
        = tau              otherwise (a learned "good enough" distance),

  L = mean_i softplus(-r_i * k * (d_ref_i - d_now_i))
      + prior * sum ||w - w_0||^2     (w_0: the initial weights)

with k = ``hparams.pref_sharpness`` and prior = ``hparams.pref_prior``
(r = +1 like, -1 dislike; |r| > 1 sharpens). Each reward then constrains
the whole mapping instead of pulling or pushing one output. The actor is
the SPEC MLP (``actor_hidden``) with its output layer's kernel scaled by
:data:`OUTPUT_INIT_SCALE`, so its first outputs are near 0.5 everywhere and
its map is smooth, and the prior toward them is meaningful.

:class:`PrefAgent` has the agent interface of
:class:`sonification.carl.carl_rwsl.RwslAgent`, except that ``train_step``
takes the whole memory with its references
(:meth:`sonification.carl.carl_memory.ReplayMemory.all_with_refs`) instead
of a batch with next states; each call runs ``hparams.steps_per_call`` Adam
steps. The lead's numpy/L-BFGS prototype of the idea (linear and quadratic
maps) reached mean distance ratios 0.2-0.5 on the musician player.
"""

from typing import Dict, List

import numpy as np
import tensorflow as tf

from rl_tuner.algorithms import ddpg
from sonification.carl import carl_hparams
from sonification.carl import carl_rwsl

OUTPUT_INIT_SCALE = 0.05  # output kernel x this: outputs start near 0.5.
TAU_INIT = 0.3  # the initial "good enough" distance (parameter units).
_EPS = 1e-8  # inside the square roots: finite gradients at distance 0.


def distance(a: tf.Tensor, b: tf.Tensor) -> tf.Tensor:
  """Euclidean distances ``[B]`` of rows ``[B, A]`` (smooth at 0)."""
  return tf.sqrt(tf.reduce_sum(tf.square(a - b), axis=-1) + _EPS)


def pref_loss(outputs: tf.Tensor, actions: tf.Tensor, rewards: tf.Tensor,
              ref_actions: tf.Tensor, has_ref: tf.Tensor, tau: tf.Tensor,
              sharpness: float) -> tf.Tensor:
  """Per-judgement negative log-likelihood ``[B]`` (module docstring).

  Args:
    outputs: the actor's outputs mu(s) ``[B, A]``; actions: the sounds
      judged ``[B, A]``; rewards: ``[B]`` (+ like, - dislike).
    ref_actions: ``[B, A]`` reference sounds; has_ref: ``[B]`` 1.0 where
      the reference counts, 0.0 where tau stands in.
    tau: the scalar "good enough" distance.
    sharpness: k.
  """
  d_now = distance(actions, outputs)
  d_ref = has_ref * distance(ref_actions, outputs) + (1.0 - has_ref) * tau
  return tf.nn.softplus(-rewards * sharpness * (d_ref - d_now))


class PrefAgent:
  """Preference-likelihood CARL learner (one actor, a threshold, Adam).

  Args:
    hparams: :class:`carl_hparams.CarlHParams` (actor_hidden, actor_lr,
      steps_per_call, pref_sharpness, pref_prior, seed are used).
  """

  def __init__(self, hparams: carl_hparams.CarlHParams):
    self.hparams = hparams
    self._seed_counter = hparams.seed * 7919
    self.actor = self._new_actor()
    self.tau = tf.Variable(TAU_INIT, dtype=tf.float32, name='tau')
    self._prior = [tf.Variable(w, trainable=False)
                   for w in self.actor.get_weights()]
    self._variables = self.actor.trainable_variables + [self.tau]
    self.optimizer = tf.keras.optimizers.Adam(hparams.actor_lr,
                                              clipnorm=1.0)
    self.optimizer.build(self._variables)
    self.train_steps = 0
    self.skipped_steps = 0
    s, a = hparams.input_size, hparams.output_size
    self._train = tf.function(self._train_steps, input_signature=[
        tf.TensorSpec([None, s], tf.float32),
        tf.TensorSpec([None, a], tf.float32),
        tf.TensorSpec([None], tf.float32),
        tf.TensorSpec([None, a], tf.float32),
        tf.TensorSpec([None], tf.float32),
    ])

  def _new_actor(self, name='actor'):
    hp = self.hparams
    self._seed_counter += 1
    actor = ddpg.build_actor(hp.input_size, hp.output_size, hp.actor_hidden,
                             seed=self._seed_counter, name=name)
    weights = actor.get_weights()
    weights[-2] = weights[-2] * OUTPUT_INIT_SCALE
    actor.set_weights(weights)
    return actor

  def _reset_prior(self) -> None:
    for p, w in zip(self._prior, self.actor.get_weights()):
      p.assign(w)

  def loss(self, states, actions, rewards, ref_actions, has_ref):
    """The mean loss of the module docstring, prior included (a scalar)."""
    nll = pref_loss(self.actor(states), actions, rewards, ref_actions,
                    has_ref, self.tau, self.hparams.pref_sharpness)
    prior = tf.add_n([tf.reduce_sum(tf.square(w - p))
                      for w, p in zip(self.actor.weights, self._prior)])
    return tf.reduce_mean(nll) + self.hparams.pref_prior * prior

  def _train_steps(self, states, actions, rewards, ref_actions, has_ref):
    return carl_rwsl.finite_steps(
        lambda: self.loss(states, actions, rewards, ref_actions, has_ref),
        self._variables, self.optimizer, self.hparams.steps_per_call)

  def train_step(self, states: np.ndarray, actions: np.ndarray,
                 rewards: np.ndarray, ref_actions: np.ndarray,
                 has_ref: np.ndarray) -> Dict[str, float]:
    """``steps_per_call`` Adam steps on every judgement given.

    Args:
      states: ``[N, input_size]``; actions: ``[N, output_size]`` the sounds
      judged; rewards: ``[N]``; ref_actions: ``[N, output_size]``; has_ref:
      ``[N]`` 1.0 / 0.0 (ReplayMemory.all_with_refs).

    Returns:
      {'actor_loss': float, 'critic_loss': 0.0, 'skipped': 0 or 1}; a
      non-finite batch or step changes nothing and counts as skipped.
    """
    return carl_rwsl.checked_train(
        self, (states, actions, rewards, ref_actions, has_ref))

  def actor_weights(self) -> List[np.ndarray]:
    """Copies of the actor's weights ``[W0, b0, ...]`` for NumpyActor."""
    return self.actor.get_weights()

  def randomise_actor(self) -> None:
    """New small-output random actor weights; the prior moves to them."""
    ddpg.reinitialise(self.actor, self._new_actor('fresh_actor'))
    self.tau.assign(TAU_INIT)
    self._reset_prior()

  def randomise_critic(self) -> None:
    """pref has no critic: nothing to do."""

  def get_networks(self) -> Dict[str, List[np.ndarray]]:
    """{'actor': weights, 'tau': [the threshold as a 0-d array]}."""
    return {'actor': self.actor.get_weights(),
            'tau': [np.array(self.tau.numpy())]}

  def set_networks(self, networks: Dict[str, List[np.ndarray]]) -> None:
    """Restores the actor (and tau if saved); the prior moves to them.

    Raises:
      ValueError: if 'actor' is missing or its shapes differ.
    """
    self.actor.set_weights(carl_rwsl.checked_actor_weights(self.actor,
                                                           networks))
    if 'tau' in networks:
      self.tau.assign(float(np.asarray(networks['tau'][0])))
    self._reset_prior()
