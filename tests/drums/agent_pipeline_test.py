"""Tests for drums.agent_pipeline and the drum session's lookahead: the clock
never waits on an agent (a gated one, a slow child process), predictions
land on their own tick, every tick is stepped once and in order, and verbs
queue behind the ticks. No TF."""

import threading
import time

from absl.testing import absltest

from drums import agent_pipeline
from drums import beat_agent_hparams
from drums import remote_beat_agent
from drums import session as session_lib
from tests.drums import testing_utils

# kick*1 3,3,2: onsets 0, 3/8, 6/8 -> ticks 0, 3, 6 of each bar; the snare
# is written at tick 0 only.
PREDICT = 'bpm 120; source kick*1 3,3,2; predict snare;'
LEARN = 'bpm 120; source kick*1 3,3,2; learn snare;'
BOUND_S = 0.25  # the clock's step, whatever the agent takes (~1 ms here).


def source_hit(i):
  return int(i % 8 in (0, 3, 6))


class GatedAgent(testing_utils.EchoAgent):
  """An EchoAgent whose ticks wait for ``gate``; logs every call."""

  def __init__(self):
    super().__init__()
    self.gate = threading.Event()
    self.log = []

  def tick(self, tick, source, target, mode):
    self.gate.wait(5.0)
    self.log.append(('tick', tick))
    return super().tick(tick, source, target, mode)

  def reset(self, weights=None):
    del weights
    self.log.append(('reset',))
    super().reset()


def live_session(program, agent):
  """A live-clock DrumSession (agents added, not built) with ``agent``."""
  session = session_lib.DrumSession(program, build_agents=False,
                                    agent_factory=lambda instrument: agent)
  session.add_agent('snare', agent)
  return session


def timed_step(session, index):
  start = time.perf_counter()
  record = session.step(index)
  return record, time.perf_counter() - start


class AgentPipelineTest(absltest.TestCase):

  def test_predictions_land_on_their_tick(self):
    echo = testing_utils.EchoAgent()
    agent = agent_pipeline.PipelinedAgent(echo)
    self.addCleanup(agent.close)
    session = live_session(PREDICT, agent)
    records = []
    for i in range(16):
      records.append(session.step(i))
      # The agent answers the next tick while the clock waits for it.
      self.assertTrue(agent.wait_tick(i + 1))
    # Every tick stepped once, in order, with its own source and target
    # (tick 16 was asked for ahead at the end of tick 15).
    self.assertEqual(echo.calls, [(i % 8, source_hit(i), int(i % 8 == 0),
                                   'predict') for i in range(17)])
    # The echo plays the source: predicted at 3, 6, 8, 11, 14. Tick 0 was
    # the new agent's first (nothing asked ahead): its written snare played.
    snare = [(r.index, h.predicted) for r in records for h in r.hits
             if h.instrument == 'snare']
    self.assertEqual(snare, [(0, False), (3, True), (6, True), (8, True),
                             (11, True), (14, True)])
    self.assertEqual(records[0].modes, {'snare': 'off'})
    self.assertEqual(records[1].modes, {'snare': 'predict'})
    self.assertEqual(session.agent_stats, dict(steps=15, late=0,
                                               not_ahead=1))
    # Tick 0, asked for at its own tick, was answered after it.
    self.assertEqual(agent.stats, dict(submitted=17, on_time=15, late=1,
                                       dropped=0))

  def test_the_clock_never_waits_and_late_steps_still_learn(self):
    gated = GatedAgent()
    agent = agent_pipeline.PipelinedAgent(gated)
    self.addCleanup(agent.close)
    self.addCleanup(gated.gate.set)
    session = live_session(LEARN, agent)
    records = []
    for i in range(3):  # the agent holds its first tick for up to 5 s.
      record, seconds = timed_step(session, i)
      self.assertLess(seconds, BOUND_S)
      records.append(record)
    session.reset()  # a verb at a tick boundary: queued, no wait either.
    # Late: the written snare (tick 0) plays, the agent is 'off' there.
    self.assertEqual([r.modes for r in records], [{'snare': 'off'}] * 3)
    self.assertEqual([[h.instrument for h in r.hits] for r in records],
                     [['kick', 'snare'], [], []])
    self.assertEqual(session.agent_stats, dict(steps=2, late=2,
                                               not_ahead=1))
    gated.gate.set()
    self.assertTrue(agent.wait_tick(3))
    record = session.step(3)
    # Ticks 0-2 were learned from after their time: their loss (0.5 each)
    # is counted at tick 3, whose own step (loss 0.5) came on time.
    self.assertEqual(record.modes, {'snare': 'learn'})
    self.assertEqual(record.losses, {'snare': 0.5})
    self.assertEqual(record.actions, {'snare': 1})  # the echo of tick 3.
    self.assertEqual(agent.stats['late'], 3)
    # Each tick once and in order; the reset after the ticks queued before
    # it (0-3), before tick 4 (asked ahead at the end of tick 3).
    self.assertTrue(agent.wait_tick(4))
    self.assertEqual(gated.log, [('tick', 0), ('tick', 1), ('tick', 2),
                                 ('tick', 3), ('reset',), ('tick', 4)])

  def test_a_slow_child_process(self):
    child = remote_beat_agent.RemoteBeatAgent(
        beat_agent_hparams.BeatAgentHParams(), tf_threads=0,
        build=testing_utils.build_slow_echo)
    agent = agent_pipeline.PipelinedAgent(child)
    self.addCleanup(agent.close)
    session = live_session(LEARN, agent)
    for i in range(3):  # each step takes the child 1 s.
      _, seconds = timed_step(session, i)
      self.assertLess(seconds, BOUND_S)
    self.assertTrue(agent.wait_tick(3, timeout_s=30.0))
    record = session.step(3)
    self.assertEqual(record.actions, {'snare': 1})
    # A snapshot is asked for now and queued behind tick 4 (sent ahead).
    collect = session.snapshot_later()
    arrays = collect()
    self.assertEqual(int(arrays['snare/calls']), 5)
    self.assertEqual(list(arrays['instruments']), ['snare'])

  def test_too_many_ticks_in_flight_are_dropped_and_errors_surface(self):
    gated = GatedAgent()
    agent = agent_pipeline.PipelinedAgent(gated, max_ticks_in_flight=2)
    self.addCleanup(agent.close)
    self.addCleanup(gated.gate.set)
    self.assertTrue(agent.submit_tick(0, 0, 1, 1, 'learn'))
    self.assertTrue(agent.submit_tick(1, 1, 0, 0, 'learn'))
    self.assertFalse(agent.submit_tick(2, 2, 0, 0, 'learn'))
    self.assertEqual(agent.stats['dropped'], 1)
    self.assertEqual(agent.take_tick(0), (None, []))
    agent.call_async('explode')  # no such method: raised at a later take.
    gated.gate.set()
    self.assertTrue(agent.wait_tick(1))
    with self.assertRaisesRegex(AttributeError, 'explode'):
      agent.take_tick(1)
    result, late = agent.take_tick(1)
    self.assertEqual((result.action, [r.action for r in late]), (0, [1]))
    with self.assertRaisesRegex(ValueError, 'max_ticks_in_flight'):
      agent_pipeline.PipelinedAgent(gated, max_ticks_in_flight=0)


if __name__ == '__main__':
  absltest.main()
