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
from typing import Dict, List

import numpy as np

from rl_tuner import child_process
from sonification.carl import carl_hparams


# The learner child's nice value (see RemoteAgent).
CHILD_NICE = 10


def _build(hparams_fields: dict):
  """Child process: the agent (imports TF)."""
  from sonification.carl import carl_agent  # pylint: disable=g-import-not-at-top
  return carl_agent.make_agent(carl_hparams.CarlHParams(**hparams_fields))


class RemoteAgent:
  """A CarlAgent living in a child process (rl_tuner/child_process.py).

  Args:
    hparams: CarlHParams for the child's agent.
    tf_threads: TF intra/inter-op threads in the child (1 leaves the other
      core of a 2-core machine to the clock; 0 = TF's default).
    start_timeout_s: seconds to wait for the child to import TF and build.
    nice: the child's nice value (rl_tuner/child_process.py). The learner is
      asynchronous (the session's worker thread waits for it, never the
      clock), so it can wait for the cores; default 10, as the beat agents'
      children (drums/remote_beat_agent.py CHILD_NICE).

  Raises:
    RuntimeError: if the child does not start in time or a call fails there.
  """

  def __init__(self, hparams: carl_hparams.CarlHParams, tf_threads: int = 1,
               start_timeout_s: float = 180.0, nice: int = CHILD_NICE):
    self.hparams = hparams
    self._child = child_process.ChildProcessObject(
        _build, (dataclasses.asdict(hparams),), 'CARL learner',
        tf_threads=tf_threads, start_timeout_s=start_timeout_s, nice=nice)
    self._call = self._child.call

  def train_step(self, *arrays) -> Dict[str, float]:
    """The learner's train_step on these arrays (a batch with next states,
    or pref's whole memory with references)."""
    return self._call('train_step', *[np.asarray(x) for x in arrays])

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
    self._child.close()
