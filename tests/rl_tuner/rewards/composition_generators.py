"""Random compositions for the reward and statistics tests (fixed seeds).

``uniform`` draws each event over the 38 classes; ``realistic`` biases them to
in-key notes near the middle, holds and rests, repeated pitches, leaps and
copied 8-event phrases, so that motifs, repeated motifs, leaps (resolved and
doubled) and excessive repetitions all occur.
"""

import numpy as np

from rl_tuner import encoding


def uniform(rng: np.random.Generator, n: int, length: int = 32) -> np.ndarray:
  """int64 [n, length] uniform over the 38 classes."""
  return rng.integers(0, encoding.NUM_CLASSES, (n, length))


def realistic(rng: np.random.Generator, n: int, length: int = 32,
              key: encoding.KeyConfig = encoding.C_MAJOR) -> np.ndarray:
  """int64 [n, length] melody-like compositions (see the module docstring)."""
  in_key = np.array([a for a in sorted(key.in_key_actions)
                     if 6 <= a <= 30 and a >= encoding.NUM_SPECIAL_EVENTS])
  out = np.empty((n, length), np.int64)
  for i in range(n):
    copy_phrase = rng.random() < 0.4
    for t in range(length):
      r = rng.random()
      if copy_phrase and 16 <= t < 24 and r < 0.9:
        out[i, t] = out[i, t - 8 - 8 * (t >= 24)]
      elif copy_phrase and t >= 24 and r < 0.9:
        out[i, t] = out[i, t - 16]
      elif r < 0.25:
        out[i, t] = encoding.NO_EVENT
      elif r < 0.33:
        out[i, t] = encoding.NOTE_OFF
      elif r < 0.45 and t > 0:
        out[i, t] = out[i, t - 1]
      elif r < 0.55:
        out[i, t] = key.tonic_action
      elif r < 0.97:
        out[i, t] = rng.choice(in_key)
      else:
        out[i, t] = rng.integers(0, encoding.NUM_CLASSES)
  return out
