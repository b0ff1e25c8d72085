"""Test helpers for drums: a scripted agent and a session built on it."""

import collections

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
