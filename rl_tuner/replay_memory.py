"""ReplayMemory: a preallocated numpy ring buffer of RL Tuner transitions.

A transition is what the agent saw and did at one step of one composition:

  * ``state``       float32 ``[S]``: the q network's flat LSTM state before it
    read the previous action;
  * ``prev_action`` int32: the previous event (the network's input);
  * ``action``      int32: the event chosen, 0..37;
  * ``reward``      float32;
  * ``next_state``  float32 ``[S]``: the LSTM state after reading prev_action
    (with ``action`` as the next input it gives Q(s', .));
  * ``discount``    float32: gamma, or 0 at the last step of a composition;
  * ``next_log_prior`` float32 ``[38]``: the reward RNN's log p(.|s'), which
    the G-learning target needs.

Transitions are added B at a time (one batched environment step) and sampled
uniformly with replacement by fancy indexing, without Python loops.

With ``steps`` = T > 1 a row is T consecutive transitions of one composition
(RLTunerHParams.replay_unit = 'composition'): ``state`` is the LSTM state
before the row's first step, ``prev_action``, ``action``, ``reward`` and
``discount`` are ``[T]``, ``next_log_prior`` is ``[T, 38]`` and
``next_state`` the state after the last step. The learner then recomputes
every state with its current weights instead of using the stored ones. The
memory saves itself to one ``.npz`` written to a temporary name and renamed.
"""

import ast
import collections
import os
import zipfile

import numpy as np

from rl_tuner import file_errors

Transitions = collections.namedtuple(
    'Transitions', ['state', 'prev_action', 'action', 'reward', 'next_state',
                    'discount', 'next_log_prior'])


class ReplayMemory:
  """Fixed-capacity FIFO memory of transitions.

  Args:
    capacity: transitions kept (the paper: 100,000); the oldest are
      overwritten first.
    state_size: length S of a flat LSTM state.
    num_classes: length of a log-prior row (38).
    seed: seed of the sampling generator.
    steps: transitions per row (1: single transitions, the paper; T: whole
      compositions of T steps, see the module docstring). ``capacity``
      counts rows.

  Raises:
    ValueError: if capacity, state_size or steps is not positive.
  """

  def __init__(self, capacity: int, state_size: int, num_classes: int = 38,
               seed: int = 0, steps: int = 1):
    if capacity <= 0 or state_size <= 0 or steps <= 0:
      raise ValueError(f'ReplayMemory: capacity, state_size and steps must be '
                       f'> 0, got {capacity}, {state_size}, {steps}')
    t = [] if steps == 1 else [steps]
    self.capacity = int(capacity)
    self.state_size = int(state_size)
    self.num_classes = int(num_classes)
    self._rng = np.random.default_rng(seed)
    self._arrays = Transitions(
        state=np.zeros([capacity, state_size], np.float32),
        prev_action=np.zeros([capacity] + t, np.int32),
        action=np.zeros([capacity] + t, np.int32),
        reward=np.zeros([capacity] + t, np.float32),
        next_state=np.zeros([capacity, state_size], np.float32),
        discount=np.zeros([capacity] + t, np.float32),
        next_log_prior=np.zeros([capacity] + t + [num_classes], np.float32))
    self._next = 0  # Index the next transition is written to.
    self._size = 0
    self.num_added = 0  # Total ever added.

  def __len__(self) -> int:
    return self._size

  def add(self, transitions: Transitions) -> None:
    """Adds a batch of B rows (each field with leading dim B).

    Raises:
      ValueError: if the fields' leading dimensions differ or B > capacity.
    """
    b = len(transitions.action)
    if b > self.capacity:
      raise ValueError(f'ReplayMemory.add: batch of {b} exceeds capacity '
                       f'{self.capacity}')
    for name, value in zip(Transitions._fields, transitions):
      if len(value) != b:
        raise ValueError(f'ReplayMemory.add: field {name} has {len(value)} '
                         f'rows, action has {b}')
    if self._next + b <= self.capacity:  # One slice: no index array.
      idx = slice(self._next, self._next + b)
    else:
      idx = (self._next + np.arange(b)) % self.capacity
    for store, value in zip(self._arrays, transitions):
      store[idx] = value
    self._next = (self._next + b) % self.capacity
    self._size = min(self._size + b, self.capacity)
    self.num_added += b

  def sample(self, batch_size: int) -> Transitions:
    """``batch_size`` rows drawn uniformly with replacement.

    Raises:
      ValueError: if the memory is empty.
    """
    if self._size == 0:
      raise ValueError('ReplayMemory.sample: the memory is empty')
    idx = self._rng.integers(0, self._size, size=batch_size)
    return Transitions(*(a[idx] for a in self._arrays))

  def save(self, path: str) -> None:
    """Writes the memory (and the sampler's state) to ``path`` atomically."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = path + '.tmp.npz'
    n = self._size
    np.savez(tmp, **{f: a[:n] for f, a in zip(Transitions._fields,
                                               self._arrays)},
             meta=np.array([self.capacity, self.state_size, self.num_classes,
                            self._next, self._size, self.num_added],
                           np.int64),
             rng_state=np.array(repr(self._rng.bit_generator.state)))
    os.replace(tmp, path)

  def load(self, path: str) -> None:
    """Restores what :meth:`save` wrote.

    Raises:
      FileNotFoundError: if ``path`` does not exist.
      file_errors.CorruptFileError: (a ValueError) naming ``path`` if the file
        is truncated, not a replay memory, or its shapes differ from this
        memory's; the memory is then left unchanged.
    """
    if not os.path.exists(path):
      raise FileNotFoundError(f'No replay memory file {path!r}')
    try:
      with np.load(path) as data:
        capacity, state_size, num_classes, nxt, size, added = (
            int(v) for v in data['meta'])
        if (capacity, state_size, num_classes) != (
            self.capacity, self.state_size, self.num_classes):
          mine = (self.capacity, self.state_size, self.num_classes)
          raise file_errors.CorruptFileError(path, (
              f'replay memory shape (capacity, state_size, classes) = '
              f'{(capacity, state_size, num_classes)} differs from this '
              f'memory\'s {mine}'))
        if not (0 <= size <= capacity and 0 <= nxt < capacity
                and added >= size):
          raise file_errors.CorruptFileError(
              path, f'replay memory counters (next={nxt}, size={size}, '
              f'added={added}) are inconsistent')
        arrays = [data[field] for field in Transitions._fields]
        for field, array, store in zip(Transitions._fields, arrays,
                                       self._arrays):
          if array.shape != (size,) + store.shape[1:]:
            raise file_errors.CorruptFileError(
                path, f'replay memory field {field} has shape {array.shape}, '
                f'expected {(size,) + store.shape[1:]}')
        rng_state = ast.literal_eval(str(data['rng_state']))
        np.random.default_rng().bit_generator.state = rng_state  # Valid?
    except file_errors.CorruptFileError:
      raise
    except (KeyError, OSError, SyntaxError, ValueError, EOFError, IndexError,
            TypeError, AttributeError, zipfile.BadZipFile) as e:
      raise file_errors.CorruptFileError(
          path, f'not a readable replay memory ({file_errors.describe(e)})'
      ) from e
    for array, store in zip(arrays, self._arrays):
      store[:size] = array
    self._rng.bit_generator.state = rng_state
    self._next, self._size, self.num_added = nxt, size, added
