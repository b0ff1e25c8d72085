"""CARL's FIFO replay memory and its atomic state file. No TF.

The memory holds (state, action, reward, next_state) transitions in fixed
numpy arrays (MEMLNaut: 64 of them, oldest overwritten first), and with
each one an optional reference sound (``ref_action``, ``has_ref``): the
sound of the previous judgement when the input had not moved since (the
preference learner, sonification/carl/carl_pref.py, compares the two).
It is shared by the clock thread (which stores the player's rewards) and the learner
thread (which samples batches), so every method takes a lock.

The state file is one ``.npz`` with every network's weights, the memory and
a JSON metadata string, written to a temporary name and renamed (a reader
never sees half a file; a killed session restarts from the last save).
"""

import json
import os
import tempfile
import threading
from typing import Dict, List, Optional, Tuple

import numpy as np

from rl_tuner import file_errors

Batch = Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
RefBatch = Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


class ReplayMemory:
  """Fixed-capacity FIFO of transitions.

  Args:
    capacity: maximum number of transitions (64).
    state_size: length of a state (input) vector.
    action_size: length of an action (parameter) vector.

  Raises:
    ValueError: if a size is not positive.
  """

  def __init__(self, capacity: int, state_size: int, action_size: int):
    if capacity < 1 or state_size < 1 or action_size < 1:
      raise ValueError(f'ReplayMemory sizes must be positive: capacity '
                       f'{capacity}, state {state_size}, action {action_size}')
    self.capacity = capacity
    self._states = np.zeros((capacity, state_size), np.float32)
    self._actions = np.zeros((capacity, action_size), np.float32)
    self._rewards = np.zeros(capacity, np.float32)
    self._next_states = np.zeros((capacity, state_size), np.float32)
    self._ref_actions = np.zeros((capacity, action_size), np.float32)
    self._has_ref = np.zeros(capacity, np.float32)
    self._size = 0
    self._next = 0
    self._lock = threading.Lock()

  def __len__(self) -> int:
    return self._size

  def add(self, state, action, reward: float, next_state,
          ref_action=None) -> None:
    """Stores one transition, overwriting the oldest when full.

    Args:
      state: ``[state_size]``; action: ``[action_size]``; reward: float;
      next_state: ``[state_size]``.
      ref_action: ``[action_size]``, the reference sound this judgement was
        made against, or None (none: stored as zeros with has_ref 0).

    Raises:
      ValueError: if a vector has the wrong length or is not finite.
    """
    state = np.asarray(state, np.float32).reshape(-1)
    action = np.asarray(action, np.float32).reshape(-1)
    next_state = np.asarray(next_state, np.float32).reshape(-1)
    has_ref = ref_action is not None
    ref = (np.asarray(ref_action, np.float32).reshape(-1) if has_ref
           else np.zeros_like(action))
    if (state.shape != self._states.shape[1:] or
        next_state.shape != self._states.shape[1:] or
        action.shape != self._actions.shape[1:] or
        ref.shape != self._actions.shape[1:]):
      raise ValueError(f'transition shapes state {state.shape}, action '
                       f'{action.shape}, next {next_state.shape}, reference '
                       f'{ref.shape}; expected '
                       f'{self._states.shape[1:]} and '
                       f'{self._actions.shape[1:]}')
    if not (np.isfinite(state).all() and np.isfinite(action).all() and
            np.isfinite(reward) and np.isfinite(next_state).all() and
            np.isfinite(ref).all()):
      raise ValueError('transition is not finite')
    with self._lock:
      i = self._next
      self._states[i], self._actions[i] = state, action
      self._rewards[i], self._next_states[i] = reward, next_state
      self._ref_actions[i], self._has_ref[i] = ref, float(has_ref)
      self._next = (i + 1) % self.capacity
      self._size = min(self._size + 1, self.capacity)

  def clear(self) -> None:
    with self._lock:
      self._size = 0
      self._next = 0

  def sample(self, batch_size: int, rng: np.random.Generator
             ) -> Optional[Batch]:
    """A batch without replacement (copies), or None if too few stored.

    Returns:
      (states ``[B, S]``, actions ``[B, A]``, rewards ``[B]``, next_states
      ``[B, S]``), float32.
    """
    with self._lock:
      if self._size < batch_size:
        return None
      idx = rng.choice(self._size, size=batch_size, replace=False)
      return (self._states[idx], self._actions[idx], self._rewards[idx],
              self._next_states[idx])

  def all_with_refs(self) -> Optional[RefBatch]:
    """Every stored judgement with its reference, oldest first, or None if
    empty (the preference learner trains on the whole memory).

    Returns:
      (states ``[N, S]``, actions ``[N, A]``, rewards ``[N]``, ref_actions
      ``[N, A]``, has_ref ``[N]`` (1.0 or 0.0)), float32 copies.
    """
    with self._lock:
      if not self._size:
        return None
      order = self._order()
      return (self._states[order], self._actions[order],
              self._rewards[order], self._ref_actions[order],
              self._has_ref[order])

  def _order(self) -> np.ndarray:
    return (np.arange(self._size) + (self._next - self._size)) % \
        self.capacity

  def get_state(self) -> Dict[str, np.ndarray]:
    """The stored transitions, oldest first (copies)."""
    with self._lock:
      order = self._order()
      return dict(states=self._states[order], actions=self._actions[order],
                  rewards=self._rewards[order],
                  next_states=self._next_states[order],
                  ref_actions=self._ref_actions[order],
                  has_ref=self._has_ref[order])

  def set_state(self, state: Dict[str, np.ndarray]) -> None:
    """Replaces the contents (the newest ``capacity`` transitions kept); a
    state without references (saved before they existed) has none."""
    self.clear()
    n = len(state['states'])
    refs = state.get('ref_actions', [None] * n)
    has = state.get('has_ref', np.zeros(n))
    for s, a, r, nxt, ref, h in zip(state['states'], state['actions'],
                                    state['rewards'], state['next_states'],
                                    refs, has):
      self.add(s, a, float(r), nxt, ref if h else None)


