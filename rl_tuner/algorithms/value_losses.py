"""Value-learning losses of the RL Tuner: Q, Psi and G learning.

Each loss is a pure function over tensors named by time step, in the style of
deepmind/trfl: ``q_tm1`` are the online network's values at the state where
action ``a_tm1`` was taken, ``r_t`` the reward it got, ``discount_t`` the
discount (0 at the end of a composition) and ``q_t`` the *target* network's
values at the next state. Targets are wrapped in ``tf.stop_gradient``.

Targets (Jaques et al., "Sequence Tutor", ICML 2017, eqs. 3-8; ../shared/SPEC.md):

  * Q:   y = r + gamma * max_a' Q_T(s', a')
  * Psi: y = r + gamma * logsumexp_a' Psi_T(s', a')
  * G:   y = r + gamma * logsumexp_a' [G_T(s', a') + log p(a'|s')], where the
    reward r carries only the music-theory term (the prior enters the target).
  * pure_rl: the Q target with a music-theory-only reward.

The loss is the squared TD error per transition (the caller takes the mean).

Entropy bonus (an option the paper lacks; ``get_loss(algorithm,
entropy_bonus)``, RLTunerHParams.entropy_bonus, default 0 = the paper):
adding beta * H(pi) to the return makes the backup a soft maximum at
temperature tau, ``tau * logsumexp(q / tau)``, and the optimal policy
softmax(q / tau) (soft Q-learning: Haarnoja et al. 2017, "Reinforcement
Learning with Deep Energy-Based Policies"). Q: tau = beta (beta = 0 is the
max). Psi already maximises r_MT - KL(pi || p) with tau = 1 (log p is in its
reward); a bonus beta makes tau = 1 + beta, i.e. r_MT - KL(pi || p) +
beta * H(pi). Sampling such a model at temperature tau
(RLTunerHParams.sampling_temperature) is the policy it was trained for.
"""

import collections
import functools
from typing import Callable, Dict, Optional

import tensorflow as tf

LossOutput = collections.namedtuple('LossOutput', ['loss', 'extra'])
LossExtra = collections.namedtuple('LossExtra', ['target', 'td_error'])


def _check(q_tm1, a_tm1, r_t, discount_t, q_t):
  q_tm1.shape.assert_has_rank(2)
  q_t.shape.assert_has_rank(2)
  a_tm1.shape.assert_has_rank(1)
  r_t.shape.assert_has_rank(1)
  discount_t.shape.assert_has_rank(1)


def _td_loss(q_tm1, a_tm1, target):
  qa_tm1 = tf.gather(q_tm1, tf.cast(a_tm1, tf.int32), axis=1, batch_dims=1)
  target = tf.stop_gradient(target)
  td_error = target - qa_tm1
  return LossOutput(tf.square(td_error), LossExtra(target, td_error))


def q_learning(q_tm1, a_tm1, r_t, discount_t, q_t, log_prior_t=None):
  """Q-learning: squared error to ``r + discount * max_a' q_t``.

  Args:
    q_tm1: online values ``[B, A]`` at the state of ``a_tm1``.
    a_tm1: actions taken, int ``[B]``.
    r_t: rewards ``[B]``.
    discount_t: discounts ``[B]`` (gamma, or 0 at the end of an episode).
    q_t: target-network values ``[B, A]`` at the next state.
    log_prior_t: ignored (the same signature for every loss).

  Returns:
    LossOutput(loss ``[B]``, LossExtra(target ``[B]``, td_error ``[B]``)).

  Raises:
    ValueError: if a tensor has the wrong rank.
  """
  del log_prior_t
  _check(q_tm1, a_tm1, r_t, discount_t, q_t)
  return _td_loss(q_tm1, a_tm1, r_t + discount_t * tf.reduce_max(q_t, axis=1))


def soft_maximum(q_t, temperature: float):
  """``temperature * logsumexp(q_t / temperature)`` over actions: ``[B]``.

  ``temperature`` 0 is the hard maximum. E.g. q = [0, ln 3] at temperature
  1: ln(1 + 3) = ln 4.
  """
  if temperature == 0:
    return tf.reduce_max(q_t, axis=1)
  return temperature * tf.reduce_logsumexp(q_t / temperature, axis=1)


