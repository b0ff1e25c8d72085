"""Test helpers for drums: a scripted agent and a session built on it."""

import collections
import time

import numpy as np

from drums import session as session_lib

Result = collections.namedtuple('Result', ['action', 'reward', 'loss',
                                           'q_values'])


class EchoAgent:
  """Plays whatever the source plays; 'learns' with loss 0.5."""

  def __init__(self):
    self.calls = []
    self.resets = 0

  def tick(self, tick, source, target, mode):
    self.calls.append((tick, source, target, mode))
    if mode == 'off':
      return Result(None, None, None, None)
    return Result(source, None, 0.5 if mode == 'learn' else None, None)

  def reset(self):
    self.resets += 1


PROGRAM = ('bpm 150; source kick*2 3,3,2; learn snare*2+0.5; '
           'closedhat*4 (amp:0.5);')


def make_session(program=PROGRAM, **kwargs):
  """A DrumSession whose agents are EchoAgents; (session, agents)."""
  agents = {}

  def factory(instrument):
    agents[instrument] = EchoAgent()
    return agents[instrument]

  return session_lib.DrumSession(program, agent_factory=factory,
                                 **kwargs), agents


SLOW_CHILD_S = 1.0  # what one tick of the slow child's agent takes.


class SlowEchoAgent(EchoAgent):
  """An EchoAgent whose every tick takes SLOW_CHILD_S (a busy child)."""

  def tick(self, tick, source, target, mode):
    time.sleep(SLOW_CHILD_S)
    return super().tick(tick, source, target, mode)

  def state_dict(self):
    return {'calls': np.array(len(self.calls))}


def build_slow_echo(hparams_fields):
  """A drums.remote_beat_agent ``build`` for a TF-free slow child."""
  del hparams_fields
  return SlowEchoAgent()