def save_state(path: str, networks: Dict[str, List[np.ndarray]],
               memory: Dict[str, np.ndarray], meta: dict) -> None:
  """Writes networks, memory and metadata to one .npz atomically.

  Args:
    path: the .npz path (its directory is created).
    networks: name (e.g. 'actor') to the list of weight arrays.
    memory: :meth:`ReplayMemory.get_state`.
    meta: JSON-serialisable metadata (hparams, controls, counters).
  """
  arrays = {'meta': np.array(json.dumps(meta))}
  for name, weights in networks.items():
    arrays[f'net/{name}/count'] = np.array(len(weights))
    for i, w in enumerate(weights):
      arrays[f'net/{name}/{i}'] = np.asarray(w)
  for key, value in memory.items():
    arrays[f'memory/{key}'] = np.asarray(value)
  directory = os.path.dirname(os.path.abspath(path))
  os.makedirs(directory, exist_ok=True)
  fd, tmp = tempfile.mkstemp(suffix='.npz.tmp', dir=directory)
  try:
    with os.fdopen(fd, 'wb') as f:
      np.savez(f, **arrays)
      f.flush()
      os.fsync(f.fileno())
    os.replace(tmp, path)
  finally:
    if os.path.exists(tmp):
      os.remove(tmp)


def load_state(path: str):
  """Reads a file written by :func:`save_state`.

  Returns:
    (networks, memory, meta) as given to :func:`save_state`.

  Raises:
    FileNotFoundError: if path does not exist.
    file_errors.CorruptFileError: (a ValueError) naming the file if it is
      truncated or not a CARL state file.
  """
  if not os.path.exists(path):
    raise FileNotFoundError(f'no CARL state file at {path!r}')
  try:
    with np.load(path, allow_pickle=False) as data:
      meta = json.loads(str(data['meta']))
      networks = {}
      for key in data.files:
        if key.startswith('net/') and key.endswith('/count'):
          name = key[len('net/'):-len('/count')]
          networks[name] = [data[f'net/{name}/{i}']
                            for i in range(int(data[key]))]
      memory = {key[len('memory/'):]: data[key] for key in data.files
                if key.startswith('memory/')}
  except Exception as e:  # pylint: disable=broad-except
    # np.load raises BadZipFile, EOFError, OSError, ValueError... by damage.
    raise file_errors.CorruptFileError(
        path, f'not a CARL state file ({file_errors.describe(e)})') from e
  return networks, memory, meta
