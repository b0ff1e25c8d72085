"""CARL's interactive loop: hot path on the clock, learning in a worker.

Per tick (clock thread, no TF): the numpy actor maps the current input to
parameters, exploration noise is added (Ornstein-Uhlenbeck per tick, or a
sample held until the next reward: CarlHParams.noise_mode) and the result
clipped to [0, 1]; the parameters go to the sinks (OSC ``/carl/params``,
MIDI CC).
Every ``optimise_every`` ticks (paused at the top of the range) an
optimisation request goes to the learner thread, which runs the learner
(DDPG or rwsl, ``steps_per_call`` steps) on a batch from the replay memory
(pref: on the whole memory, with each judgement's reference sound) and then
swaps fresh actor weights into the numpy actor.

The player's controls (Python API, and OSC through :meth:`handlers`):
reward(+/-), randomise_actor, randomise_critic, clear_memory,
set_reward_scale, set_optimise_every, set_noise, set_input, set_input_at,
save, load.
A reward stores (state, action, value * reward_scale, next_state = state)
for the last state and action played, or (CarlHParams.credit_ticks = N) for
the mean state and action of the ticks since the previous reward, at most
the last N: the player judged what it heard, not one 20 ms tick.

Safety (issue 12 item 1): every control value is checked here too (finite,
in the ranges of sonification.osc_control: reward within +-REWARD_LIMIT,
reward scale in (0, 100], noise in [0, 1], inputs within +-INPUT_LIMIT), so
no caller can store a non-finite or absurd value; the learner skips (and
counts) a step whose loss or gradients are not finite; a save whose
networks or memory are not finite is refused (counted); the last
:data:`KEEP_SAVES` good saves are kept (``carl_state.npz``, ``.1.npz``,
``.2.npz``) and a session restores the newest one that loads and is finite.

This module imports no TF: the agent (sonification.carl.carl_agent.CarlAgent, or any
object with the same methods) is passed in.
"""

import logging
import math
import os
import queue
import threading
from typing import Callable, Dict, List, Optional

import numpy as np

from sonification.carl import carl_hparams
from sonification.carl import carl_memory
from sonification.carl import carl_policy
from sonification import osc_control
from sonification import sinks as sinks_lib

STATE_FILE = 'carl_state.npz'
KEEP_SAVES = 3  # the newest good save and two older ones.
MAX_CONTROL_JOBS = 8  # randomise/save/load jobs waiting for the learner.


def _check(name: str, value, low: float, high: float,
           low_open: bool = False) -> float:
  """``value`` as a float if finite and in range, else ValueError."""
  if isinstance(value, (str, bytes, bool)):
    raise ValueError(f'{name} must be a number, got {value!r:.40}')
  try:
    value = float(value)
  except (TypeError, ValueError, OverflowError):
    raise ValueError(f'{name} must be a number, got {value!r:.40}') from None
  if not (math.isfinite(value) and
          (value > low if low_open else value >= low) and value <= high):
    raise ValueError(f'{name} must be in {"(" if low_open else "["}{low:g}, '
                     f'{high:g}], got {value!r}')
  return value


def backup_paths(path: str, keep: int = KEEP_SAVES) -> List[str]:
  """The rotation of a state file, newest first: path, path.1, path.2..."""
  root, ext = os.path.splitext(path)
  return [path] + [f'{root}.{i}{ext}' for i in range(1, keep)]


def state_finite(networks: Dict[str, List[np.ndarray]],
                 memory: Dict[str, np.ndarray]) -> bool:
  """True if every network weight and every stored transition is finite."""
  return (all(np.isfinite(w).all() for ws in networks.values() for w in ws)
          and all(np.isfinite(v).all() for v in memory.values()))


