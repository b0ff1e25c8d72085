"""The drum session on the live runtime: slow verbs off the clock thread,
swapped in at tick boundaries; bpm from a program; errors back to the
sender. Fake clock, scripted agents (no TF)."""

import queue
import threading

from absl.testing import absltest

from drums import session as session_lib
from sonification import clock as clock_lib
from sonification import drum_live
from sonification import live_session
from sonification import osc_control
from sonification import sinks

PROGRAM = 'bpm 150; source kick*2; learn snare*2+0.5;'


class EchoAgent:
  """Plays the source; records the thread it was built on."""

  def __init__(self, built_on):
    self.built_on = built_on
    self.resets = []
    self.loaded = []

  def tick(self, tick, source, target, mode):
    del tick, target
    return session_lib.beat_agent_hparams and _Result(
        None if mode == 'off' else source)

  def fresh_weights(self):
    return ['w', threading.current_thread().name]

  def reset(self, weights=None):
    self.resets.append(weights)

  def state_dict(self):
    return {}


class _Result:

  def __init__(self, action):
    self.action, self.loss = action, None


class FakeInput:
  """A control input whose /error replies are recorded."""

  def __init__(self):
    self.commands = queue.Queue()
    self.stats = {}
    self.replies = []

  def start(self):
    return self

  def close(self):
    pass

  def reply(self, address, text):
    self.replies.append((address, text))


def make(gate=None):
  def factory(instrument):
    del instrument
    if gate is not None:
      gate.wait(10.0)
    return EchoAgent(threading.current_thread().name)

  session = session_lib.DrumSession(PROGRAM, agent_factory=factory,
                                    build_agents=False)
  app = drum_live.DrumLiveApp(session, sinks.Sink(), warm_up=False)
  fake = clock_lib.FakeTime(0.0)
  ck = clock_lib.Clock(bpm=150.0, time_fn=fake.time, sleep_fn=fake.sleep)
  inputs = {'osc': FakeInput()}
  live = live_session.LiveSession(app, ck, inputs)
  return session, live, ck, inputs['osc']


class DrumRuntimeTest(absltest.TestCase):

  def test_agents_are_built_off_the_clock_and_the_written_part_plays(self):
    gate = threading.Event()
    session, live, ck, _ = make(gate)
    self.addCleanup(live.jobs.close)
    ck.run(num_ticks=8)  # the agent is still being built.
    records = list(session.records)
    self.assertEqual(records[2].modes, {'snare': 'off'})
    # snare*2+0.5 is written at ticks 2 and 6: heard while waiting.
    self.assertEqual([r.index for r in records
                      if any(h.instrument == 'snare' for h in r.hits)],
                     [2, 6])
    self.assertEqual(live.status()['building'], 'snare')
    gate.set()
    self.assertTrue(live.jobs.wait_worked(timeout_s=10.0))
    ck.run(num_ticks=1)  # swapped in at this tick's boundary.
    self.assertEqual(session.agents['snare'].built_on, 'live-jobs')
    self.assertEqual(session.records[-1].modes, {'snare': 'learn'})

  def test_program_reset_and_errors_through_the_queue(self):
    session, live, ck, osc = make()
    self.addCleanup(live.jobs.close)
    ck.run(num_ticks=1)
    self.assertTrue(live.jobs.wait_worked(timeout_s=10.0))
    ck.run(num_ticks=1)
    sender = ('127.0.0.1', 5555)
    osc.commands.put(osc_control.validate(
        '/drums/program', ('bpm 75; source kick; predict snare*2;',), sender))
    osc.commands.put(osc_control.validate('/drums/program', ('tom;',),
                                          sender))
    osc.commands.put(osc_control.validate('/drums/reset', (), sender))
    osc.commands.put(osc_control.validate('/drums/load', ('/nowhere/x',),
                                          sender))
    ck.run(num_ticks=1)  # drained and submitted; the worker runs them.
    self.assertTrue(live.jobs.wait_worked(timeout_s=30.0))
    ck.run(num_ticks=1)  # commits at the tick boundary.
    self.assertEqual(live.jobs.pending, 0)
    # The new program plays, with its tempo; the bad one was refused with
    # line and column, sent back to the sender; the old agent was reset
    # with weights made on the worker thread.
    self.assertEqual(session.modes, {'snare': 'predict'})
    self.assertEqual(ck.bpm, 75.0)
    self.assertEqual(session.agents['snare'].resets, [['w', 'live-jobs']])
    texts = [text for address, text in osc.replies if address == sender]
    self.assertLen(texts, 2)
    self.assertRegex(texts[0], r'drums/program: ParseError: .*line 1')
    self.assertIn('drums/load: FileNotFoundError', texts[1])
    self.assertEqual(live.errors.summary(),
                     {'job/drums/program': 1, 'job/drums/load': 1})

  def test_submit_validates_at_the_edge(self):
    _, live, ck, _ = make()
    self.addCleanup(live.jobs.close)
    with self.assertRaisesRegex(ValueError, 'bpm must be in'):
      live.submit('tempo', 1e9)
    with self.assertRaisesRegex(KeyError, 'unknown OSC address'):
      live.submit('drums/explode')
    live.submit('tempo', 90)
    ck.run(num_ticks=2)
    self.assertEqual(ck.bpm, 90.0)
    with self.assertRaisesRegex(ValueError, r'tempo must be in \[10, 1000\]'):
      live.set_tempo(5.0)


if __name__ == '__main__':
  absltest.main()
