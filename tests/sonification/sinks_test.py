"""Tests for sonification.sinks with in-memory ports, loopback UDP, files."""

import os
import threading

from absl.testing import absltest
import mido
import numpy as np
from pythonosc import dispatcher as osc_dispatcher
from pythonosc import osc_server
import soundfile

from sonification import sinks


class FakePort:
  """Any object with send() is a port."""

  def __init__(self):
    self.sent = []
    self.closed = False

  def send(self, message):
    self.sent.append(message)

  def close(self):
    self.closed = True


class MidiSinkTest(absltest.TestCase):

  def test_notes_and_cc_through_mido_io_port(self):
    # mido's in-memory pipe: what goes into one end comes out of the other.
    inport, outport = mido.ports.BaseInput(), mido.ports.BaseOutput()
    io = mido.ports.IOPort(inport, outport)
    received = []
    outport._send = received.append  # pylint: disable=protected-access
    sink = sinks.MidiSink(io, cc_base=20, cc_channel=1)
    sink.note_on(38, 100, sinks.DRUM_CHANNEL)
    sink.note_off(38, sinks.DRUM_CHANNEL)
    sink.parameters([0.0, 0.5, 1.0, 2.0])
    self.assertEqual(received[0], mido.Message('note_on', note=38,
                                               velocity=100, channel=9))
    self.assertEqual(received[1], mido.Message('note_off', note=38,
                                               channel=9))
    # CC 20..23 on channel 1: round(127 * [0, .5, 1, clip 2 -> 1])
    # = 0, 64 (63.5 rounds to even 64), 127, 127.
    self.assertEqual([(m.control, m.value, m.channel) for m in received[2:]],
                     [(20, 0, 1), (21, 64, 1), (22, 127, 1), (23, 127, 1)])

  def test_control_and_program_change(self):
    port = FakePort()
    sink = sinks.MidiSink(port)
    sink.program_change(80, channel=0)
    sink.control_change(74, 51, channel=1)
    self.assertEqual(port.sent, [
        mido.Message('program_change', program=80, channel=0),
        mido.Message('control_change', control=74, value=51, channel=1)])
    with self.assertRaisesRegex(ValueError, r'in \[0, 127\], got 74, 128'):
      sink.control_change(74, 128)
    with self.assertRaisesRegex(ValueError, 'channel'):
      sink.program_change(1, channel=16)

  def test_fake_port_and_errors(self):
    port = FakePort()
    sink = sinks.MidiSink(port)
    with self.assertRaisesRegex(ValueError, 'pitch'):
      sink.note_on(128)
    with self.assertRaisesRegex(ValueError, 'channel'):
      sink.note_off(60, channel=16)
    with self.assertRaisesRegex(ValueError, 'run past CC 127'):
      sinks.MidiSink(port, cc_base=126).parameters([0.1, 0.2, 0.3])
    sink.close()
    self.assertTrue(port.closed)
    self.assertEqual(port.sent, [])

  def test_missing_port_fails_clearly(self):
    with self.assertRaisesRegex(sinks.SinkError, 'no-such-port'):
      sinks.open_midi_output('no-such-port')


class OscSinkTest(absltest.TestCase):

  def test_loopback(self):
    received = []
    done = threading.Event()
    disp = osc_dispatcher.Dispatcher()

    def record(address, *args):
      received.append((address,) + args)
      if len(received) == 3:
        done.set()

    disp.set_default_handler(record)
    server = osc_server.ThreadingOSCUDPServer(('127.0.0.1', 0), disp)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    self.addCleanup(server.server_close)
    self.addCleanup(server.shutdown)
    sink = sinks.OscSink(port=server.server_address[1], prefix='/rl')
    self.addCleanup(sink.close)
    sink.note_on(60, 90, 2)
    sink.note_off(60, 2)
    sink.parameters([0.25, 0.75])
    self.assertTrue(done.wait(5.0))
    self.assertCountEqual(received, [('/rl/note_on', 60, 90, 2),
                                     ('/rl/note_off', 60, 2),
                                     ('/rl/carl/params', 0.25, 0.75)])


