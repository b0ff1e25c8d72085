"""Batched melody generation from a policy network (TF only, no file I/O).

Shared by the RL Tuner agent (acting, generate_music_sequence,
evaluate_model) and the evaluation binary. A policy is a Note RNN whose step
outputs action scores: the Note RNN's logits, Q or Psi values, or G values.
For G learning the policy's scores are ``G(s, .) + log p(.|s)`` with log p
from the frozen reward RNN (Sequence Tutor, sec. 3.3); ``ACTING_SCORES`` maps
each algorithm to its scores.

Priming (what comes before beat 0):
  * 'midi': the primer's events are fed to both networks; the last primer
    event is the input of the first step;
  * 'random': a random pitch (uniform over the 36 pitch actions 2..37; the
    public code's random priming never picked the last action) is the input
    of the first step, from the zero LSTM state.
"""

import collections
import functools
from typing import Callable, Dict, Optional

import numpy as np
import tensorflow as tf

from rl_tuner import encoding
from rl_tuner.algorithms import exploration

PrimedState = collections.namedtuple(
    'PrimedState', ['prev_action', 'q_state', 'r_state', 'log_prior'])
"""Network state before beat 0, batch B.

prev_action int32 [B] (the policy's next input), q_state float32 [B, S]
(policy LSTM state before reading prev_action), r_state [B, S] (reward RNN
state after reading prev_action) and log_prior [B, 38] = log p(.|s_0).
"""

Composition = collections.namedtuple(
    'Composition', ['actions', 'probabilities', 'log_p'])
"""Generated compositions: actions int32 [N, T]; probabilities float32
[N, T, 38] (softmax of the policy's scores at each beat) or None; log_p
float32 [N, T], log p(a_t|s_t) of each chosen event under the reward RNN."""


def q_scores(q_values, log_prior):
  del log_prior
  return q_values


def g_scores(q_values, log_prior):
  return q_values + log_prior


ACTING_SCORES: Dict[str, Callable[[tf.Tensor, tf.Tensor], tf.Tensor]] = {
    'note_rnn': q_scores,  # The untuned Note RNN: its own logits.
    'q': q_scores,
    'psi': q_scores,
    'pure_rl': q_scores,
    'g': g_scores,
}


def get_acting_scores(algorithm: str):
  """Scores function ``(q_values, log_prior) -> scores`` for an algorithm.

  Raises:
    ValueError: naming an unknown algorithm.
  """
  try:
    return ACTING_SCORES[algorithm]
  except KeyError:
    raise ValueError(f'Unknown algorithm {algorithm!r}; expected one of '
                     f'{sorted(ACTING_SCORES)}') from None


def prime(policy, reward_rnn, batch_size: int, primer_actions, seed):
  """Network states before beat 0 (see module docstring).

  Args:
    policy: the acting NoteRNN (q network).
    reward_rnn: the frozen NoteRNN giving log p.
    batch_size: B (a Python int or an int32 scalar tensor).
    primer_actions: int ``[P]`` numpy array (P >= 1) for 'midi' priming, or
      None for 'random' priming.
    seed: int ``[2]`` stateless seed (used by 'random').

  Returns:
    A :class:`PrimedState` of batch B.
  """
  zeros = tf.zeros([batch_size, policy.state_size], tf.float32)
  if primer_actions is None:
    prev = tf.random.stateless_uniform(
        [batch_size], seed, minval=encoding.NUM_SPECIAL_EVENTS,
        maxval=encoding.NUM_CLASSES, dtype=tf.int32)
    r_logits, r_state = reward_rnn.step(tf.one_hot(prev, encoding.NUM_CLASSES),
                                        zeros)
    return PrimedState(prev, zeros, r_state, tf.nn.log_softmax(r_logits))
  primer = np.asarray(primer_actions, np.int32)
  onehot = tf.tile(tf.one_hot(primer, encoding.NUM_CLASSES)[None],
                   [batch_size, 1, 1])
  if len(primer) > 1:
    _, q_state = policy(onehot[:, :-1], return_state=True)
  else:
    q_state = zeros
  r_logits, r_state = reward_rnn(onehot, return_state=True)
  prev = tf.fill([batch_size], tf.constant(primer[-1], tf.int32))
  return PrimedState(prev, q_state, r_state,
                     tf.nn.log_softmax(r_logits[:, -1]))


