"""MelodyEnv: B compositions written in lockstep, rewarded by music theory.

The environment knows nothing about networks (and imports no TensorFlow): it
holds the compositions written so far, ``int32 [B, t]`` (t = the beat, 0..31),
takes one action per composition per step, returns the music-theory reward
r_MT of each action from ``rl_tuner.rewards.reward_modes.get_reward_fn``, and
starts B new compositions after ``composition_length`` steps.
"""

import collections
import functools

import numpy as np

from rl_tuner import encoding
from rl_tuner.rewards import reward_modes

StepResult = collections.namedtuple(
    'StepResult', ['reward', 'beat', 'done', 'compositions'])


class MelodyEnv:
  """Batched melody environment.

  Args:
    batch_size: B, compositions in lockstep.
    key: the KeyConfig the rewards judge against.
    reward_mode: a reward mode name of rl_tuner.rewards.reward_modes.
    composition_length: steps per composition (32).
    tonic_start_reward: the reward for the tonic as the first event (paper:
      3), for the modes in reward_modes.TONIC_REWARD_MODES.

  Raises:
    ValueError: if batch_size or composition_length is not positive, the
      reward mode is unknown, or tonic_start_reward is changed for a mode
      without a tonic rule.
  """

  def __init__(self, batch_size: int,
               key: encoding.KeyConfig = encoding.C_MAJOR,
               reward_mode: str = 'music_theory_all',
               composition_length: int = encoding.COMPOSITION_LENGTH,
               tonic_start_reward: float = 3.0):
    if batch_size <= 0 or composition_length <= 0:
      raise ValueError(f'MelodyEnv: batch_size and composition_length must be '
                       f'> 0, got {batch_size}, {composition_length}')
    self.batch_size = batch_size
    self.key = key
    self.composition_length = composition_length
    self._reward_fn = reward_modes.get_reward_fn(reward_mode)
    if reward_mode in reward_modes.TONIC_REWARD_MODES:
      self._reward_fn = functools.partial(
          self._reward_fn, tonic_start_reward=tonic_start_reward)
    elif tonic_start_reward != 3.0:
      raise ValueError(f'MelodyEnv: reward mode {reward_mode!r} has no tonic '
                       f'rule; tonic_start_reward must stay 3, got '
                       f'{tonic_start_reward!r}')
    self._compositions = np.zeros([batch_size, composition_length], np.int32)
    self.beat = 0
    self.num_completed = 0  # Compositions finished so far.

  @property
  def compositions(self) -> np.ndarray:
    """The compositions so far, int32 ``[B, beat]`` (a view; do not modify)."""
    return self._compositions[:, :self.beat]

  def reset(self) -> None:
    """Starts B new, empty compositions at beat 0."""
    self.beat = 0

  def step(self, actions) -> StepResult:
    """Appends one action per composition and rewards it.

    Args:
      actions: int ``[B]`` events in [0, 37].

    Returns:
      StepResult(reward float32 ``[B]`` (r_MT), beat of these actions,
      done (True when the compositions are complete), compositions int32
      ``[B, beat + 1]`` (a copy; when done, the complete compositions)).
      After a done step the environment resets itself.

    Raises:
      ValueError: if ``actions`` has the wrong shape or values out of range.
    """
    actions = np.asarray(actions, dtype=np.int32)
    if actions.shape != (self.batch_size,):
      raise ValueError(f'MelodyEnv.step: actions must have shape '
                       f'({self.batch_size},), got {actions.shape}')
    if actions.min() < 0 or actions.max() >= encoding.NUM_CLASSES:
      raise ValueError(f'MelodyEnv.step: actions must be in [0, '
                       f'{encoding.NUM_CLASSES - 1}]')
    beat = self.beat
    reward = np.asarray(
        self._reward_fn(self.compositions, actions, self.key,
                        composition_length=self.composition_length),
        dtype=np.float32)
    self._compositions[:, beat] = actions
    self.beat += 1
    done = self.beat == self.composition_length
    compositions = self._compositions[:, :self.beat].copy()
    if done:
      self.num_completed += self.batch_size
      self.reset()
    return StepResult(reward, beat, done, compositions)