def soft_q_learning(q_tm1, a_tm1, r_t, discount_t, q_t, log_prior_t=None,
                    temperature: float = 1.0):
  """Soft Q-learning: squared error to ``r + discount * soft_maximum(q_t)``.

  Same arguments and return value as :func:`q_learning`, plus the soft
  maximum's ``temperature`` (0: Q-learning; 1: Psi-learning).
  """
  del log_prior_t
  _check(q_tm1, a_tm1, r_t, discount_t, q_t)
  return _td_loss(q_tm1, a_tm1,
                  r_t + discount_t * soft_maximum(q_t, temperature))


def psi_learning(q_tm1, a_tm1, r_t, discount_t, q_t, log_prior_t=None):
  """Psi-learning: squared error to ``r + discount * logsumexp_a' q_t``.

  Same arguments and return value as :func:`q_learning`; the soft maximum
  (logsumexp) replaces the max (Sequence Tutor, eq. 6).
  """
  del log_prior_t
  _check(q_tm1, a_tm1, r_t, discount_t, q_t)
  return _td_loss(q_tm1, a_tm1,
                  r_t + discount_t * tf.reduce_logsumexp(q_t, axis=1))


def g_learning(q_tm1, a_tm1, r_t, discount_t, q_t, log_prior_t=None):
  """G-learning: target ``r + discount * logsumexp_a' [q_t + log_prior_t]``.

  Args:
    q_tm1, a_tm1, r_t, discount_t, q_t: as in :func:`q_learning`; ``r_t`` is
      the music-theory reward only (Sequence Tutor, eq. 8).
    log_prior_t: log p(a'|s') ``[B, A]`` from the frozen reward RNN at the
      next state.

  Raises:
    ValueError: if ``log_prior_t`` is None or a tensor has the wrong rank.
  """
  if log_prior_t is None:
    raise ValueError('g_learning needs log_prior_t, log p(a\'|s\') [B, A]')
  _check(q_tm1, a_tm1, r_t, discount_t, q_t)
  log_prior_t.shape.assert_has_rank(2)
  return _td_loss(
      q_tm1, a_tm1,
      r_t + discount_t * tf.reduce_logsumexp(q_t + log_prior_t, axis=1))


LOSSES: Dict[str, Callable[..., LossOutput]] = {
    'q': q_learning,
    'psi': psi_learning,
    'g': g_learning,
    'pure_rl': q_learning,
}


# Temperature of each algorithm's soft backup without an entropy bonus (the
# paper's); G has no entropy bonus option.
BASE_TEMPERATURE = {'q': 0.0, 'pure_rl': 0.0, 'psi': 1.0}


def policy_temperature(algorithm: str, entropy_bonus: float = 0.0) -> float:
  """tau of the soft backup: the base temperature plus the entropy bonus.

  Raises:
    ValueError: for G with a bonus, or an unknown algorithm.
  """
  if entropy_bonus == 0:
    return BASE_TEMPERATURE.get(algorithm, 1.0)
  if algorithm not in BASE_TEMPERATURE:
    raise ValueError(f'entropy_bonus applies to {sorted(BASE_TEMPERATURE)}, '
                     f'not algorithm {algorithm!r}')
  return BASE_TEMPERATURE[algorithm] + entropy_bonus


def get_loss(algorithm: str,
             entropy_bonus: float = 0.0) -> Callable[..., LossOutput]:
  """Looks up a loss by algorithm name ('q', 'psi', 'g', 'pure_rl').

  Args:
    algorithm: the name.
    entropy_bonus: beta >= 0 (see the module docstring); 0 = the paper's
      loss.

  Raises:
    ValueError: naming the unknown algorithm and the known ones, or a bonus
      for G.
  """
  try:
    loss = LOSSES[algorithm]
  except KeyError:
    raise ValueError(f'Unknown algorithm {algorithm!r}; expected one of '
                     f'{sorted(LOSSES)}') from None
  if entropy_bonus == 0:
    return loss
  return functools.partial(
      soft_q_learning,
      temperature=policy_temperature(algorithm, entropy_bonus))
