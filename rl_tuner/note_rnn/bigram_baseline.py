"""A bigram (first-order Markov) baseline for the Note RNN, in numpy.

p(x_t | x_{t-1}) = (count(x_{t-1}, x_t) + alpha) / (count(x_{t-1}) + 38 alpha)
with add-alpha (Laplace for alpha = 1) smoothing, counted over every pair of
consecutive events of the training melodies. It is scored on the same
validation windows and the same steps as the Note RNN (see
:func:`loss_weights`), so its accuracy and log perplexity compare directly.
"""

from typing import Dict, Sequence

import numpy as np

from rl_tuner import encoding
from rl_tuner.note_rnn import melody_pipeline


def loss_weights(labels: np.ndarray, skip_first_steps) -> np.ndarray:
  """Which predictions count in the loss and the metrics.

  Args:
    labels: int ``[batch, time]`` targets, :data:`melody_pipeline.PAD` past
      the end of a melody.
    skip_first_steps: the first this many predictions of a window are not
      scored (paper: 8), as the model has too little context there: an int
      for every window or int ``[batch]`` per window (see
      :func:`melody_pipeline.window_skips`).

  Returns:
    float32 ``[batch, time]``: 1 where ``t >= skip_first_steps`` and the
    label is not padding, else 0.
  """
  labels = np.asarray(labels)
  t = np.arange(labels.shape[-1])[np.newaxis, :]
  skip = np.reshape(np.asarray(skip_first_steps), [-1, 1])
  return ((labels != melody_pipeline.PAD) & (t >= skip)).astype(np.float32)


class BigramModel:
  """Add-alpha smoothed first-order Markov model over the 38 classes.

  Args:
    alpha: additive smoothing per transition (1.0 = add-one).

  Raises:
    ValueError: if alpha <= 0.
  """

  def __init__(self, alpha: float = 1.0,
               num_classes: int = encoding.NUM_CLASSES):
    if alpha <= 0:
      raise ValueError(f'BigramModel alpha must be > 0, got {alpha}')
    self.alpha = alpha
    self.num_classes = num_classes
    self.counts = np.zeros([num_classes, num_classes], np.float64)

  def fit(self, melodies: Sequence[np.ndarray]) -> 'BigramModel':
    """Counts consecutive (previous, next) event pairs of each melody."""
    for m in melodies:
      m = np.asarray(m, np.int64)
      np.add.at(self.counts, (m[:-1], m[1:]), 1.0)
    return self

  @property
  def log_probs(self) -> np.ndarray:
    """float64 ``[38, 38]``: ``log p(next = j | previous = i)`` (nats)."""
    smoothed = self.counts + self.alpha
    return np.log(smoothed / smoothed.sum(axis=1, keepdims=True))

  def evaluate(self, windows: np.ndarray,
               skip_first_steps=8) -> Dict[str, float]:
    """Scores windows exactly as the Note RNN trainer does.

    Args:
      windows: int ``[num_windows, window_steps]`` from
        :func:`melody_pipeline.make_windows`; inputs are ``[:, :-1]``, labels
        ``[:, 1:]``.
      skip_first_steps: unscored predictions at the start of each window
        (an int, or int ``[num_windows]``).

    Returns:
      {'accuracy': fraction of argmax predictions equal to the label,
       'log_perplexity': mean negative log-likelihood per scored step (nats),
       'num_steps': number of scored steps}.
    """
    inputs, labels = windows[:, :-1], windows[:, 1:]
    w = loss_weights(labels, skip_first_steps)
    valid = w > 0
    prev, nxt = inputs[valid], labels[valid]
    lp = self.log_probs
    nll = -lp[prev, nxt]
    correct = np.argmax(lp[prev], axis=-1) == nxt
    n = int(valid.sum())
    return {'accuracy': float(correct.mean()) if n else float('nan'),
            'log_perplexity': float(nll.mean()) if n else float('nan'),
            'num_steps': n}
