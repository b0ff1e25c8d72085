"""A small FIFO replay memory of beat-agent transitions (numpy, no TF).

The public drum script keeps the last 64 or 128 transitions and samples up to
32 of them without replacement per learning step (../shared/SPEC.md section 2).
"""

from typing import Dict, Optional, Tuple

import numpy as np

Batch = Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


class BeatReplayMemory:
  """Fixed-capacity ring buffer; the oldest transition is overwritten first.

  Args:
    capacity: transitions kept (64 or 128 in the public script).
    state_size: length of a state vector.
    seed: seed of the sampling generator.

  Raises:
    ValueError: if capacity or state_size is not positive.
  """

  def __init__(self, capacity: int, state_size: int, seed: int = 0):
    if capacity <= 0 or state_size <= 0:
      raise ValueError(f'BeatReplayMemory: capacity and state_size must be > '
                       f'0, got {capacity}, {state_size}')
    self.capacity, self.state_size = int(capacity), int(state_size)
    self._rng = np.random.default_rng(seed)
    self.clear()

  def clear(self) -> None:
    """Empties the memory."""
    self.states = np.zeros([self.capacity, self.state_size], np.float32)
    self.actions = np.zeros([self.capacity], np.int32)
    self.rewards = np.zeros([self.capacity], np.float32)
    self.next_states = np.zeros([self.capacity, self.state_size], np.float32)
    self.count = 0  # Transitions ever added; the next slot is count % capacity.

  def __len__(self) -> int:
    return min(self.count, self.capacity)

  def add(self, state, action: int, reward: float, next_state) -> None:
    """Stores one transition (state and next_state float ``[state_size]``)."""
    i = self.count % self.capacity
    self.states[i] = state
    self.actions[i] = action
    self.rewards[i] = reward
    self.next_states[i] = next_state
    self.count += 1

  def in_order(self) -> Batch:
    """All stored transitions, oldest first (states ``[N, S]``, ...)."""
    n = len(self)
    order = (np.arange(n) + (self.count - n)) % self.capacity
    return self._take(order)

  def sample(self, batch_size: int) -> Optional[Batch]:
    """Up to ``batch_size`` distinct transitions (without replacement).

    Returns:
      (states ``[B, S]``, actions int32 ``[B]``, rewards ``[B]``,
      next_states ``[B, S]``) with ``B = min(batch_size, len(self))``, or
      None when the memory is empty.
    """
    n = len(self)
    if n == 0:
      return None
    return self._take(self._rng.choice(n, size=min(batch_size, n),
                                       replace=False))

  def _take(self, index) -> Batch:
    return (self.states[index], self.actions[index], self.rewards[index],
            self.next_states[index])

  def to_arrays(self) -> Dict[str, np.ndarray]:
    """The stored transitions oldest first, for saving."""
    states, actions, rewards, next_states = self.in_order()
    return {'states': states, 'actions': actions, 'rewards': rewards,
            'next_states': next_states}

  def from_arrays(self, arrays: Dict[str, np.ndarray]) -> None:
    """Replaces the contents with saved transitions (oldest first).

    Raises:
      ValueError: if the state size differs.
    """
    states = np.asarray(arrays['states'], np.float32)
    if states.ndim != 2 or states.shape[1] != self.state_size:
      raise ValueError(f'BeatReplayMemory: saved states have shape '
                       f'{states.shape}, expected [N, {self.state_size}]')
    self.clear()
    for s, a, r, n in zip(states, arrays['actions'], arrays['rewards'],
                          arrays['next_states']):
      self.add(s, int(a), float(r), n)
