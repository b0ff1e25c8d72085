"""Tests for sonification.midi_control: MIDI maps, messages to commands, MIDI
clock as the tick source of a live session (no MIDI hardware: messages are
fed as mido's input callback would)."""

import threading

from absl.testing import absltest
import mido

from sonification import clock as clock_lib
from sonification import live_session
from sonification import midi_control
from sonification import osc_control

Command = osc_control.Command


def _cc(control, value):
  return mido.Message('control_change', control=control, value=value)


def _note(note, velocity=100):
  return mido.Message('note_on', note=note, velocity=velocity)


class MidiMapTest(absltest.TestCase):

  def test_default_map(self):
    text = midi_control.describe(midi_control.default_midi_map(3))
    self.assertEqual(text.splitlines()[:6], [
        'cc1 -> input:0', 'cc2 -> input:1', 'cc3 -> input:2',
        'cc14 -> reward_scale', 'cc15 -> optimise_every', 'cc16 -> noise'])
    self.assertIn('note60 -> reward+', text)
    self.assertIn('note62 -> reward-', text)
    # Two inputs: CC 3 is left unbound.
    self.assertNotIn(('control_change', 3), midi_control.default_midi_map(2))

  def test_parse_errors_name_the_item(self):
    for spec, error in [
        ('cc128=input:0', 'ccN or noteN with N in 0-127'),
        ('knob1=input:0', 'ccN or noteN'),
        ('cc1=input:3', r'index in \[0, 3\)'),
        ('cc1=input', 'input needs an index'),
        ('cc1=jump', "unknown action 'jump'"),
        ('cc1', 'expected CONTROL=ACTION'),
        ('cc1=input:0,cc1=noise', 'bound twice'),
        ('note36=mode:snare:sing', 'mode needs an instrument'),
        ('note36=mode::learn', 'mode needs an instrument'),
        ('cc74=control:', 'control needs a name'),
    ]:
      with self.assertRaisesRegex(ValueError, error, msg=spec):
        midi_control.parse_midi_map(spec, input_size=3)


