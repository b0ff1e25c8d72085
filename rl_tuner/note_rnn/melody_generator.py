"""Sampling melodies from a trained Note RNN, batched, and their figures.

All N melodies advance together: one ``model.step`` call per step on a batch
``[N, 38]``. Priming feeds every primer event through the LSTM; the softmax
after the last primer event gives the first generated event. The next event
is sampled from ``softmax(logits / temperature)`` (the paper's evaluation
protocol samples at temperature 1); temperature 0 means argmax.
"""

import functools
import os
from typing import Optional, Tuple

import numpy as np
import tensorflow as tf

from rl_tuner import encoding

_NOTE_NAMES = ('C', 'C#', 'D', 'Eb', 'E', 'F', 'F#', 'G', 'Ab', 'A', 'Bb', 'B')


def event_names():
  """Labels of the 38 classes: 'NOTE_OFF', 'NO_EVENT', 'C3', ..., 'B5'."""
  names = ['NOTE_OFF', 'NO_EVENT']
  for a in range(encoding.NUM_SPECIAL_EVENTS, encoding.NUM_CLASSES):
    pitch = encoding.action_to_pitch(a)
    names.append(f'{_NOTE_NAMES[pitch % 12]}{pitch // 12 - 1}')
  return names


def random_primers(num_melodies: int, rng: np.random.Generator) -> np.ndarray:
  """One random pitch per melody, uniform over all 36 pitch actions 2..37.

  (The public code's random primer could never pick the last action.)

  Returns:
    int32 ``[num_melodies, 1]``.
  """
  return rng.integers(encoding.NUM_SPECIAL_EVENTS, encoding.NUM_CLASSES,
                      size=[num_melodies, 1]).astype(np.int32)


# One tf.function for every call (a new one per call re-traced each time);
# it traces once per model object and input shape.
_step = tf.function(lambda model, onehot, state: model.step(onehot, state))


def generate(model, primers: np.ndarray, num_steps: int,
             temperature: float = 1.0, seed: Optional[int] = None
             ) -> Tuple[np.ndarray, np.ndarray]:
  """Samples continuations of a batch of primers.

  Args:
    model: a :class:`NoteRNN` (anything with ``initial_state(batch)`` and
      ``step(onehot [B, 38], state [B, S]) -> (logits [B, 38], state)``).
    primers: int ``[N, P]`` primer actions (P >= 1), e.g. the shipped primer
      tiled N times or :func:`random_primers`.
    num_steps: events to generate per melody.
    temperature: softmax temperature (> 0), or 0 for argmax.
    seed: seed of the sampling.

  Returns:
    (actions int32 ``[N, num_steps]``, probabilities float32
    ``[N, num_steps, 38]``: the tempered distribution each event was drawn
    from).

  Raises:
    ValueError: on an empty primer, num_steps < 1 or temperature < 0.
  """
  primers = np.asarray(primers, np.int32)
  if primers.ndim != 2 or primers.shape[1] < 1:
    raise ValueError(f'primers must be [N, P] with P >= 1, got shape '
                     f'{primers.shape}')
  if num_steps < 1:
    raise ValueError(f'num_steps must be >= 1, got {num_steps}')
  if temperature < 0:
    raise ValueError(f'temperature must be >= 0, got {temperature}')
  rng = np.random.default_rng(seed)
  step = functools.partial(_step, model)
  n = primers.shape[0]
  state = model.initial_state(n)
  for t in range(primers.shape[1]):
    logits, state = step(encoding.one_hot(primers[:, t]), state)
  actions = np.zeros([n, num_steps], np.int32)
  probs = np.zeros([n, num_steps, encoding.NUM_CLASSES], np.float32)
  for t in range(num_steps):
    logits = logits.numpy().astype(np.float64)
    if temperature == 0:
      p = np.eye(encoding.NUM_CLASSES)[np.argmax(logits, -1)]
    else:
      z = logits / temperature
      z -= z.max(axis=-1, keepdims=True)
      p = np.exp(z)
      p /= p.sum(axis=-1, keepdims=True)
    # Inverse-CDF sampling, one uniform per melody.
    u = rng.random([n, 1])
    a = np.minimum((np.cumsum(p, -1) < u).sum(-1), encoding.NUM_CLASSES - 1)
    actions[:, t] = a
    probs[:, t] = p
    logits, state = step(encoding.one_hot(a), state)
  return actions, probs


def plot_probabilities(probabilities: np.ndarray, actions: np.ndarray,
                       path: str, title: str = 'Note RNN probabilities') -> str:
  """Saves a heat map of the 38 event probabilities over time (PNG).

  Args:
    probabilities: float ``[T, 38]``.
    actions: int ``[T]``: the events drawn (marked in red).
    path: output PNG (written atomically).
    title: figure title.

  Returns:
    ``path``.
  """
  import matplotlib  # pylint: disable=g-import-not-at-top
  matplotlib.use('Agg')
  import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
  probabilities = np.asarray(probabilities)
  fig, ax = plt.subplots(figsize=(max(6, 0.25 * len(actions) + 2), 8))
  image = ax.imshow(probabilities.T, origin='lower', aspect='auto',
                    cmap='magma', vmin=0.0, vmax=1.0, interpolation='nearest')
  ax.plot(np.arange(len(actions)), actions, 'o', color='tab:cyan',
          markersize=4, fillstyle='none', label='sampled event')
  ax.set_yticks(range(encoding.NUM_CLASSES))
  ax.set_yticklabels(event_names(), fontsize=6)
  ax.set_xlabel('step (sixteenth notes)')
  ax.set_ylabel('event')
  ax.set_title(title)
  ax.legend(loc='upper right', fontsize=7)
  fig.colorbar(image, ax=ax, label='probability')
  fig.tight_layout()
  os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
  tmp = path + '.tmp.png'
  fig.savefig(tmp, dpi=100)
  plt.close(fig)
  os.replace(tmp, path)
  return path
