"""CARL's learner in a child process: the clock process never imports TF.

:class:`RemoteAgent` has the agent interface that
:class:`sonification.carl.carl_session.CarlSession` uses (``hparams``,
``train_step``, ``actor_weights``, ``randomise_actor``, ``randomise_critic``,
``get_networks``, ``set_networks``) and forwards each call over a pipe to a
``spawn``-ed process that owns the TF :class:`sonification.carl.carl_agent.CarlAgent`.

Why: a learner *thread* shares the GIL with the clock thread; TF's Python
side holds it for a few milliseconds per step, which showed up as tick
lateness (p99 of 9 ms at a 2 ms period on this 2-core machine). The session's
worker thread still does the waiting (a blocking ``recv`` releases the GIL),
so the clock thread only pays for handing over a batch of 4 transitions and
receiving ~300 actor weights.
"""

import dataclasses
import multiprocessing
import os
import threading
from typing import Dict, List

import numpy as np

from sonification.carl import carl_hparams


def _serve(conn, hparams_fields: dict, tf_threads: int) -> None:
  """Child process: builds the agent, answers (method, args) requests."""
  try:  # Not at the real-time priority of the thread that spawned us.
    os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))
  except (AttributeError, OSError):
    pass
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  if tf_threads:
    tf.config.threading.set_intra_op_parallelism_threads(tf_threads)
    tf.config.threading.set_inter_op_parallelism_threads(tf_threads)
  from sonification.carl import carl_agent  # pylint: disable=g-import-not-at-top
  agent = carl_agent.make_agent(carl_hparams.CarlHParams(**hparams_fields))
  conn.send((True, 'ready'))
  while True:
    try:
      request = conn.recv()
    except EOFError:
      return
    if request is None:
      return
    method, args = request
    try:
      conn.send((True, getattr(agent, method)(*args)))
    except Exception as e:  # pylint: disable=broad-except
      conn.send((False, f'{type(e).__name__}: {e}'))


class RemoteAgent:
  """A CarlAgent living in a child process.

  Args:
    hparams: CarlHParams for the child's agent.
    tf_threads: TF intra/inter-op threads in the child (1 leaves the other
      core of a 2-core machine to the clock; 0 = TF's default).
    start_timeout_s: seconds to wait for the child to import TF and build.

  Raises:
    RuntimeError: if the child does not start in time or a call fails there.
  """

  def __init__(self, hparams: carl_hparams.CarlHParams, tf_threads: int = 1,
               start_timeout_s: float = 180.0):
    self.hparams = hparams
    ctx = multiprocessing.get_context('spawn')
    self._conn, child = ctx.Pipe()
    fields = dataclasses.asdict(hparams)
    self._process = ctx.Process(target=_serve, name='carl-learner',
                                args=(child, fields, tf_threads), daemon=True)
    self._process.start()
    child.close()
    self._lock = threading.Lock()
    if not self._conn.poll(start_timeout_s):
      self.close()
      raise RuntimeError(f'CARL learner process did not start within '
                         f'{start_timeout_s} s')
    self._conn.recv()

  def _call(self, method: str, *args):
    with self._lock:
      try:
        self._conn.send((method, args))
        ok, result = self._conn.recv()
      except (EOFError, OSError) as e:
        raise RuntimeError(f'CARL learner process is gone ({e}); exit code '
                           f'{self._process.exitcode}') from e
    if not ok:
      raise RuntimeError(f'CARL learner process: {method} failed: {result}')
    return result

  def train_step(self, states, actions, rewards, next_states
                 ) -> Dict[str, float]:
    return self._call('train_step', np.asarray(states), np.asarray(actions),
                      np.asarray(rewards), np.asarray(next_states))

  def actor_weights(self) -> List[np.ndarray]:
    return self._call('actor_weights')

  def randomise_actor(self) -> None:
    self._call('randomise_actor')

  def randomise_critic(self) -> None:
    self._call('randomise_critic')

  def get_networks(self) -> Dict[str, List[np.ndarray]]:
    return self._call('get_networks')

  def set_networks(self, networks) -> None:
    self._call('set_networks', networks)

  def close(self) -> None:
    """Stops the child process (idempotent)."""
    if self._process.is_alive():
      try:
        with self._lock:
          self._conn.send(None)
      except (OSError, BrokenPipeError):
        pass
      self._process.join(5.0)
      if self._process.is_alive():
        self._process.terminate()
        self._process.join(5.0)
    self._conn.close()
