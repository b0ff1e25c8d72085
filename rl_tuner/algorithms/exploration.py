"""Exploration for value-based agents: epsilon schedule and action selection.

Pure TF functions over a batch of action scores ``[B, A]`` (Q values, or for G
learning G(s, .) + log p(.|s)). Randomness comes from an explicit stateless
seed (int ``[2]``), so a caller with a ``tf.random.Generator`` stays
reproducible and the functions stay pure.

Boltzmann exploration returns the action it actually *sampled*; the public
RL Tuner code stored the argmax instead, beside the sampled note's reward.
"""

from typing import Callable, Dict

import tensorflow as tf


def linear_epsilon(step, initial_epsilon: float, final_epsilon: float,
                   exploration_period: int):
  """Epsilon annealed linearly from ``initial`` to ``final`` over the period.

  ``eps = initial - (initial - final) * min(step / period, 1)``.

  Args:
    step: environment steps taken so far (int or scalar tensor).
    initial_epsilon: epsilon at step 0 (paper: 1.0).
    final_epsilon: epsilon from ``exploration_period`` on (paper: 0.1).
    exploration_period: steps of annealing (paper: 500,000), > 0.

  Returns:
    float32 scalar tensor.
  """
  frac = tf.minimum(tf.cast(step, tf.float32) / float(exploration_period), 1.0)
  return initial_epsilon - (initial_epsilon - final_epsilon) * frac


def greedy(scores):
  """Argmax actions, int32 ``[B]`` from scores ``[B, A]``."""
  return tf.argmax(scores, axis=-1, output_type=tf.int32)


def epsilon_greedy(scores, epsilon, seed, temperature: float = 1.0,
                   min_p: float = 0.0):
  """With probability epsilon a uniform random action, else the argmax.

  Args:
    scores: float ``[B, A]``.
    epsilon: scalar in [0, 1].
    seed: int32/int64 ``[2]`` stateless seed.
    temperature, min_p: unused (one signature for every mode).

  Returns:
    int32 ``[B]`` actions.
  """
  del temperature, min_p
  scores = tf.convert_to_tensor(scores)
  scores.shape.assert_has_rank(2)
  batch, num_actions = tf.shape(scores)[0], tf.shape(scores)[1]
  seeds = tf.random.experimental.stateless_split(seed, 2)
  explore = tf.random.stateless_uniform([batch], seeds[0]) < epsilon
  random_actions = tf.random.stateless_uniform(
      [batch], seeds[1], minval=0, maxval=num_actions, dtype=tf.int32)
  return tf.where(explore, random_actions, greedy(scores))


def sample_softmax(scores, seed, temperature: float = 1.0):
  """Actions sampled from softmax(scores / temperature), int32 ``[B]``."""
  scores = tf.convert_to_tensor(scores)
  scores.shape.assert_has_rank(2)
  return tf.cast(tf.random.stateless_categorical(
      scores / temperature, 1, seed)[:, 0], tf.int32)


def nucleus_logits(logits, top_p):
  """Logits with the actions outside the top-p nucleus set to -inf.

  Nucleus (top-p) sampling (Holtzman et al. 2020, "The Curious Case of
  Neural Text Degeneration"): keep the most probable actions whose
  probabilities, in descending order, first sum to at least ``top_p``; the
  rest can never be drawn. ``top_p`` 1 keeps every action. E.g.
  probabilities [0.5, 0.3, 0.2] and top_p 0.7 keep the first two (0.5 < 0.7,
  0.5 + 0.3 >= 0.7).

  Args:
    logits: float ``[B, A]``.
    top_p: a scalar in (0, 1].

  Returns:
    float ``[B, A]``.
  """
  logits = tf.convert_to_tensor(logits)
  probs = tf.nn.softmax(logits)
  order = tf.argsort(logits, axis=1, direction='DESCENDING', stable=True)
  sorted_probs = tf.gather(probs, order, batch_dims=1)
  mass_before = tf.cumsum(sorted_probs, axis=1, exclusive=True)
  # top_p >= 1 keeps every action exactly (a rounded cumulative sum could
  # otherwise reach 1 before the last, least probable ones).
  keep_sorted = ((mass_before < tf.cast(top_p, probs.dtype)) |
                 (tf.cast(top_p, probs.dtype) >= 1))
  # Scatter the sorted mask back to action order.
  keep = tf.gather(keep_sorted, tf.argsort(order, axis=1, stable=True),
                   batch_dims=1)
  return tf.where(keep, logits, tf.cast(-float('inf'), logits.dtype))