def policy_step(policy, reward_rnn, scores_fn, state: PrimedState,
                select_fn):
  """One step of B compositions.

  Args:
    policy, reward_rnn: NoteRNNs.
    scores_fn: from :data:`ACTING_SCORES`.
    state: the current :class:`PrimedState`.
    select_fn: ``scores [B, 38] -> actions int32 [B]``.

  Returns:
    (action int32 [B], scores [B, 38], note_rnn_reward = log p(a|s) [B],
    next PrimedState, q_values [B, 38]).
  """
  q_values, q_next = policy.step(
      tf.one_hot(state.prev_action, encoding.NUM_CLASSES), state.q_state)
  scores = scores_fn(q_values, state.log_prior)
  action = select_fn(scores)
  log_p = tf.gather(state.log_prior, action, axis=1, batch_dims=1)
  r_logits, r_next = reward_rnn.step(tf.one_hot(action, encoding.NUM_CLASSES),
                                     state.r_state)
  next_state = PrimedState(action, q_next, r_next,
                           tf.nn.log_softmax(r_logits))
  return action, scores, log_p, next_state, q_values


def _check_truncation(where: str, top_p: float, min_p: float) -> None:
  if not 0 < top_p <= 1:
    raise ValueError(f'{where}: top_p must be in (0, 1], got {top_p!r}')
  if not 0 <= min_p < 1:
    raise ValueError(f'{where}: min_p must be in [0, 1), got {min_p!r}')


