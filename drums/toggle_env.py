"""The kick/snare toggle environment (Halmøy's drum task) for Gymnasium.

Two bars of 4 steps (8 steps): the kick is fixed at [1, 0, 0, 0] x 2; the
snare pattern starts random (from the env's ``np_random``) or as given by
``reset(options={'snare': [...]})``. An action toggles one snare step
(Discrete(8); with ``noop=True`` action 8 leaves the pattern alone). The
observation is kick ++ snare (16 values 0/1). The reward is the mean of
``|kick - snare|`` over the 8 steps mapped from [0, 1] to [-1, 1]
(``2 * mean - 1``): +1 when the snare plays exactly where the kick does not.
An episode is truncated after 50 steps (../shared/SPEC.md section 2).
"""

from typing import Optional

import gymnasium as gym
import numpy as np

NUM_STEPS = 8  # 2 bars x 4 beats.
KICK = np.array([1, 0, 0, 0] * 2, np.int8)
EPISODE_STEPS = 50
ENV_ID = 'KickSnareToggle-v0'


def pattern_reward(kick, snare) -> float:
  """``2 * mean|kick - snare| - 1``, in [-1, 1].

  Example: kick 10001000, snare 01110111 -> every step differs -> +1;
  snare == kick -> 0 -> -1; snare all zeros -> 2/8 differ -> 2 * 0.25 - 1
  = -0.5.
  """
  kick, snare = np.asarray(kick), np.asarray(snare)
  return float(2.0 * np.mean(np.abs(kick.astype(np.float32) - snare)) - 1.0)


class KickSnareToggleEnv(gym.Env):
  """Toggle snare steps until they complement the kick.

  Args:
    noop: add action 8, which changes nothing.
    episode_steps: steps before truncation (50).
  """

  metadata = {'render_modes': ['ansi']}

  def __init__(self, noop: bool = False, episode_steps: int = EPISODE_STEPS,
               render_mode: Optional[str] = None):
    if episode_steps < 1:
      raise ValueError(f'episode_steps must be >= 1, got {episode_steps}')
    self.noop = noop
    self.episode_steps = episode_steps
    self.render_mode = render_mode
    self.action_space = gym.spaces.Discrete(NUM_STEPS + int(noop))
    self.observation_space = gym.spaces.MultiBinary(2 * NUM_STEPS)
    self.kick = KICK.copy()
    self.snare = np.zeros(NUM_STEPS, np.int8)
    self._steps = 0

  def _obs(self) -> np.ndarray:
    return np.concatenate([self.kick, self.snare]).astype(np.int8)

  def reset(self, *, seed: Optional[int] = None,
            options: Optional[dict] = None):
    """Starts an episode; ``options={'snare': 8 values 0/1}`` fixes the start.

    Raises:
      ValueError: if the given snare is not 8 values in {0, 1}.
    """
    super().reset(seed=seed)
    if options and options.get('snare') is not None:
      snare = np.asarray(options['snare'])
      if snare.shape != (NUM_STEPS,) or not np.isin(snare, (0, 1)).all():
        raise ValueError(f'reset: snare must be {NUM_STEPS} values 0/1, got '
                         f'{options["snare"]!r}')
      self.snare = snare.astype(np.int8)
    else:
      self.snare = self.np_random.integers(0, 2, NUM_STEPS).astype(np.int8)
    self._steps = 0
    return self._obs(), {'reward': pattern_reward(self.kick, self.snare)}

  def step(self, action):
    if not self.action_space.contains(action):
      raise ValueError(f'step: action {action!r} not in {self.action_space}')
    if action < NUM_STEPS:
      self.snare[action] ^= 1
    self._steps += 1
    reward = pattern_reward(self.kick, self.snare)
    truncated = self._steps >= self.episode_steps
    return self._obs(), reward, False, truncated, {}

  def render(self):
    row = lambda p: ''.join('x' if v else '.' for v in p)
    return f'kick  {row(self.kick)}\nsnare {row(self.snare)}'


def register() -> None:
  """Registers ENV_ID with Gymnasium (idempotent)."""
  if ENV_ID not in gym.registry:
    gym.register(id=ENV_ID, entry_point='drums.toggle_env:KickSnareToggleEnv')


register()
