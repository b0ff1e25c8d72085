"""Tests for the live adapter: LiveSession with OSC on loopback, the melody
stream and the drum adapter, on a fake clock (no TF)."""

import time

from absl.testing import absltest
import numpy as np
from pythonosc import udp_client

from sonification import clock as clock_lib
from sonification import drum_live
from sonification import live_session
from sonification import melody_stream
from sonification import osc_control
from sonification import sinks


class RecordingApp:

  def __init__(self):
    self.ticks = []
    self.modes = []
    self.closed = False

  def on_tick(self, tick):
    self.ticks.append(tick.index)

  def handlers(self):
    return {'drums/mode': lambda i, m: self.modes.append((i, m))}

  def close(self):
    self.closed = True


class LiveSessionTest(absltest.TestCase):

  def test_osc_commands_reach_the_app_and_clock_on_ticks(self):
    fake = clock_lib.FakeTime(0.0)
    ck = clock_lib.Clock(bpm=150.0, time_fn=fake.time, sleep_fn=fake.sleep)
    server = osc_control.OscControlServer(port=0)
    application = RecordingApp()
    session = live_session.LiveSession(application, ck, {'osc': server})
    server.start()
    client = udp_client.SimpleUDPClient('127.0.0.1', server.port)
    self.addCleanup(client._sock.close)  # pylint: disable=protected-access
    client.send_message('/drums/mode', ['snare', 'predict'])
    client.send_message('/tempo', [300.0])
    client.send_message('/stop', [])
    end = time.monotonic() + 5
    while server.stats['accepted'] < 3 and time.monotonic() < end:
      time.sleep(0.005)
    stats = session.run(num_ticks=10)
    # All three arrive before tick 0: mode set, tempo 300, then stop after
    # tick 0's callbacks: one tick delivered.
    self.assertEqual(stats['ticks'], 1)
    self.assertEqual(application.modes, [('snare', 'predict')])
    self.assertEqual(ck.bpm, 300.0)
    self.assertTrue(application.closed)
    self.assertEqual(stats['router']['handled'], 3)

  def test_status_line_every_k_bars(self):
    fake = clock_lib.FakeTime(0.0)
    ck = clock_lib.Clock(bpm=150.0, time_fn=fake.time, sleep_fn=fake.sleep)
    application = RecordingApp()
    application.status = lambda: {'rewards': 3, 'loss': {'snare': 0.123456}}
    lines = []
    live_session.LiveSession(application, ck, status_every_bars=2,
                             log=lines.append).run(num_ticks=41)
    # 41 ticks of 8 per bar reach the downbeat of bar 5: lines at bars 2, 4.
    self.assertEqual(lines, ['bar 2: rewards 3  loss {snare 0.1235}',
                             'bar 4: rewards 3  loss {snare 0.1235}'])

  def test_open_sinks(self):
    self.assertEmpty(live_session.open_sinks(live_session.SinkConfig()).sinks)
    with self.assertRaisesRegex(ValueError, 'host:port'):
      live_session.open_sinks(live_session.SinkConfig(osc_out='nowhere'))
    with self.assertRaises(sinks.SinkError):
      live_session.open_sinks(live_session.SinkConfig(midi_port='no-port'))
    if not sinks.sound_card_present():  # this machine and CI: no sound card.
      with self.assertRaisesRegex(sinks.SinkError, 'no sound card'):
        live_session.open_sinks(live_session.SinkConfig(audio_driver='alsa'))


class MelodyStreamTest(absltest.TestCase):

  def test_events_to_notes(self):
    rec = sinks.RecordingSink()
    # C4 (action 14 -> 60), hold, E4 (18 -> 64), NOTE_OFF.
    stream = melody_stream.MelodyStream(
        lambda: np.array([[14, 1, 18, 0]]), rec, prefetch=1)
    self.assertTrue(stream.wait_ready(5.0))
    for i in range(4):
      stream.on_tick(clock_lib.Tick(i, 0, i, i / 16, i / 4, i / 4, 80))
    stream.close()
    self.assertEqual(rec.events[:4], [
        ('note_on', 0.0, 60, 100, 0), ('note_off', 0.5, 60, 0),
        ('note_on', 0.5, 64, 100, 0), ('note_off', 0.75, 64, 0)])


class DrumAdapterTest(absltest.TestCase):

  def test_drums_and_synth_lines_with_their_controls(self):
    # No learn/predict statement: no agent, no TF.
    session = drum_live.make_drum_session(
        'kick*2;\nlead*2 1 60,64 cut_mousex res70 env30;')
    rec = sinks.RecordingSink()
    adapter = drum_live.DrumLiveApp(session, rec)
    handlers = adapter.handlers()
    handlers['drums/control']('mousex', 0.5)  # the pad's pointer x.
    for i in range(5):  # 120 bpm, 8 ticks per bar: 0.25 s per tick.
      adapter.on_tick(clock_lib.Tick(i, 0, i, i / 8, i * 0.25, i * 0.25,
                                     120))
    # Lead: GM program 81 (80 0-based) on channel 0; each note half a bar
    # (4 ticks); cut follows mousex: 50 -> round(127 * .5) = 64 on CC 74,
    # res 70 -> round(88.9) = 89 on CC 71, env 30 -> round(38.1) = 38 on
    # CC 72. Kick: note 36 on channel 9, one tick long.
    self.assertEqual(rec.events, [
        ('program', 0.0, 80, 0), ('program', 0.0, 38, 1),
        ('note_on', 0.0, 36, 100, 9),
        ('cc', 0.0, 74, 64, 0), ('cc', 0.0, 71, 89, 0), ('cc', 0.0, 72, 38, 0),
        ('note_on', 0.0, 60, 100, 0),
        ('note_off', 0.25, 36, 9),
        ('note_off', 1.0, 60, 0),
        ('note_on', 1.0, 36, 100, 9),
        ('cc', 1.0, 74, 64, 0), ('cc', 1.0, 71, 89, 0), ('cc', 1.0, 72, 38, 0),
        ('note_on', 1.0, 64, 100, 0)])
    self.assertEqual(adapter.status(), {'modes': {}, 'loss': {}})
    self.assertCountEqual(handlers, [
        'drums/mode', 'drums/program', 'drums/reset', 'drums/save',
        'drums/load', 'drums/control'])
    with self.assertRaisesRegex(ValueError, 'set_control'):
      handlers['drums/control']('mousez', 0.5)


if __name__ == '__main__':
  absltest.main()
