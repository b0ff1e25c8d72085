"""Tests for sonification.agent_bridge: /agent/tick drives a beat agent and
the prediction goes back to the sender and out as a drum note (no TF)."""

import os
import queue
import tempfile
import threading
import time

from absl.testing import absltest
import mido

from drums import agent_pipeline
from sonification import agent_bridge
from sonification import live_session
from sonification import midi_control
from sonification import osc_control
from sonification import sinks
from tests.sonification import runtime_testing


class ReplyInput:
  """An OSC-like input that records what is sent back."""

  def __init__(self):
    self.commands = queue.Queue()
    self.stats = {}
    self.sent = []

  def start(self):
    return self

  def close(self):
    pass

  def send(self, address, path, *args):
    self.sent.append((address, path) + args)
    return True

  def reply(self, address, text):
    self.sent.append((address, '/error', text))


class AgentBridgeTest(absltest.TestCase):

  def test_ticks_predictions_modes_and_verbs(self):
    sink = sinks.RecordingSink()
    bridge = agent_bridge.AgentBridgeApp(runtime_testing.EchoBeatAgent, sink)
    clock = runtime_testing.fake_clock()
    osc = ReplyInput()
    live = live_session.LiveSession(bridge, clock, {'osc': osc},
                                    threaded_jobs=False)
    sender = ('127.0.0.1', 7000)

    def send(address, *args):
      osc.commands.put(osc_control.validate(address, args, sender))
      clock.run(num_ticks=1)

    # threaded_jobs=False: the agent was built at attach and is committed at
    # the first tick boundary, before the first drain.
    self.assertEqual(bridge.handlers()['agent/tick'](1, 0), -1)  # not yet.
    send('/agent/tick', 1, 0)  # EchoBeatAgent plays the source: 1.
    self.assertIsNotNone(bridge.agent)
    send('/agent/tick', 1, 0)
    send('/agent/tick', 0, 1, 0)  # two sources, any 1 counts: 1.
    send('/agent/tick', 0, 1)
    send('/agent/mode', 'predict')
    send('/agent/tick', 0, -1)
    send('/agent/tick', 1, -1)
    send('/agent/mode', 'learn')
    send('/agent/tick', 1, -1)  # learn without a target: an /error.
    predictions = [s[2:] for s in osc.sent if s[1] == '/agent/prediction']
    # (action, tick in the bar); the not-ready call above was not counted.
    self.assertEqual(predictions, [(1, 0), (1, 1), (1, 2), (0, 3), (0, 4),
                                   (1, 5)])
    self.assertEqual(bridge.stats['not_ready'], 1)
    errors = [s[2] for s in osc.sent if s[1] == '/error']
    self.assertEqual(errors, ['/agent/tick: ValueError: /agent/tick: mode '
                              'learn needs a target (0/1), got -1'])
    self.assertTrue(all(s[0] == sender for s in osc.sent))
    # Predicted hits are played: GM 38 (snare) on the drum channel (10,
    # 0-based 9), at the latest clock tick's time; the first came before
    # any clock tick, and a hit on the next tick retriggers the note.
    notes = [e for e in sink.events if e[0] == 'note_on']
    self.assertEqual([(e[2], e[4]) for e in notes], [(38, 9)] * 3)
    # Save and load through the worker; reset restarts the tick count.
    path = os.path.join(tempfile.mkdtemp(), 'agent')
    send('/agent/save', path)
    send('/agent/load', path + '.npz')
    send('/agent/reset')
    self.assertEqual(bridge.agent.resets, 1)
    self.assertEqual(bridge.step, 0)
    self.assertEqual(live.errors.summary(), {'command/agent/tick': 1})

  def test_midi_notes_latched_to_clock_ticks(self):
    sink = sinks.RecordingSink()
    bridge = agent_bridge.AgentBridgeApp(runtime_testing.EchoBeatAgent, sink,
                                         clock_ticks=True)
    clock = runtime_testing.fake_clock()
    midi = midi_control.MidiControlInput(
        midi_control.parse_midi_map('note36=agent_source,note38=agent_target',
                                    3))
    live = live_session.LiveSession(bridge, clock, {'midi_in': midi},
                                    threaded_jobs=False)
    clock.run(num_ticks=1)  # the agent is committed; tick 0: no hits.
    midi.on_message(mido.Message('note_on', note=36, velocity=100))
    midi.on_message(mido.Message('note_on', note=38, velocity=100))
    clock.run(num_ticks=1)  # drained (latched), then stepped: plays.
    clock.run(num_ticks=1)  # nothing latched: silence.
    self.assertEqual(bridge.stats, dict(ticks=3, predictions=3, not_ready=0,
                                        dropped=0))
    notes = [e for e in sink.events if e[0] == 'note_on']
    self.assertEqual([(e[1], e[2]) for e in notes], [(0.2, 38)])
    self.assertEqual(live.errors.summary(), {})

  def test_midi_channels_in_and_out(self):
    # live --agent --agent_ticks=clock --agent_out_channel=11: source and
    # target are kick 36 and snare 38 on channel 10 (mido 9); the
    # prediction goes out on channel 11 (mido 10).
    sink = sinks.RecordingSink()
    bridge = agent_bridge.AgentBridgeApp(runtime_testing.EchoBeatAgent, sink,
                                         clock_ticks=True, out_channel=10)
    clock = runtime_testing.fake_clock()
    midi = midi_control.MidiControlInput(
        midi_control.agent_note_bindings((10, 36), (10, 38)))
    live_session.LiveSession(bridge, clock, {'midi_in': midi},
                             threaded_jobs=False)
    clock.run(num_ticks=1)  # the agent is committed; tick 0: no hits.
    for channel, note in ((9, 36), (9, 38)):
      midi.on_message(mido.Message('note_on', channel=channel, note=note,
                                   velocity=100))
    clock.run(num_ticks=1)  # source and target latched: the echo plays.
    midi.on_message(mido.Message('note_on', channel=0, note=36,
                                 velocity=100))  # a kick on channel 1.
    clock.run(num_ticks=1)  # not the agent's: silence.
    notes = [e for e in sink.events if e[0] == 'note_on']
    self.assertEqual([(e[1], e[2], e[4]) for e in notes], [(0.2, 38, 10)])
    self.assertEqual(midi.stats['unmapped'], 1)
    with self.assertRaisesRegex(ValueError, 'out_channel must be a MIDI '
                                'channel 0-15'):
      agent_bridge.AgentBridgeApp(runtime_testing.EchoBeatAgent,
                                  out_channel=16)

  def test_a_pipelined_agent_answers_without_the_clock_waiting(self):
    sink = sinks.RecordingSink()
    gated = GatedEcho()
    self.addCleanup(gated.gate.set)
    agent = agent_pipeline.PipelinedAgent(gated)
    self.addCleanup(agent.close)
    bridge = agent_bridge.AgentBridgeApp(lambda: agent, sink)
    clock = runtime_testing.fake_clock()
    osc = ReplyInput()
    live = live_session.LiveSession(bridge, clock, {'osc': osc},
                                    threaded_jobs=False)
    sender = ('127.0.0.1', 7000)
    clock.run(num_ticks=1)  # the agent is committed.
    for hits in ((1, 1), (0, 0), (1, 0)):
      osc.commands.put(osc_control.validate('/agent/tick', hits, sender))
    start = time.perf_counter()
    clock.run(num_ticks=1)  # drained: queued on the agent, not waited on.
    self.assertLess(time.perf_counter() - start, 0.1)
    self.assertEqual([s for s in osc.sent if s[1] == '/agent/prediction'],
                     [])
    gated.gate.set()
    self.assertTrue(agent.wait_tick(2))
    # Sent back from the agent's thread as it answered: (action, tick).
    self.assertEqual([s[2:] for s in osc.sent], [(1, 0), (0, 1), (1, 2)])
    self.assertTrue(all(s[:2] == (sender, '/agent/prediction')
                        for s in osc.sent))
    clock.run(num_ticks=1)  # the clock thread takes the answers: plays.
    self.assertEqual(bridge.stats, dict(ticks=3, predictions=3, not_ready=0,
                                        dropped=0))
    notes = [e for e in sink.events if e[0] == 'note_on']
    self.assertEqual([e[2] for e in notes], [38, 38])
    self.assertEqual(live.errors.summary(), {})


class GatedEcho(runtime_testing.EchoBeatAgent):
  """An EchoBeatAgent whose ticks wait for ``gate``."""

  def __init__(self):
    super().__init__()
    self.gate = threading.Event()

  def tick(self, tick, source, target, mode):
    self.gate.wait(5.0)
    return super().tick(tick, source, target, mode)


if __name__ == '__main__':
  absltest.main()
