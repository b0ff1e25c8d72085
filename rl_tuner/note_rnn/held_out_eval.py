"""Scores next-event models on whole held-out melodies, every step.

The trainer's window metrics skip the first predictions of mid-melody
windows. Here every prediction of a held-out melody after its first event is
scored (event t given events 0..t-1, t >= 1), for any model that yields
``log p(. | events so far)`` per step: the Note RNN
(:func:`note_rnn_log_probs`), the bigram
(:func:`bigram_log_probs`) and the Kneser-Ney n-gram model
(:meth:`kneser_ney.KneserNeyModel.melody_log_probs`), so their numbers compare
directly. Metrics (:func:`step_metrics`) over three sets of steps:

  * ``all``: every scored step;
  * ``onset``: steps whose event is a new note (actions 2..37; 64% of the
    steps are holds, which a model gets right by always predicting hold);
  * ``opening``: the first :data:`OPENING_STEPS` predictions of each melody
    (steps 1..8), how the model continues a one-note or short primer.

Accuracy is argmax == event; log perplexity the mean negative log-likelihood
in nats per step. ``p_onset_after_first`` is the model's mean probability
that step 1 is a new note, beside ``onset_rate_after_first``, how often it is
in the data.
"""

from typing import Dict, Sequence

import numpy as np

from rl_tuner import encoding

OPENING_STEPS = 8


def step_labels(melodies: Sequence[np.ndarray]):
  """Events and positions of every scored step.

  Args:
    melodies: int action arrays ``[steps]``.

  Returns:
    (labels int64 ``[N]``, positions int64 ``[N]``): the event at step t >= 1
    of each melody and t, melodies in order; N = sum(steps - 1).
  """
  labels = [np.asarray(m, np.int64)[1:] for m in melodies]
  positions = [np.arange(1, len(m), dtype=np.int64) for m in melodies]
  if not labels:
    return np.zeros([0], np.int64), np.zeros([0], np.int64)
  return np.concatenate(labels), np.concatenate(positions)


def _scores(log_probs, labels, mask) -> Dict[str, float]:
  n = int(mask.sum())
  if not n:
    return {'accuracy': float('nan'), 'log_perplexity': float('nan'),
            'num_steps': 0}
  lp = log_probs[mask]
  y = labels[mask]
  return {'accuracy': float(np.mean(np.argmax(lp, -1) == y)),
          'log_perplexity': float(-np.mean(lp[np.arange(n), y])),
          'num_steps': n}


def step_metrics(log_probs: np.ndarray, labels: np.ndarray,
                 positions: np.ndarray) -> Dict[str, object]:
  """Accuracy and log perplexity over all, onset and opening steps.

  Args:
    log_probs: float ``[N, 38]`` natural-log next-event distributions.
    labels: int ``[N]`` events (from :func:`step_labels`).
    positions: int ``[N]`` step of each event in its melody (>= 1).

  Returns:
    {'all': {...}, 'onset': {...}, 'opening': {...}} each with 'accuracy',
    'log_perplexity' (nats/step) and 'num_steps'; plus
    'p_onset_after_first' and 'onset_rate_after_first' (floats).

  Raises:
    ValueError: if the shapes disagree.
  """
  log_probs = np.asarray(log_probs, np.float64)
  labels = np.asarray(labels, np.int64)
  positions = np.asarray(positions, np.int64)
  if (log_probs.shape != (len(labels), encoding.NUM_CLASSES) or
      positions.shape != labels.shape):
    raise ValueError(f'step_metrics: need log_probs [N, 38], labels [N], '
                     f'positions [N]; got {log_probs.shape}, {labels.shape}, '
                     f'{positions.shape}')
  onset = labels >= encoding.NUM_SPECIAL_EVENTS
  first = positions == 1
  p_onset = np.exp(log_probs[first][:, encoding.NUM_SPECIAL_EVENTS:]).sum(-1)
  return {
      'all': _scores(log_probs, labels, np.ones_like(onset)),
      'onset': _scores(log_probs, labels, onset),
      'opening': _scores(log_probs, labels, positions <= OPENING_STEPS),
      'p_onset_after_first': float(p_onset.mean()) if first.any() else
                             float('nan'),
      'onset_rate_after_first': float(onset[first].mean()) if first.any()
                                else float('nan'),
  }


def reference_segments(melodies: Sequence[np.ndarray],
                       length: int = encoding.COMPOSITION_LENGTH,
                       max_segments: int = 2000, seed: int = 0) -> np.ndarray:
  """Real compositions: ``length``-step segments of melodies at bar lines.

  Every melody is cut into non-overlapping segments starting at steps 0,
  length, 2 x length, ... (whole segments only); ``max_segments`` of them are
  drawn without replacement with ``numpy.random.default_rng(seed)``.

  Args:
    melodies: int action arrays ``[steps]`` (e.g. held-out melodies).
    length: steps per segment (32, a composition).
    max_segments: most segments returned.
    seed: seed of the draw.

  Returns:
    int8 ``[M, length]``, M = min(max_segments, segments available), in the
    order the segments occur.
  """
  segments = [np.asarray(m[i:i + length], np.int8)
              for m in melodies for i in range(0, len(m) - length + 1, length)]
  if not segments:
    return np.zeros([0, length], np.int8)
  keep = np.sort(np.random.default_rng(seed).permutation(len(segments))[
      :max_segments])
  return np.stack([segments[i] for i in keep])


def bigram_log_probs(log_probs_table: np.ndarray,
                     melodies: Sequence[np.ndarray]) -> np.ndarray:
  """Bigram ``log p(. | previous)`` of every scored step.

  Args:
    log_probs_table: float ``[38, 38]`` from ``BigramModel.log_probs``.
    melodies: int action arrays ``[steps]``.

  Returns:
    float64 ``[N, 38]`` in :func:`step_labels` order.
  """
  prev = [np.asarray(m, np.int64)[:-1] for m in melodies]
  prev = np.concatenate(prev) if prev else np.zeros([0], np.int64)
  return np.asarray(log_probs_table, np.float64)[prev]


def note_rnn_log_probs(model, melodies: Sequence[np.ndarray],
                       max_batch_steps: int = 65536) -> np.ndarray:
  """Note RNN ``log p(. | events so far)`` of every scored step.

  Melodies are run whole (no windows), sorted by length into batches of at
  most ``max_batch_steps`` padded steps.

  Args:
    model: a ``note_rnn_model.NoteRNN``.
    melodies: int action arrays ``[steps]``.
    max_batch_steps: batch size x longest melody in the batch, at most.

  Returns:
    float64 ``[N, 38]`` in :func:`step_labels` order.
  """
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  out = [None] * len(melodies)
  order = sorted(range(len(melodies)), key=lambda i: len(melodies[i]))
  i = 0
  while i < len(order):
    j = i + 1
    while j < len(order) and (j - i + 1) * (len(melodies[order[j]]) - 1) <= (
        max_batch_steps):
      j += 1
    batch = order[i:j]
    longest = max(len(melodies[k]) - 1 for k in batch)
    inputs = np.full([len(batch), max(longest, 1)], -1, np.int32)
    for r, k in enumerate(batch):
      inputs[r, :len(melodies[k]) - 1] = melodies[k][:-1]
    logits = model(tf.one_hot(inputs, encoding.NUM_CLASSES))
    lp = tf.nn.log_softmax(logits, -1).numpy().astype(np.float64)
    for r, k in enumerate(batch):
      out[k] = lp[r, :len(melodies[k]) - 1]
    i = j
  return (np.concatenate(out) if out else
          np.zeros([0, encoding.NUM_CLASSES]))
