"""State encoding of the beat-prediction agent (no TensorFlow).

The state (../shared/SPEC.md section 2; Sema "Rubber Gosling" tutorials) is a
vector of +1/-1 values, all -1 initially:

  * one-hot of the tick index within the bar: ``ticks_per_bar`` values, +1 at
    the current tick;
  * the source history: the source hit (+1) or silence (-1) at the current
    tick, then at the tick before, ... (``source_history`` values; 8 in the
    language mode, 1 in the tutorial);
  * optionally the agent's own last actions, most recent first (+1 played,
    -1 silent; ``action_memory`` values, 0 = off).

So ``size = ticks_per_bar + source_history + action_memory``. The realtime
adapter uses this module on its hot path, hence numpy only.
"""

import numpy as np

ON, OFF = 1.0, -1.0


class BeatStateEncoder:
  """Builds agent states tick by tick.

  Usage per tick: ``push_source(hit)``, ``state(tick)`` (the agent acts on it),
  then ``push_action(action)``.

  Args:
    ticks_per_bar: length of the tick one-hot (8).
    source_history: source hits remembered, >= 1 (8 in language mode).
    action_memory: own actions remembered, >= 0.

  Raises:
    ValueError: naming a bad size.
  """

  def __init__(self, ticks_per_bar: int = 8, source_history: int = 8,
               action_memory: int = 0):
    if ticks_per_bar < 1 or source_history < 1 or action_memory < 0:
      raise ValueError(
          f'BeatStateEncoder: need ticks_per_bar >= 1, source_history >= 1, '
          f'action_memory >= 0; got {ticks_per_bar}, {source_history}, '
          f'{action_memory}')
    self.ticks_per_bar = ticks_per_bar
    self.source_history = source_history
    self.action_memory = action_memory
    self.size = ticks_per_bar + source_history + action_memory
    self.reset()

  def reset(self) -> None:
    """Forgets all history (every value back to -1)."""
    self._sources = np.full([self.source_history], OFF, np.float32)
    self._actions = np.full([self.action_memory], OFF, np.float32)

  def push_source(self, hit) -> None:
    """Records the source hit (truthy) or silence at the current tick."""
    self._sources[1:] = self._sources[:-1]
    self._sources[0] = ON if hit else OFF

  def push_action(self, action) -> None:
    """Records the agent's own action (1 play, 0 silence) at this tick."""
    if self.action_memory:
      self._actions[1:] = self._actions[:-1]
      self._actions[0] = ON if action else OFF

  def state(self, tick: int) -> np.ndarray:
    """The state float32 ``[size]`` at tick ``tick`` (taken modulo the bar)."""
    out = np.full([self.size], OFF, np.float32)
    out[tick % self.ticks_per_bar] = ON
    out[self.ticks_per_bar:self.ticks_per_bar + self.source_history] = (
        self._sources)
    out[self.ticks_per_bar + self.source_history:] = self._actions
    return out

  def get_history(self) -> dict:
    """The remembered hits and actions (for save/load)."""
    return {'sources': self._sources.copy(), 'actions': self._actions.copy()}

  def set_history(self, history: dict) -> None:
    """Restores what :meth:`get_history` returned.

    Raises:
      ValueError: if the saved lengths differ from this encoder's.
    """
    sources = np.asarray(history['sources'], np.float32)
    actions = np.asarray(history['actions'], np.float32)
    if sources.shape != self._sources.shape or (
        actions.shape != self._actions.shape):
      raise ValueError(
          f'BeatStateEncoder: saved history has {sources.shape[0]} source and '
          f'{actions.shape[0]} action values, this encoder '
          f'{self.source_history} and {self.action_memory}')
    self._sources, self._actions = sources.copy(), actions.copy()


def reward(action, target_hit) -> float:
  """+1 if the action (1 play / 0 silence) equals the target hit, else -1."""
  return 1.0 if bool(action) == bool(target_hit) else -1.0
