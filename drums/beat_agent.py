"""The beat-prediction agent: learns, tick by tick, when to play an instrument.

Per tick (8 per bar) the agent sees a state (drums.beat_state: tick one-hot,
source history, optional own-action memory; +1/-1 values) and chooses
silence (0) or play (1). While learning it gets reward +1 when its action
equals the written target hit and -1 otherwise, stores (state, action, reward,
next state) in a FIFO replay memory, samples up to 32 distinct transitions and
takes one Adam step on the mean squared TD error of
``rl_tuner.algorithms.value_losses.q_learning`` (``y = r + discount *
max_a' Q(s', a')``; the public script's discount 0 makes it a contextual
bandit). There is no separate target network, as in the public script; the
target is under stop_gradient.

Network (../shared/SPEC.md section 2): Dense(state_size, tanh) -> Dropout 0.2
-> Dense(n, tanh) for n in ``structure`` -> Dense(2) linear (Q of silence and
play).

Speed: the learning step and the Q-value function are tf.functions with fixed
input signatures (batch dimension None), traced once; bench/drums_bench.py
measures one learn step plus one prediction per tick. The agent does no file
I/O except :meth:`save` / :meth:`load` (one .npz, written atomically).
"""

import collections
import json
from typing import Dict, Optional

import numpy as np
import tensorflow as tf

from drums import beat_agent_hparams
from drums import beat_memory
from drums import beat_state
from drums import npz_files
from rl_tuner.algorithms import value_losses

BeatAgentHParams = beat_agent_hparams.BeatAgentHParams
MODES = beat_agent_hparams.MODES
NUM_ACTIONS = 2  # 0 = silence, 1 = play.

TickResult = collections.namedtuple('TickResult',
                                    ['action', 'reward', 'loss', 'q_values'])
TickResult.__doc__ = """What the agent did at one tick.

  action: 1 play / 0 silence, or None in mode 'off'.
  reward: +1/-1 against the target hit while learning, else None.
  loss: the learning step's mean squared TD error, or None (no step taken).
  q_values: float32 [2] Q values of the state, or None in mode 'off'.
"""


def build_network(hparams: BeatAgentHParams, seed: int) -> tf.keras.Model:
  """The Q network: float32 ``[B, state_size]`` -> Q values ``[B, 2]``."""
  init = lambda i: tf.keras.initializers.GlorotUniform(seed=seed * 101 + i)
  inputs = tf.keras.Input(shape=(hparams.state_size,), dtype=tf.float32)
  x = tf.keras.layers.Dense(hparams.state_size, activation='tanh',
                            kernel_initializer=init(0))(inputs)
  x = tf.keras.layers.Dropout(hparams.dropout, seed=seed)(x)
  for i, width in enumerate(hparams.structure):
    x = tf.keras.layers.Dense(width, activation='tanh',
                              kernel_initializer=init(i + 1))(x)
  outputs = tf.keras.layers.Dense(NUM_ACTIONS, kernel_initializer=init(99))(x)
  return tf.keras.Model(inputs, outputs, name='beat_q_network')


