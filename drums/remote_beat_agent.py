"""A beat agent in a child process: the live clock's process never runs TF.

Building, tracing and first-running a BeatAgent's graphs on a worker
*thread* still made the clock thread's ticks up to 260 ms late (TF holds the
GIL for long stretches while it builds and optimises graphs; measured with
``live --program=learn_snare.gos --bpm=600``), and importing TF there cost
more. :class:`RemoteBeatAgent` has the interface the drum session uses
(``tick``, ``reset``, ``fresh_weights``, ``state_dict``,
``check_state_dict``, ``load_state_dict``, ``warm_up``) and forwards each call
over a pipe to a ``spawn``-ed child that owns the TF
:class:`drums.beat_agent.BeatAgent`, built and warmed up there before the
constructor returns. The caller blocks in ``recv`` (GIL released) while the
child works, so a tick costs the child's step (~2-3 ms) plus ~0.2 ms of pipe:
a live clock must not be that caller. :func:`remote_agent_factory` wraps each
agent in a drums.agent_pipeline.PipelinedAgent, whose own thread makes the
calls while the clock asks one tick ahead and never waits.

Construct it off the clock thread (seconds: the child imports TF); a live
session does so on its BackgroundJobs worker. One child per instrument.
"""

import collections
import dataclasses
from typing import Callable, Dict

from drums import agent_pipeline
from drums import beat_agent_hparams
from rl_tuner import child_process

TickResult = collections.namedtuple('TickResult',
                                    ['action', 'reward', 'loss', 'q_values'])
TickResult.__doc__ = 'As drums.beat_agent.TickResult (no TF import here).'


def _build(fields: dict):
  """Child process: the agent, built and warmed up (imports TF)."""
  from drums import beat_agent  # pylint: disable=g-import-not-at-top
  agent = beat_agent.BeatAgent(beat_agent_hparams.BeatAgentHParams(**fields))
  agent.warm_up()
  return agent


# The child's nice value: pipelined (drums/agent_pipeline.py), a step has a
# whole tick to answer, so the agent can wait for the cores; the clock's
# process must not (importing TF took both cores for seconds).
CHILD_NICE = 10

_ERRORS = {'ValueError': ValueError, 'FloatingPointError': FloatingPointError,
           'KeyError': KeyError}


class RemoteBeatAgent:
  """A BeatAgent living in a child process (rl_tuner/child_process.py).

  Args:
    hparams: the agent's hyperparameters.
    tf_threads: TF threads in the child (1 leaves the other core of a
      2-core machine to the clock; 0 = TF's default).
    start_timeout_s: seconds to wait for the child to import TF, build and
      warm up.
    build: module-level ``build(hparams_fields) -> agent`` run in the child
      (default: the TF BeatAgent, warmed up; tests pass TF-free fakes).
    nice: the child's nice value (rl_tuner/child_process.py): its TF import
      and steps yield the cores to the clock's process.

  Raises:
    RuntimeError: if the child does not start in time or dies.
  """

  def __init__(self, hparams: beat_agent_hparams.BeatAgentHParams,
               tf_threads: int = 1, start_timeout_s: float = 180.0,
               build: Callable[[dict], object] = _build,
               nice: int = CHILD_NICE):
    self.hparams = hparams
    self._child = child_process.ChildProcessObject(
        build, (dataclasses.asdict(hparams),), 'beat agent',
        tf_threads=tf_threads, start_timeout_s=start_timeout_s,
        errors=_ERRORS, nice=nice)
    self._call = self._child.call

  def tick(self, tick: int, source_hit, target_hit=None,
           mode: str = 'learn') -> TickResult:
    return TickResult(*self._call('tick', int(tick), source_hit, target_hit,
                                  mode))

  def warm_up(self) -> None:
    """Nothing to do: the child warmed up before the constructor returned."""

  def reset(self, weights=None) -> None:
    self._call('reset', weights)

  def fresh_weights(self) -> list:
    return self._call('fresh_weights')

  def state_dict(self) -> Dict:
    return self._call('state_dict')

  def check_state_dict(self, arrays: Dict) -> None:
    self._call('check_state_dict', arrays)

  def load_state_dict(self, arrays: Dict) -> None:
    self._call('load_state_dict', arrays)

  def close(self) -> None:
    """Stops the child process (idempotent)."""
    self._child.close()


def remote_agent_factory(hparams: beat_agent_hparams.BeatAgentHParams,
                         pipelined: bool = True):
  """A DrumSession agent_factory for a live clock: one RemoteBeatAgent per
  instrument (seeded as drums.session.default_agent_factory), pipelined
  (drums.agent_pipeline.PipelinedAgent) so the clock never waits on it;
  ``pipelined=False`` gives the bare agents (each tick a round trip on the
  caller's thread: only to measure the difference)."""
  from drums import language  # pylint: disable=g-import-not-at-top

  def make(instrument: str):
    seed = hparams.seed + language.DRUM_INSTRUMENTS.index(instrument)
    agent = RemoteBeatAgent(dataclasses.replace(hparams, seed=seed))
    if not pipelined:
      return agent
    return agent_pipeline.PipelinedAgent(
        agent, name=f'{instrument}-agent-exchange')

  return make