class AudioSinkTest(absltest.TestCase):

  def _play(self, sink):
    sink.note_on(36, 120, sinks.DRUM_CHANNEL, time_s=10.0)
    sink.note_off(36, sinks.DRUM_CHANNEL, time_s=10.1)
    sink.note_on(60, 100, 0, time_s=10.5)
    sink.note_off(60, 0, time_s=11.0)
    sink.close()

  def test_wav_render_sine(self):
    path = os.path.join(self.create_tempdir().full_path, 'out.wav')
    self._play(sinks.WavSink(path, synth='sine', sample_rate=8000,
                             tail_s=0.5))
    audio, rate = soundfile.read(path)
    self.assertEqual(rate, 8000)
    # Events span 10.0 .. 11.0 s, rebased to 0, plus a 0.5 s tail:
    # 1.5 s * 8000 = 12000 frames, stereo.
    self.assertEqual(audio.shape, (12000, 2))
    self.assertGreater(np.abs(audio[:800]).max(), 0.01)  # the kick.
    self.assertLess(np.abs(audio[-100:]).max(), 0.05)  # decayed tail.

  def test_wav_render_fluidsynth(self):
    if not os.path.exists(sinks.SOUNDFONT):
      self.skipTest('no soundfont')
    path = os.path.join(self.create_tempdir().full_path, 'fs.wav')
    self._play(sinks.WavSink(path, synth='fluidsynth', sample_rate=22050,
                             tail_s=0.5))
    audio, rate = soundfile.read(path)
    self.assertEqual(rate, 22050)
    self.assertEqual(audio.shape, (int(1.5 * 22050), 2))
    self.assertGreater(np.abs(audio).max(), 0.01)

  def test_wav_program_and_cc_change_the_sound(self):
    if not os.path.exists(sinks.SOUNDFONT):
      self.skipTest('no soundfont')
    rendered = []
    for program, volume in ((0, 127), (80, 127), (80, 0)):
      sink = sinks.WavSink('/unused.wav', sample_rate=22050, tail_s=0.2)
      sink.program_change(program, 0, time_s=0.0)
      sink.control_change(7, volume, 0, time_s=0.0)  # CC 7: channel volume.
      sink.note_on(60, 100, 0, time_s=0.0)
      sink.note_off(60, 0, time_s=0.5)
      rendered.append(sink.render())
    self.assertEqual({a.shape for a in rendered}, {(15435, 2)})  # 0.7 s.
    # Piano (program 0) and square lead (80) differ; the lead at volume 0
    # is (nearly) silent.
    self.assertGreater(np.abs(rendered[0] - rendered[1]).max(), 0.01)
    self.assertGreater(np.abs(rendered[1]).max(), 0.01)
    self.assertLess(np.abs(rendered[2]).max(), 0.001)

  def test_wav_starts_at_the_first_note(self):
    # A program change at setup (time 0) and notes on a monotonic clock
    # (t = 5000 s): the audio spans the notes (0.5 s + 0.5 s tail), not
    # 5000 s (which would be a 0.9 GB file at 22050 Hz).
    sink = sinks.WavSink('/unused.wav', synth='sine', sample_rate=8000,
                         tail_s=0.5)
    sink.program_change(80, 0, time_s=0.0)
    sink.note_on(60, 100, 0, time_s=5000.0)
    sink.note_off(60, 0, time_s=5000.5)
    self.assertEqual(sink.render().shape, (8000, 2))

  def test_missing_soundfont_fails_clearly(self):
    sink = sinks.WavSink('/unused.wav', soundfont='/nonexistent/gm.sf2')
    sink.note_on(60, 100, 0, time_s=0.0)
    with self.assertRaisesRegex(sinks.SinkError,
                                "soundfont '/nonexistent/gm.sf2' not found"):
      sink.render()

  def test_unknown_synth(self):
    with self.assertRaisesRegex(ValueError, 'unknown synth'):
      sinks.WavSink('/tmp/x.wav', synth='theremin')

  def test_sound_card_absent_fails_clearly(self):
    cards = self.create_tempfile(content=' --- no soundcards ---\n')
    with self.assertRaisesRegex(sinks.SinkError, 'no sound card'):
      sinks.SoundCardSink(cards_file=cards.full_path)
    with self.assertRaisesRegex(sinks.SinkError, 'no sound card'):
      sinks.SoundCardSink(cards_file='/nonexistent/cards')


class HelpersTest(absltest.TestCase):

  def test_note_scheduler(self):
    rec = sinks.RecordingSink()
    sched = sinks.NoteScheduler(rec)
    sched.play(0, 0.0, 60, 100, 0, length_ticks=2)
    sched.advance(1, 0.1)
    self.assertLen(rec.events, 1)
    sched.advance(2, 0.2)  # off at tick 0 + 2.
    self.assertEqual(rec.events[-1], ('note_off', 0.2, 60, 0))

  def test_all_off_releases_at_the_last_tick(self):
    # Clock times are monotonic seconds (here 5000.x); releasing at 0.0 made
    # an offline WAV span 5000 s (a 1.6 GB file in a 40-tick live session).
    rec = sinks.RecordingSink()
    sched = sinks.NoteScheduler(rec)
    sched.play(7, 5000.7, 36, 100, 9, length_ticks=4)
    sched.advance(8, 5000.8)
    sched.all_off()
    self.assertEqual(rec.events[-1], ('note_off', 5000.8, 36, 9))

  def test_multisink_isolates_failures(self):
    class Broken(sinks.Sink):

      def note_on(self, *args):
        raise OSError('unplugged')

    rec = sinks.RecordingSink()
    multi = sinks.MultiSink([Broken(), rec])
    with self.assertLogs(level='ERROR'):
      multi.note_on(60, 100, 0, 1.0)
    self.assertEqual(multi.errors, 1)
    self.assertEqual(rec.events, [('note_on', 1.0, 60, 100, 0)])


if __name__ == '__main__':
  absltest.main()
