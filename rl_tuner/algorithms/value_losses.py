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
"""

import collections
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


def get_loss(algorithm: str) -> Callable[..., LossOutput]:
  """Looks up a loss by algorithm name ('q', 'psi', 'g', 'pure_rl').

  Raises:
    ValueError: naming the unknown algorithm and the known ones.
  """
  try:
    return LOSSES[algorithm]
  except KeyError:
    raise ValueError(f'Unknown algorithm {algorithm!r}; expected one of '
                     f'{sorted(LOSSES)}') from None