def min_p_logits(scores, logits, min_p):
  """``logits`` with the actions far below the best score set to -inf.

  Min-p truncation (Nguyen et al. 2024, "Turning Up the Heat: Min-p Sampling
  for Creative and Coherent LLM Outputs"), measured on the untempered
  softmax of ``scores``: an action is kept if its probability there is at
  least ``min_p`` times the most probable one's, i.e. if its score is within
  ln(1 / min_p) of the best (for Q values: within that many reward units).
  The best action is always kept; ``min_p`` 0 keeps every action. E.g.
  scores [5, 3, 0] with min_p 0.1 (ln 10 = 2.30) keep the first two.

  Args:
    scores: float ``[B, A]`` (Q/Psi values, G + log p, logits).
    logits: float ``[B, A]`` to truncate (e.g. scores / temperature).
    min_p: a scalar in [0, 1).

  Returns:
    float ``[B, A]``.
  """
  scores = tf.convert_to_tensor(scores)
  min_p = tf.cast(min_p, scores.dtype)
  best = tf.reduce_max(scores, axis=1, keepdims=True)
  keep = (min_p <= 0) | (scores - best >= tf.math.log(min_p))
  return tf.where(keep, logits, tf.cast(-float('inf'), logits.dtype))


def truncated_logits(scores, temperature=1.0, top_p=1.0, min_p=0.0):
  """``scores / T`` outside the min-p set and the top-p nucleus -> -inf."""
  logits = min_p_logits(scores, tf.convert_to_tensor(scores) / temperature,
                        min_p)
  return nucleus_logits(logits, top_p)


def sample_nucleus(scores, seed, temperature=1.0, top_p=1.0, min_p=0.0):
  """Actions sampled from softmax(scores / T) truncated to the min-p set
  (:func:`min_p_logits`) and its top-p nucleus (:func:`nucleus_logits`):
  int32 ``[B]``."""
  return sample_softmax(truncated_logits(scores, temperature, top_p, min_p),
                        seed)


def boltzmann(scores, epsilon, seed, temperature: float = 1.0,
              min_p: float = 0.0):
  """Boltzmann exploration: the action sampled from softmax(scores / T).

  Epsilon is unused: the softmax itself explores. The returned action is the
  one sampled (the caller must store it, not the argmax).

  Args:
    scores: float ``[B, A]``.
    epsilon: unused (one signature for every mode).
    seed: int ``[2]`` stateless seed.
    temperature: softmax temperature T > 0.
    min_p: drawn only from the min-p set (:func:`min_p_logits`; 0: every
      action).

  Returns:
    int32 ``[B]`` sampled actions.
  """
  del epsilon
  return sample_nucleus(scores, seed, temperature, 1.0, min_p)


EXPLORATION: Dict[str, Callable[..., tf.Tensor]] = {
    'egreedy': epsilon_greedy,
    'boltzmann': boltzmann,
}


def get_exploration(mode: str) -> Callable[..., tf.Tensor]:
  """Looks up an action-selection function by name.

  Raises:
    ValueError: naming the unknown mode and the known ones.
  """
  try:
    return EXPLORATION[mode]
  except KeyError:
    raise ValueError(f'Unknown exploration {mode!r}; expected one of '
                     f'{sorted(EXPLORATION)}') from None
