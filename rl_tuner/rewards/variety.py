"""A reward that pays a composition's pitch-class variety (an option the paper
lacks; RLTunerHParams.variety_reward, issue 14).

The paper's rules pay the tonic and dominant (holds after them, in-key fifths
and thirds from them, the tonic at beat 0): a tuned model's onsets are mostly
C, E and G, and its pitch-class entropy falls from the Note RNN's 2.9 bits to
about 2.4 (docs/rl_tuner_table_1.md). This term pays variety directly: the
onset at beat t earns ``H_t - H_{t-1}``, the change in the Shannon entropy
(bits) of the composition's pitch-class histogram (all 12 classes, onsets
only; rests and holds earn 0), so a whole composition earns exactly the
entropy of its own pitch classes (the increments telescope from H = 0 before
the first onset). Numpy only, vectorised over the batch.
"""

import numpy as np

from rl_tuner.rewards import diversity


def pitch_class_entropy_gain(compositions) -> np.ndarray:
  """The variety reward of each composition's last event: ``float32 [B]``.

  Args:
    compositions: int ``[B, t + 1]``, the events up to and including the
      newest one (t + 1 >= 1).

  Returns:
    H(pitch classes of all t + 1 events) - H(of the first t), in bits
    (diversity.pitch_class_counts, diversity.entropy_bits).

  Raises:
    ValueError: if ``compositions`` is not 2-D with at least one event.
  """
  x = np.asarray(compositions)
  if x.ndim != 2 or x.shape[1] < 1:
    raise ValueError(f'compositions must be int [B, t + 1 >= 1], got shape '
                     f'{x.shape}')
  after = diversity.pitch_class_counts(x)
  before = after - diversity.pitch_class_counts(x[:, -1:])
  return (diversity.entropy_bits(after) -
          diversity.entropy_bits(before)).astype(np.float32)