class CarlSession:
  """The realtime CARL loop around a learner agent.

  Args:
    agent: a CarlAgent (train_step, actor_weights, randomise_actor,
      randomise_critic, get_networks, set_networks, hparams).
    sink: where parameters go (``parameters(values, time_s)``).
    state_dir: directory of the autosave file; restored at start if present.
    autosave_every_bars: save every K bars (0 = never).
    ticks_per_bar: to count bars.
    threaded: run the learner in a worker thread (False: synchronously,
      for deterministic tests).

  Attributes:
    losses: the last learner losses; ``optimisations`` their count.
  """

  def __init__(self, agent, sink: Optional[sinks_lib.Sink] = None,
               state_dir: Optional[str] = None, autosave_every_bars: int = 0,
               ticks_per_bar: int = 8, threaded: bool = True):
    hp: carl_hparams.CarlHParams = agent.hparams
    self.hparams = hp
    self.agent = agent
    self.sink = sink or sinks_lib.Sink()
    self.state_dir = state_dir
    self.autosave_every_bars = autosave_every_bars
    self.ticks_per_bar = ticks_per_bar
    self.memory = carl_memory.ReplayMemory(hp.memory_size, hp.input_size,
                                           hp.output_size)
    self.actor = carl_policy.NumpyActor(agent.actor_weights())
    self.noise = carl_policy.make_noise(hp.noise_mode, hp.output_size,
                                        hp.noise_sigma, hp.noise_theta,
                                        seed=hp.seed)
    # The last credit_ticks (state, action) pairs, a ring (credit_ticks > 0).
    window = max(hp.credit_ticks, 1)
    self._recent_states = np.zeros((window, hp.input_size))
    self._recent_actions = np.zeros((window, hp.output_size))
    self._recent_means = np.zeros((window, hp.output_size))  # mu, no noise.
    self._since_reward = 0  # ticks played since the last reward.
    self._previous_judged = None  # (state, sound heard) of the last reward.
    self.reward_scale = hp.reward_scale
    self.optimise_every = hp.optimise_every
    self.input = np.zeros(hp.input_size)
    self.last_state = self.input.copy()
    self.last_action = self.actor(self.input)
    self.last_mean = self.last_action  # the actor's output without noise.
    self.ticks = 0
    self.optimisations = 0
    self.rewards_stored = 0
    self.losses: Dict[str, float] = {}
    self.learner_errors = 0
    self.skipped_steps = 0  # non-finite learner steps, not applied.
    self.refused_saves = 0  # saves refused because the state was not finite.
    self.refused_jobs = 0  # control jobs refused: MAX_CONTROL_JOBS waiting.
    self._rng = np.random.default_rng(hp.seed + 1)
    self._threaded = threaded
    self._jobs: 'queue.Queue' = queue.Queue()
    self._optimise_pending = threading.Event()
    self._worker: Optional[threading.Thread] = None
    if state_dir:
      self._restore_newest()

  def _restore_newest(self) -> None:
    """Loads the newest save in the rotation that loads and is finite."""
    for path in backup_paths(self.state_path()):
      if not os.path.exists(path):
        continue
      try:
        self._load(path)
      except (OSError, ValueError, RuntimeError) as e:
        logging.warning('CARL: not restoring %s: %s', path, e)
        continue
      logging.info('CARL: restored %s (%d transitions)', path,
                   len(self.memory))
      return

  # ---------------------------------------------------------------- worker --

  def start(self) -> 'CarlSession':
    if self._threaded and self._worker is None:
      self._worker = threading.Thread(target=self._work, name='carl-learner',
                                      daemon=True)
      self._worker.start()
    return self

  def close(self, save: bool = True) -> None:
    """Stops the learner (after finishing queued jobs); saves if state_dir."""
    if save and self.state_dir:
      self.save()
    if self._worker is not None:
      self._jobs.put(None)
      self._worker.join(timeout=30.0)
      self._worker = None

  def wait_idle(self, timeout_s: float = 30.0) -> bool:
    """Waits until the learner has finished its queued jobs (tests, exit).

    Returns:
      True when idle, False on timeout.
    """
    waiter = threading.Event()
    waited = 0.0
    while self._jobs.unfinished_tasks and waited < timeout_s:
      waiter.wait(0.005)
      waited += 0.005
    return not self._jobs.unfinished_tasks

  def _submit(self, job: Callable[[], None], control: bool = True) -> None:
    """Queues a learner job.

    Raises:
      RuntimeError: for a control job (randomise, save, load) when
        MAX_CONTROL_JOBS are already waiting: a flood of them must not
        starve the optimisation steps (it did: 6 DDPG steps in 20 s).
    """
    if self._threaded:
      if control and self._jobs.qsize() >= MAX_CONTROL_JOBS:
        self.refused_jobs += 1
        raise RuntimeError(f'CARL: {self._jobs.qsize()} learner jobs are '
                           f'waiting; try again later')
      self._jobs.put(job)
    else:
      self._run_job(job)

  def _work(self) -> None:
    while True:
      job = self._jobs.get()
      try:
        if job is None:
          return
        self._run_job(job)
      finally:
        self._jobs.task_done()

  def _run_job(self, job) -> None:
    try:
      job()
    except Exception as e:  # pylint: disable=broad-except
      self.learner_errors += 1
      if self.learner_errors <= 10 or self.learner_errors % 1000 == 0:
        logging.error('CARL learner job failed (%d so far): %s: %s',
                      self.learner_errors, type(e).__name__, e)

  def _optimise(self) -> None:
    self._optimise_pending.clear()
    if self.hparams.algo == 'pref':  # every judgement, with its reference.
      batch = self.memory.all_with_refs()
    else:
      batch = self.memory.sample(self.hparams.batch_size, self._rng)
    if batch is None:
      return
    losses = dict(self.agent.train_step(*batch))
    if losses.pop('skipped', 0):
      self.skipped_steps += 1
      return
    self.losses = losses
    self.optimisations += 1
    self._publish_actor()

  def _publish_actor(self) -> None:
    self.actor.set_weights(self.agent.actor_weights())

  # -------------------------------------------------------------- hot path --

  def on_tick(self, tick) -> np.ndarray:
    """One clock tick: act, send parameters, maybe request optimisation.

    Args:
      tick: a :class:`sonification.clock.Tick` (index, bar, step, time_s).

    Returns:
      The parameters sent, ``[output_size]`` in [0, 1].
    """
    state = self.input.copy()
    mean = self.actor(state)
    action = carl_policy.explore(mean, self.noise())
    self.last_state, self.last_action, self.last_mean = state, action, mean
    slot = self.ticks % len(self._recent_states)
    self._recent_states[slot], self._recent_actions[slot] = state, action
    self._recent_means[slot] = mean
    self._since_reward += 1
    self.sink.parameters(action, tick.time_s)
    self.ticks += 1
    if (self.optimise_every < self.hparams.optimise_every_max and
        self.ticks % self.optimise_every == 0 and
        len(self.memory) >= self.hparams.batch_size and
        not self._optimise_pending.is_set()):
      self._optimise_pending.set()
      self._submit(self._optimise, control=False)
    if (self.autosave_every_bars and self.state_dir and tick.step == 0 and
        tick.bar > 0 and tick.bar % self.autosave_every_bars == 0):
      try:
        self.save()
      except RuntimeError:
        pass  # the learner is flooded: counted in refused_jobs; next time.
    return action

  # -------------------------------------------------------------- controls --

  def judged(self):
    """What a reward now credits: (state ``[input_size]``, action
    ``[output_size]``, the actor's noise-free output ``[output_size]``) of
    the last tick, or (credit_ticks = N) their means over the ticks since
    the previous reward, at most the last N (the last tick's if none was
    played since)."""
    n = min(self._since_reward, self.hparams.credit_ticks, self.ticks)
    if n <= 1:
      return self.last_state, self.last_action, self.last_mean
    size = len(self._recent_states)
    rows = (self.ticks - 1 - np.arange(n)) % size
    return (self._recent_states[rows].mean(axis=0),
            self._recent_actions[rows].mean(axis=0),
            self._recent_means[rows].mean(axis=0))

  def reference(self, state: np.ndarray):
    """The sound the player most likely compared with at ``state``: that of
    the previous reward if the input moved at most ``hparams.ref_radius``
    since (``[output_size]``), else None."""
    if self._previous_judged is None:
      return None
    previous_state, previous_action = self._previous_judged
    if np.linalg.norm(state - previous_state) > self.hparams.ref_radius:
      return None
    return previous_action

  def reward(self, value: float = 1.0) -> None:
    """Stores (state, action, value * reward_scale, state, reference) for
    what was judged (:meth:`judged`, :meth:`reference`; with
    mirror_dislikes a dislike becomes a like of the mirrored action), then
    lets held noise draw its next sample.

    Raises:
      ValueError: if value is not finite or |value| > REWARD_LIMIT (10).
    """
    limit = osc_control.REWARD_LIMIT
    value = _check('reward', value, -limit, limit)
    state, action, mean = self.judged()
    ref = self.reference(state)
    self._previous_judged = (state, action)
    if self.hparams.mirror_dislikes and value < 0:
      action, value = np.clip(2 * mean - action, 0.0, 1.0), -value
    self.memory.add(state, action, value * self.reward_scale, state, ref)
    self.rewards_stored += 1
    self._since_reward = 0
    self.noise.on_reward()

  def set_input(self, *values: float) -> None:
    """Sets the input vector (x, y, z, ...).

    Raises:
      ValueError: if the length differs from hparams.input_size.
    """
    if len(values) != self.hparams.input_size:
      raise ValueError(f'CARL input needs {self.hparams.input_size} values, '
                       f'got {len(values)}')
    limit = osc_control.INPUT_LIMIT
    self.input = np.array([_check(f'input {i}', v, -limit, limit)
                           for i, v in enumerate(values)], np.float64)

  def set_input_at(self, index: int, value: float) -> None:
    """Sets one component of the input vector (a MIDI CC, a mouse axis).

    Raises:
      IndexError: if index is not in [0, input_size).
      ValueError: if value is not finite or |value| > INPUT_LIMIT.
    """
    if not (isinstance(index, (int, np.integer)) and
            0 <= index < self.hparams.input_size):
      raise IndexError(f'CARL input index must be in [0, '
                       f'{self.hparams.input_size}), got {index!r:.40}')
    limit = osc_control.INPUT_LIMIT
    value = _check(f'input {index}', value, -limit, limit)
    vector = self.input.copy()
    vector[int(index)] = value
    self.input = vector

  def randomise_actor(self) -> None:
    self._submit(lambda: (self.agent.randomise_actor(),
                          self._publish_actor()))

  def randomise_critic(self) -> None:
    self._submit(self.agent.randomise_critic)

  def clear_memory(self) -> None:
    self.memory.clear()

  def set_reward_scale(self, scale: float) -> None:
    """Raises ValueError outside (0, 100] (osc_control.REWARD_SCALE_RANGE)."""
    self.reward_scale = _check('reward scale', scale,
                               *osc_control.REWARD_SCALE_RANGE, low_open=True)

  def set_optimise_every(self, n: int) -> None:
    """Optimise every n ticks; n >= optimise_every_max pauses learning.

    Raises:
      ValueError: unless n is a whole number in [1, 10^6].
    """
    n = _check('optimise_every', n, 1, osc_control.OPTIMISE_EVERY_MAX)
    if n != int(n):
      raise ValueError(f'optimise_every must be a whole number, got {n}')
    self.optimise_every = int(n)

  def set_noise(self, sigma: float) -> None:
    """Raises ValueError outside [0, 1] (osc_control.NOISE_RANGE)."""
    self.noise.sigma = _check('noise sigma', sigma, *osc_control.NOISE_RANGE)

  def state_path(self) -> str:
    if not self.state_dir:
      raise ValueError('CARL has no state_dir; give a path')
    return os.path.join(self.state_dir, STATE_FILE)

  def save(self, path: Optional[str] = None) -> None:
    """Saves all four networks and the memory (in the learner thread)."""
    path = path or self.state_path()
    self._submit(lambda: self._save(path))

  def load(self, path: Optional[str] = None) -> None:
    """Loads all four networks and the memory (in the learner thread)."""
    path = path or self.state_path()
    self._submit(lambda: self._load(path))

  def _meta(self) -> dict:
    return dict(kind='carl', hparams=repr(self.hparams),
                input_size=self.hparams.input_size,
                output_size=self.hparams.output_size,
                reward_scale=self.reward_scale,
                optimise_every=self.optimise_every,
                noise_sigma=self.noise.sigma,
                optimisations=self.optimisations,
                rewards_stored=self.rewards_stored)

  def _save(self, path: str) -> None:
    """Saves unless the state is not finite; the default path rotates the
    last KEEP_SAVES good saves."""
    networks, memory = self.agent.get_networks(), self.memory.get_state()
    if not state_finite(networks, memory):
      self.refused_saves += 1
      raise ValueError(f'CARL: not saving to {path}: the networks or the '
                       f'memory are not finite ({self.refused_saves} saves '
                       f'refused)')
    rotate = self.state_dir and path == self.state_path()
    target = path + '.new.npz' if rotate else path
    carl_memory.save_state(target, networks, memory, self._meta())
    if rotate:
      paths = backup_paths(path)
      for newer, older in zip(paths[-2::-1], paths[:0:-1]):
        if os.path.exists(newer):
          os.replace(newer, older)
      os.replace(target, path)

  def _load(self, path: str) -> None:
    networks, memory, meta = carl_memory.load_state(path)
    if not state_finite(networks, memory):
      raise ValueError(f'{path}: the saved networks or memory are not finite')
    if (meta.get('input_size') != self.hparams.input_size or
        meta.get('output_size') != self.hparams.output_size):
      raise ValueError(
          f'{path}: saved for {meta.get("input_size")} inputs and '
          f'{meta.get("output_size")} outputs, this session has '
          f'{self.hparams.input_size} and {self.hparams.output_size}')
    self.agent.set_networks(networks)
    self.memory.set_state(memory)
    self.reward_scale = float(meta.get('reward_scale', self.reward_scale))
    self.optimise_every = int(meta.get('optimise_every', self.optimise_every))
    self.noise.sigma = float(meta.get('noise_sigma', self.noise.sigma))
    self.optimisations = int(meta.get('optimisations', 0))
    self.rewards_stored = int(meta.get('rewards_stored', 0))
    self._publish_actor()

  def status(self) -> dict:
    """For the live display: memory size, rewards, DDPG steps, losses."""
    status = dict(memory=len(self.memory), rewards=self.rewards_stored,
                  optimisations=self.optimisations, **self.losses)
    for name in ('skipped_steps', 'refused_saves', 'refused_jobs',
                 'learner_errors'):
      if getattr(self, name):
        status[name] = getattr(self, name)
    return status

  def handlers(self) -> Dict[str, Callable]:
    """OSC command name -> method, for osc_control.CommandRouter."""
    return {
        'carl/reward': self.reward,
        'carl/randomise_actor': self.randomise_actor,
        'carl/randomise_critic': self.randomise_critic,
        'carl/clear_memory': self.clear_memory,
        'carl/reward_scale': self.set_reward_scale,
        'carl/optimise_every': self.set_optimise_every,
        'carl/noise': self.set_noise,
        'carl/input': self.set_input,
        'carl/input_at': self.set_input_at,
        'carl/save': self.save,
        'carl/load': self.load,
    }


def mean_distance(actor: carl_policy.NumpyActor, inputs: np.ndarray,
                  target: Callable[[np.ndarray], np.ndarray]) -> float:
  """Mean Euclidean distance of the actor's outputs to target(inputs).

  Args:
    inputs: ``[N, input_size]``; target maps them to ``[N, output_size]``.
  """
  return float(np.mean(np.linalg.norm(actor(inputs) - target(inputs),
                                      axis=1)))