class MelodySampler:
  """Generates batches of compositions, compiled once per batch size.

  Args:
    policy: the acting NoteRNN.
    reward_rnn: the frozen NoteRNN (for log p and G's prior); may be the same
      object as ``policy`` for the untuned Note RNN.
    algorithm: a key of :data:`ACTING_SCORES`.
    primer_actions: int ``[P]`` or None for random-note priming.
    composition_length: steps (32).
    temperature: the default softmax temperature of :meth:`generate` (> 0;
      1 = the paper's sampling from softmax(scores)).
    top_p: the default nucleus of :meth:`generate` (in (0, 1]; 1 = every
      action, the paper's sampling; see exploration.nucleus_logits).
    min_p: the default min-p truncation of :meth:`generate` (in [0, 1); 0 =
      every action, the paper's sampling; see exploration.min_p_logits).

  Each (sample, with_probabilities) pair is one tf.function with a pinned
  input signature (batch size, seed and temperature are tensors), so it is
  traced once however many batch sizes, seeds and temperatures it is called
  with.

  Raises:
    ValueError: if temperature is not positive, top_p is outside (0, 1],
      min_p outside [0, 1), or the algorithm is unknown.
  """

  def __init__(self, policy, reward_rnn, algorithm: str = 'note_rnn',
               primer_actions: Optional[np.ndarray] = None,
               composition_length: int = encoding.COMPOSITION_LENGTH,
               temperature: float = 1.0, top_p: float = 1.0,
               min_p: float = 0.0):
    _check_truncation('MelodySampler', top_p, min_p)
    if not temperature > 0:
      raise ValueError(f'MelodySampler: temperature must be > 0, got '
                       f'{temperature!r}')
    self.policy = policy
    self.reward_rnn = reward_rnn
    self.scores_fn = get_acting_scores(algorithm)
    self.primer_actions = (None if primer_actions is None else
                           np.asarray(primer_actions, np.int32))
    self.composition_length = composition_length
    self.temperature = float(temperature)
    self.top_p = float(top_p)
    self.min_p = float(min_p)
    self._functions = {}  # (sample, with_probabilities) -> tf.function.

  _SIGNATURE = (tf.TensorSpec([], tf.int32), tf.TensorSpec([2], tf.int64),
                tf.TensorSpec([], tf.float32), tf.TensorSpec([], tf.float32),
                tf.TensorSpec([], tf.float32))

  def _function(self, sample: bool, with_probabilities: bool):
    key = (bool(sample), bool(with_probabilities))
    if key not in self._functions:
      # A partial (no __code__) keeps TensorFlow's retracing detector from
      # pooling the samplers of several models (one trace each) as retraces
      # of one function.
      self._functions[key] = tf.function(
          functools.partial(self._generate_impl, *key),
          input_signature=self._SIGNATURE)
    return self._functions[key]

  def _generate_impl(self, sample, with_probabilities, batch_size, seed,
                     temperature, top_p, min_p):
    seeds = tf.random.experimental.stateless_split(
        seed, self.composition_length + 1)
    state = prime(self.policy, self.reward_rnn, batch_size,
                  self.primer_actions, seeds[0])
    actions, probs, log_ps = [], [], []
    for t in range(self.composition_length):
      def select(scores, t=t):
        if sample:
          return exploration.sample_nucleus(scores, seeds[t + 1], temperature,
                                            top_p, min_p)
        return exploration.greedy(scores)
      action, scores, log_p, state, _ = policy_step(
          self.policy, self.reward_rnn, self.scores_fn, state, select)
      actions.append(action)
      log_ps.append(log_p)
      if with_probabilities:
        probs.append(tf.nn.softmax(exploration.truncated_logits(
            scores, temperature, top_p, min_p)))
    return (tf.stack(actions, 1), tf.stack(log_ps, 1),
            tf.stack(probs, 1) if with_probabilities else tf.zeros([0]))

  def generate(self, num_compositions: int, seed: int = 0,
               sample: bool = True, temperature: Optional[float] = None,
               top_p: Optional[float] = None,
               min_p: Optional[float] = None,
               with_probabilities: bool = False,
               batch_size: int = 4096) -> Composition:
    """Generates ``num_compositions`` compositions.

    Args:
      num_compositions: N > 0.
      seed: int seed; batch i uses (seed, i).
      sample: True: next event sampled from softmax(scores / temperature) (the
        paper's evaluation); False: argmax.
      temperature: softmax temperature (> 0); None = the sampler's own
        (``self.temperature``).
      top_p: nucleus (in (0, 1]); None = the sampler's own (``self.top_p``).
      min_p: min-p truncation (in [0, 1)); None = the sampler's own.
      with_probabilities: also return the per-beat softmax [N, T, 38].
      batch_size: compositions per compiled call (the last one may be
        smaller and compiles once more).

    Returns:
      A :class:`Composition` of numpy arrays.

    Raises:
      ValueError: if num_compositions or temperature is not positive.
    """
    if temperature is None:
      temperature = self.temperature
    top_p = self.top_p if top_p is None else top_p
    min_p = self.min_p if min_p is None else min_p
    _check_truncation('MelodySampler.generate', top_p, min_p)
    if num_compositions <= 0 or not temperature > 0:
      raise ValueError(f'MelodySampler.generate: num_compositions and '
                       f'temperature must be > 0, got {num_compositions}, '
                       f'{temperature}')
    actions, log_ps, probs = [], [], []
    for i, start in enumerate(range(0, num_compositions, batch_size)):
      n = min(batch_size, num_compositions - start)
      a, lp, pr = self._function(sample, with_probabilities)(
          tf.constant(n, tf.int32), tf.constant([seed, i], tf.int64),
          tf.constant(temperature, tf.float32), tf.constant(top_p, tf.float32),
          tf.constant(min_p, tf.float32))
      actions.append(a.numpy())
      log_ps.append(lp.numpy())
      if with_probabilities:
        probs.append(pr.numpy())
    return Composition(np.concatenate(actions),
                       np.concatenate(probs) if with_probabilities else None,
                       np.concatenate(log_ps))