class ToCommandsTest(absltest.TestCase):

  def setUp(self):
    super().setUp()
    self.midi = midi_control.MidiControlInput(
        midi_control.parse_midi_map(
            'cc1=input:0,cc2=input:1,cc14=reward_scale,cc15=optimise_every,'
            'cc16=noise,note48=noise,note60=reward+,note62=reward-,'
            'cc64=clear_memory', 2),
        optimise_every_max=100)

  def test_continuous_controls(self):
    cases = [
        (_cc(1, 127), Command('carl/input_at', (0, 1.0))),
        (_cc(2, 0), Command('carl/input_at', (1, 0.0))),
        # 10 ** (2 * 127/127 - 1) = 10; 10 ** (0 - 1) = 0.1.
        (_cc(14, 127), Command('carl/reward_scale', (10.0,))),
        (_cc(14, 0), Command('carl/reward_scale', (0.1,))),
        # 1 + round(64/127 * 99) = 1 + round(49.9) = 51; 127 -> 100 (pause).
        (_cc(15, 64), Command('carl/optimise_every', (51,))),
        (_cc(15, 127), Command('carl/optimise_every', (100,))),
        (_cc(16, 127), Command('carl/noise', (1.0,))),
        # A note's velocity drives a continuous control too.
        (_note(48, 127), Command('carl/noise', (1.0,))),
    ]
    for message, command in cases:
      (got,) = self.midi.to_commands(message)
      self.assertEqual(got.name, command.name, msg=str(message))
      for a, b in zip(got.args, command.args):
        self.assertAlmostEqual(a, b, places=9, msg=str(message))

  def test_triggers(self):
    reward = [Command('carl/reward', (1.0,))]
    self.assertEqual(self.midi.to_commands(_note(60)), reward)
    self.assertEqual(self.midi.to_commands(_note(60, velocity=0)), [])  # off.
    self.assertEqual(self.midi.to_commands(_note(62)),
                     [Command('carl/reward', (-1.0,))])
    # A CC button fires when it rises through 64, not while held or released.
    clear = [Command('carl/clear_memory', ())]
    self.assertEqual([self.midi.to_commands(_cc(64, v))
                      for v in (127, 127, 0, 63, 64)],
                     [clear, [], [], [], clear])

  def test_drum_modes_and_reset(self):
    bindings = midi_control.parse_midi_map(
        'note36=mode:snare:learn,note37=mode:snare:predict,'
        'cc20=mode:kick:off,note38=drums_reset,cc74=control:mousex',
        input_size=3)
    self.assertIn('note37 -> mode:snare:predict',
                  midi_control.describe(bindings))
    midi = midi_control.MidiControlInput(bindings)
    self.assertEqual(
        [midi.to_commands(m) for m in (_note(36), _note(37), _cc(20, 127),
                                       _note(38), _cc(74, 127))],
        [[Command('drums/mode', ('snare', 'learn'))],
         [Command('drums/mode', ('snare', 'predict'))],
         [Command('drums/mode', ('kick', 'off'))],
         [Command('drums/reset', ())],
         [Command('drums/control', ('mousex', 1.0))]])

  def test_agent_notes_on_their_channels(self):
    # Source: kick 36 on channel 10; target: snare 38 on channel 11
    # (mido numbers channels 0-15: 9 and 10).
    bindings = midi_control.agent_note_bindings((10, 36), (11, 38))
    self.assertEqual(midi_control.describe(bindings).splitlines(),
                     ['note36 on channel 10 -> agent_source',
                      'note38 on channel 11 -> agent_target'])
    midi = midi_control.MidiControlInput(bindings)
    source, target = ([Command('agent/hit', ('source',))],
                      [Command('agent/hit', ('target',))])
    messages = [
        mido.Message('note_on', channel=9, note=36, velocity=90),  # source.
        mido.Message('note_on', channel=0, note=36, velocity=90),  # other ch.
        mido.Message('note_on', channel=10, note=38, velocity=1),  # target.
        mido.Message('note_on', channel=9, note=38, velocity=90),  # other ch.
        mido.Message('note_on', channel=9, note=36, velocity=0),  # a note-off.
        mido.Message('note_off', channel=9, note=36),
        mido.Message('note_on', channel=9, note=37, velocity=90),  # other note.
    ]
    self.assertEqual([midi.to_commands(m) for m in messages],
                     [source, [], target, [], [], [], []])
    # The channel's binding comes first; other channels keep the map's.
    both = midi_control.parse_midi_map('note36=reward+', 3)
    both.update(bindings)
    midi = midi_control.MidiControlInput(both)
    self.assertEqual([midi.to_commands(m) for m in messages[:2]],
                     [source, [Command('carl/reward', (1.0,))]])

  def test_agent_notes_are_checked(self):
    for source, target, error in [
        ((17, 36), (10, 38), r'source_channel must be a MIDI channel in '
                             r'\[1, 16\], got 17'),
        ((0, 36), (10, 38), r'source_channel .* got 0'),
        ((10, 36), (10, 128), r'target_note must be a MIDI note in '
                              r'\[0, 127\], got 128'),
        ((10, -1), (10, 38), r'source_note .* got -1'),
        ((10, 36), (10, 36), 'source and target are the same note '
                             r'\(36 on channel 10\)'),
    ]:
      with self.assertRaisesRegex(ValueError, error):
        midi_control.agent_note_bindings(source, target)
    self.assertEqual(midi_control.check_channel('--x', 16), 15)
    with self.assertRaisesRegex(ValueError, '--x must be a MIDI channel'):
      midi_control.check_channel('--x', True)

  def test_unmapped_and_counted(self):
    for message in (_cc(7, 100), _note(61), mido.Message('pitchwheel'),
                    _cc(1, 10)):
      self.midi.on_message(message)
    self.assertEqual(self.midi.stats, dict(messages=4, accepted=1, unmapped=3,
                                           clock=0, dropped=0))
    self.assertEqual(self.midi.commands.get_nowait(),
                     Command('carl/input_at', (0, 10 / 127)))

  def test_queue_bound(self):
    midi = midi_control.MidiControlInput(
        midi_control.default_midi_map(3), max_queue=2)
    for _ in range(5):
      midi.on_message(_note(60))
    self.assertEqual((midi.stats['accepted'], midi.stats['dropped']), (2, 3))

  def test_missing_port_is_a_clear_error(self):
    with self.assertRaisesRegex(osc_control.ControlInputError,
                                "cannot open MIDI input 'no-such-port'"):
      midi_control.make_midi_input('no-such-port', '', input_size=3)


class RecordingApp:

  def __init__(self):
    self.log = []

  def on_tick(self, tick):
    self.log.append(('tick', tick.index))

  def handlers(self):
    return {'carl/input_at': lambda i, v: self.log.append(('input', i, v)),
            'carl/reward': lambda r: self.log.append(('reward', r))}

  def close(self):
    self.log.append('closed')


class MidiClockSessionTest(absltest.TestCase):

  def test_midi_clock_drives_ticks_and_controls_reach_the_app(self):
    follower = clock_lib.MidiClockFollower(ticks_per_bar=8)
    midi = midi_control.MidiControlInput(midi_control.default_midi_map(3),
                                         clock_follower=follower)
    application = RecordingApp()
    session = live_session.LiveSession(application, follower,
                                       {'midi_in': midi})
    self.assertNotIn('tempo', session.router.handlers)  # tempo is MIDI's.
    stats = []
    runner = threading.Thread(
        target=lambda: stats.append(session.run(num_ticks=2, duration_s=10)))
    runner.start()
    for _ in range(1000):
      if follower.running:
        break
      threading.Event().wait(0.005)
    # As mido's callback thread would: a like, the mod wheel up, then 24
    # clock pulses (12 per eighth-note tick: ticks at pulses 0 and 12).
    midi.on_message(_note(60))
    midi.on_message(mido.Message('start'))
    midi.on_message(_cc(1, 127))
    for _, message in clock_lib.clock_messages(120.0, 24):
      midi.on_message(message)
    runner.join(10.0)
    # Both commands are drained before tick 0's app callback.
    self.assertEqual(application.log, [('reward', 1.0), ('input', 0, 1.0),
                                       ('tick', 0), ('tick', 1), 'closed'])
    self.assertEqual(stats[0]['ticks'], 2)
    self.assertEqual(stats[0]['midi_in']['clock'], 25)  # start + 24 clocks.


if __name__ == '__main__':
  absltest.main()