class BeatAgent:
  """Beat predictor for one target instrument.

  Args:
    hparams: the agent's hyperparameters.

  Attributes:
    encoder: the BeatStateEncoder (its history is the agent's memory of the
      source and its own actions).
    memory: the BeatReplayMemory.
    model: the Keras Q network.
    losses: the loss of every learning step so far.
  """

  def __init__(self, hparams: BeatAgentHParams = BeatAgentHParams()):
    self.hparams = hparams
    self.encoder = beat_state.BeatStateEncoder(
        hparams.ticks_per_bar, hparams.source_history, hparams.action_memory)
    self.memory = beat_memory.BeatReplayMemory(
        hparams.replay_size, hparams.state_size, seed=hparams.seed)
    self._rng = np.random.default_rng(hparams.seed)
    self._resets = 0
    self.model = build_network(hparams, hparams.seed)
    self.optimizer = tf.keras.optimizers.Adam(hparams.learning_rate)
    self.optimizer.build(self.model.trainable_variables)
    spec = tf.TensorSpec([None, hparams.state_size], tf.float32)
    self._q_fn = tf.function(self._q_values_graph, input_signature=[spec])
    actions = tf.TensorSpec([None], tf.int32)
    rewards = tf.TensorSpec([None], tf.float32)
    self._learn_fn = tf.function(self._learn_graph, input_signature=[
        spec, actions, rewards, spec])
    self._act_learn_fn = tf.function(self._act_learn_graph, input_signature=[
        spec, spec, actions, rewards, spec])
    self._pending = None  # (state, action, reward) awaiting its next state.
    self.losses = []
    self._weight_shapes = [tuple(w.shape) for w in self.model.weights]
    # Adam's moments and step count restart at a reset; its learning rate
    # (also an optimiser variable) must not be zeroed with them.
    self._slots = [v for v in self.optimizer.variables
                   if 'learning_rate' not in v.name]
    self._slot_index = {id(v): i for i, v in enumerate(self._slots)}
    # Assigned in one graph call from two flat vectors (float32, int64):
    # ~0.3 ms, where 32 separate inputs cost 1.4 ms of conversions.
    targets = list(self.model.weights) + self._slots
    self._float_vars = [v for v in targets if 'float' in str(v.dtype)]
    self._int_vars = [v for v in targets if 'float' not in str(v.dtype)]
    self._assign_fn = tf.function(self._assign_graph, input_signature=[
        tf.TensorSpec([None], tf.float32), tf.TensorSpec([None], tf.int64)])
    self._read_fn = tf.function(self._read_graph, input_signature=[])

  # --- TF graphs (traced once) ---

  def _q_values_graph(self, states):
    return self.model(states, training=False)

  def _learn_graph(self, states, actions, rewards, next_states):
    q_t = self.model(next_states, training=False)
    discounts = tf.fill(tf.shape(rewards), self.hparams.discount)
    with tf.GradientTape() as tape:
      q_tm1 = self.model(states, training=True)
      out = value_losses.q_learning(q_tm1, actions, rewards, discounts, q_t)
      loss = tf.reduce_mean(out.loss)
    grads = tape.gradient(loss, self.model.trainable_variables)
    self.optimizer.apply_gradients(zip(grads, self.model.trainable_variables))
    return loss

  def _act_learn_graph(self, state, states, actions, rewards, next_states):
    """Q values of ``state`` [1, S] (before the update), then one step."""
    q = self.model(state, training=False)[0]
    return q, self._learn_graph(states, actions, rewards, next_states)

  def _assign_graph(self, flat_floats, flat_ints):
    """Assigns every float and int variable of :meth:`_assign` at once."""
    for variables, flat in ((self._float_vars, flat_floats),
                            (self._int_vars, flat_ints)):
      offset = 0
      for variable in variables:
        size = int(np.prod(variable.shape))
        variable.assign(tf.cast(tf.reshape(flat[offset:offset + size],
                                           variable.shape), variable.dtype))
        offset += size
    return tf.constant(0)

  def _pack(self, weights, slots):
    """(flat float32, flat int64) of weights and slots for _assign_fn."""
    values = {id(v): w for v, w in zip(self.model.weights, weights)}
    values.update({id(v): w for v, w in zip(self._slots, slots)})
    flat = []
    for variables, dtype in ((self._float_vars, np.float32),
                             (self._int_vars, np.int64)):
      parts = [np.asarray(values[id(v)], dtype).reshape(-1)
               for v in variables]
      flat.append(np.concatenate(parts) if parts else np.zeros(0, dtype))
    return flat

  def _assign(self, weights, slots) -> None:
    self._assign_fn(*self._pack(weights, slots))

  def _read_graph(self):
    """The model's weights and Adam's variables, read in one call."""
    return ([tf.identity(v) for v in self.model.weights],
            [tf.identity(v) for v in self.optimizer.variables])

  def _zero_slots(self):
    return [np.zeros(v.shape, np.dtype(v.dtype)) for v in self._slots]

  def tracing_counts(self) -> Dict[str, int]:
    """How often each tf.function was traced (at most 1 each, ever)."""
    return {'q_values': self._q_fn.experimental_get_tracing_count(),
            'learn': self._learn_fn.experimental_get_tracing_count(),
            'act_learn': self._act_learn_fn.experimental_get_tracing_count()}

  def warm_up(self) -> None:
    """Traces every tf.function now (no weights change, nothing is learned).

    Call before a realtime clock starts so the first tick does not pay for
    tracing (about a second on a 2-core CPU), nor for the first execution of
    each graph (TF optimises a graph when it first runs it: about 30 ms for
    the Q values and 200 ms for a learning step here). Each function runs
    once on a one-transition batch of zeros; every model and optimiser
    variable (dropout's RNG state included) is then put back as it was.
    """
    variables = list(self.model.variables) + list(self.optimizer.variables)
    saved = [v.numpy() for v in variables]
    for fn in (self._q_fn, self._learn_fn, self._act_learn_fn):
      fn(*[np.zeros([1] + list(spec.shape[1:]), spec.dtype.as_numpy_dtype)
           for spec in fn.input_signature])
    self._assign([np.zeros(shape, np.float32)
                  for shape in self._weight_shapes], self._zero_slots())
    self._read_fn()
    for variable, value in zip(variables, saved):
      variable.assign(value)

  # --- acting and learning ---

  def q_values(self, state: np.ndarray) -> np.ndarray:
    """Q values float32 ``[2]`` of one state ``[state_size]``."""
    return self._q_fn(state[None, :])[0].numpy()

  def act(self, state: np.ndarray, explore: bool = False, q=None):
    """Greedy action (epsilon-greedy when ``explore``) and the Q values.

    Args:
      state: float32 ``[state_size]``.
      explore: take a random action with probability epsilon.
      q: the state's Q values ``[2]`` if already computed.
    """
    q = self.q_values(state) if q is None else q
    if explore and self.hparams.epsilon > 0 and (
        self._rng.random() < self.hparams.epsilon):
      return int(self._rng.integers(NUM_ACTIONS)), q
    return int(q[1] > q[0]), q

  def learn_step(self) -> Optional[float]:
    """One Adam step on up to batch_size replayed transitions; the loss.

    Returns:
      The mean squared TD error, or None while the memory is empty.

    Raises:
      FloatingPointError: if the loss is NaN or infinite.
    """
    batch = self.memory.sample(self.hparams.batch_size)
    if batch is None:
      return None
    loss = float(self._learn_fn(*batch))
    if not np.isfinite(loss):
      raise FloatingPointError(f'BeatAgent: loss became {loss}')
    self.losses.append(loss)
    return loss

  def _tick_learn(self, tick, source_hit, target_hit):
    if target_hit is None:
      raise ValueError('BeatAgent: mode learn needs a target hit (0/1)')
    state = self._observe(tick, source_hit, keep_pending=True)
    batch = self.memory.sample(self.hparams.batch_size)
    loss = q = None
    if batch is not None:  # One graph call: act, then learn (5 ms budget).
      q, loss = self._act_learn_fn(state[None, :], *batch)
      q, loss = q.numpy(), float(loss)
      if not np.isfinite(loss):
        raise FloatingPointError(f'BeatAgent: loss became {loss}')
      self.losses.append(loss)
    action, q = self.act(state, explore=True, q=q)
    self.encoder.push_action(action)
    reward = beat_state.reward(action, target_hit)
    self._pending = (state, action, reward)
    return TickResult(action, reward, loss, q)

  def _tick_predict(self, tick, source_hit, target_hit):
    del target_hit
    state = self._observe(tick, source_hit, keep_pending=False)
    action, q = self.act(state, explore=False)
    self.encoder.push_action(action)
    return TickResult(action, None, None, q)

  def _tick_off(self, tick, source_hit, target_hit):
    del tick, target_hit
    self._pending = None
    self.encoder.push_source(source_hit)
    self.encoder.push_action(0)
    return TickResult(None, None, None, None)

  def _observe(self, tick, source_hit, keep_pending):
    self.encoder.push_source(source_hit)
    state = self.encoder.state(tick)
    if keep_pending and self._pending is not None:
      self.memory.add(*self._pending, state)
    self._pending = None
    return state

  def tick(self, tick: int, source_hit, target_hit=None,
           mode: str = 'learn') -> TickResult:
    """One clock tick.

    In 'learn' the agent acts (epsilon-greedy), is rewarded against
    ``target_hit``, stores the previous tick's transition (whose next state is
    this tick's) and takes one learning step. In 'predict' it acts greedily
    and does not learn. In 'off' it only keeps listening to the source.

    Args:
      tick: tick index in the bar, 0..ticks_per_bar-1 (taken modulo).
      source_hit: 0/1, the (latched) source hit at this tick.
      target_hit: 0/1, the written target hit; needed in 'learn'.
      mode: 'learn', 'predict' or 'off'.

    Returns:
      A TickResult.

    Raises:
      ValueError: on an unknown mode, or 'learn' without a target.
    """
    try:
      step = self._MODES[mode]
    except KeyError:
      raise ValueError(f'BeatAgent: unknown mode {mode!r}; expected one of '
                       f'{list(MODES)}') from None
    return step(self, tick, source_hit, target_hit)

  _MODES = {'learn': _tick_learn, 'predict': _tick_predict, 'off': _tick_off}

  # --- reset, save, load ---

  def fresh_weights(self) -> list:
    """New random network weights for :meth:`reset`, in numpy (no TF).

    Glorot-uniform kernels (limit sqrt(6 / (fan_in + fan_out)), Glorot &
    Bengio 2010, Keras' default) and zero biases, as build_network makes,
    drawn from a generator seeded by the seed and the reset count. Building
    a new Keras model per reset instead cost ~0.1 s and leaked ~0.38 MB
    (issue 12 item 2). Safe to call off the clock thread: it reads only the
    shapes.

    Returns:
      One array per model weight, shapes as ``model.get_weights()``.
    """
    rng = np.random.default_rng(
        [self.hparams.seed, 7919 * (self._resets + 1)])
    weights = []
    for shape in self._weight_shapes:
      if len(shape) == 2:
        limit = np.sqrt(6.0 / (shape[0] + shape[1]))
        weights.append(rng.uniform(-limit, limit, shape).astype(np.float32))
      else:
        weights.append(np.zeros(shape, np.float32))
    return weights

  def reset(self, weights: Optional[list] = None) -> None:
    """Fresh random weights and optimiser state; memory and history cleared.

    Args:
      weights: from :meth:`fresh_weights` (made off the clock thread by a
        live session); default: made here.
    """
    if weights is None:
      weights = self.fresh_weights()
    self._resets += 1
    self._assign(weights, self._zero_slots())
    self.memory.clear()
    self.encoder.reset()
    self._pending = None
    self.losses = []

  def state_dict(self) -> Dict[str, np.ndarray]:
    """Weights, optimiser slots, replay memory and history as named arrays."""
    arrays = {'hparams': np.array(json.dumps(self.hparams.to_dict()))}
    weights, optimizer = self._read_fn()
    for i, w in enumerate(weights):
      arrays[f'weight_{i}'] = w.numpy()
    for i, v in enumerate(optimizer):
      arrays[f'optimizer_{i}'] = v.numpy()
    for name, value in self.memory.to_arrays().items():
      arrays[f'memory_{name}'] = value
    for name, value in self.encoder.get_history().items():
      arrays[f'history_{name}'] = value
    return arrays

  def check_state_dict(self, arrays: Dict[str, np.ndarray]) -> None:
    """Checks saved arrays fit this agent (safe off the clock thread).

    Raises:
      ValueError: if the saved network or state size differs from this
        agent's (naming both), or an array is missing or misshapen.
    """
    try:
      saved = json.loads(str(arrays['hparams']))
      for name in ('structure', 'ticks_per_bar', 'source_history',
                   'action_memory'):
        mine = self.hparams.to_dict()[name]
        if list(np.atleast_1d(saved[name])) != list(np.atleast_1d(mine)):
          raise ValueError(f'BeatAgent.load: saved {name}={saved[name]} but '
                           f'this agent has {name}={mine}')
      for i, shape in enumerate(self._weight_shapes):
        if tuple(np.shape(arrays[f'weight_{i}'])) != shape:
          raise ValueError(f'BeatAgent.load: weight_{i} has shape '
                           f'{np.shape(arrays[f"weight_{i}"])}, expected '
                           f'{shape}')
        if not np.isfinite(arrays[f'weight_{i}']).all():
          raise ValueError(f'BeatAgent.load: weight_{i} is not finite')
    except KeyError as e:
      raise ValueError(f'BeatAgent.load: saved state lacks {e}') from None

  def load_state_dict(self, arrays: Dict[str, np.ndarray]) -> None:
    """Restores what :meth:`state_dict` returned.

    Raises:
      ValueError: if the saved network or state size differs from this
        agent's (naming both).
    """
    self.check_state_dict(arrays)
    weights = [np.asarray(arrays[f'weight_{i}'], np.float32)
               for i in range(len(self._weight_shapes))]
    slots = self._zero_slots()
    for i, v in enumerate(self.optimizer.variables):
      if f'optimizer_{i}' in arrays and id(v) in self._slot_index:
        j = self._slot_index[id(v)]
        slots[j] = np.asarray(arrays[f'optimizer_{i}'],
                              slots[j].dtype).reshape(slots[j].shape)
    self._assign(weights, slots)
    self.memory.from_arrays({name: arrays[f'memory_{name}'] for name in
                             ('states', 'actions', 'rewards', 'next_states')})
    self.encoder.set_history({'sources': arrays['history_sources'],
                              'actions': arrays['history_actions']})
    self._pending = None

  def save(self, path: str) -> str:
    """Saves model and replay memory to one .npz, atomically; the path."""
    return npz_files.save_npz(path, self.state_dict())

  def load(self, path: str) -> None:
    """Loads what :meth:`save` wrote (see :meth:`load_state_dict`)."""
    self.load_state_dict(npz_files.load_npz(path))
