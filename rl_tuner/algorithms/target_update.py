"""Soft (Polyak) target-network updates: target <- (1 - tau) target + tau online.

The RL Tuner (Jaques et al. 2017) updates its target Q network with
tau = 0.01 after each minibatch.
"""

from typing import Sequence

import tensorflow as tf


def soft_update_value(target, online, tau):
  """The updated value ``(1 - tau) * target + tau * online`` (a tensor)."""
  return (1.0 - tau) * target + tau * online


def soft_update(target_variables: Sequence[tf.Variable],
                online_variables: Sequence[tf.Variable], tau: float):
  """Moves each target variable a fraction ``tau`` towards its online twin.

  Args:
    target_variables: the target network's variables.
    online_variables: the online network's variables, in the same order and
      shapes.
    tau: update rate in [0, 1]; 1 copies the online weights.

  Returns:
    A grouped op (None when executing eagerly).

  Raises:
    ValueError: if the lists differ in length or a pair in shape.
  """
  if len(target_variables) != len(online_variables):
    raise ValueError(f'soft_update: {len(target_variables)} target variables '
                     f'but {len(online_variables)} online variables')
  updates = []
  for t, o in zip(target_variables, online_variables):
    if t.shape != o.shape:
      raise ValueError(f'soft_update: shape mismatch {t.name} {t.shape} vs '
                       f'{o.name} {o.shape}')
    updates.append(t.assign(soft_update_value(t, o, tau)))
  return tf.group(*updates)
