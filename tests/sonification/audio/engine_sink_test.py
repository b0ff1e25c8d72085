"""The engine as a live session's sink: CARL, melodies, drum programs."""

import os

import numpy as np
import soundfile
from absl.testing import absltest

from drums import language
from drums import session as session_lib
from sonification import clock
from sonification import drum_live
from sonification import live_session
from sonification import sinks
from sonification.audio import engine as engine_lib
from sonification.audio import engine_sink
from sonification.audio import outputs

SR = 44100


def rms(x):
  return float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))


class FakeStream:

  def __init__(self, **kwargs):
    self.kwargs = kwargs

  def start(self):
    pass

  def pull(self, blocks):
    out = np.zeros((self.kwargs['blocksize'], 2), np.float32)
    for _ in range(blocks):
      self.kwargs['callback'](out, out.shape[0], None, None)
    return out

  def stop(self):
    pass

  def close(self):
    pass


class EngineSinkTest(absltest.TestCase):

  def setUp(self):
    super().setUp()
    self.dir = self.create_tempdir().full_path

  def read(self, name):
    audio, rate = soundfile.read(os.path.join(self.dir, name),
                                 dtype='float32')
    self.assertEqual(rate, SR)
    return audio[:, 0]

  def test_carl_session_is_heard_whole(self):
    # Issue 10: `live --carl --wav_out` wrote one second of silence. Ticks
    # every 0.25 s for 4 s (starting at clock time 100 s), the cutoff output
    # rising: the WAV lasts 4 s + the 1 s tail and gets brighter.
    sink = engine_sink.EngineSink(engine_lib.Engine(SR),
                                  os.path.join(self.dir, 'carl.wav'))
    for i in range(17):
      sink.parameters([0.3, i / 16, 0.2, 0.0], 100.0 + 0.25 * i)
    sink.close()
    audio = self.read('carl.wav')
    self.assertEqual(audio.size, 5 * SR)  # (4 + 1) s.
    first, last = audio[SR // 2:SR], audio[3 * SR:int(3.5 * SR)]
    self.assertGreater(rms(first), 0.01)
    diff = lambda x: rms(np.diff(x)) / rms(x)  # Rises with brightness.
    self.assertGreater(diff(last), 2 * diff(first))

  def test_melody_notes_on_the_chosen_voice(self):
    sink = engine_sink.EngineSink(engine_lib.Engine(SR),
                                  os.path.join(self.dir, 'melody.wav'),
                                  voice='bass')
    sink.note_on(60, 100, 0, 10.0)
    sink.note_off(60, 0, 10.5)
    sink.note_on(64, 100, 0, 11.0)
    sink.close()  # The last note sounds until the end (1 s tail).
    audio = self.read('melody.wav')
    self.assertEqual(audio.size, 2 * SR)
    self.assertGreater(rms(audio[:SR // 2]), 0.01)
    self.assertLess(rms(audio[int(0.7 * SR):SR]), 1e-3)  # Released.
    self.assertGreater(rms(audio[SR + 1000:]), 0.01)
    with self.assertRaisesRegex(ValueError, 'organ'):
      engine_sink.EngineSink(engine_lib.Engine(SR), voice='organ')

  def test_drum_program_by_statement(self):
    # Two kicks, the second through lpf:200: the live app sends hits by
    # statement, so the filtered one is darker; the GM notes it also sends
    # do not double them.
    session = session_lib.from_program('bpm 120; kick; kick+0.5 (lpf:200);')
    wav = os.path.join(self.dir, 'drums.wav')
    sink = sinks.MultiSink([engine_sink.EngineSink(engine_lib.Engine(SR),
                                                   wav)])
    app = drum_live.DrumLiveApp(session, sink, session.ticks_per_bar)
    for index in range(8):  # One bar at 120 bpm: 2 s, ticks every 0.25 s.
      time_s = 0.25 * index
      app.on_tick(clock.Tick(index, 0, index, index / 8, time_s, time_s,
                             120.0))
    app.close()
    self.assertEqual(sink.errors, 0)
    audio = self.read('drums.wav')
    self.assertEqual(audio.size, 2 * SR)  # Last hit at 1 s + 1 s tail.
    plain, filtered = audio[:SR // 2], audio[SR:SR + SR // 2]
    def high_share(x):  # Energy share above 400 Hz (the click).
      power = np.abs(np.fft.rfft(x)) ** 2
      return power[np.fft.rfftfreq(x.size, 1 / SR) > 400].sum() / power.sum()
    self.assertLess(high_share(filtered), 0.1 * high_share(plain))
    # One kick, not two: the peak is -1 dBFS after normalising either way,
    # so compare energy with the unfiltered hit.
    self.assertLess(rms(filtered), 1.2 * rms(plain))

  def test_realtime_hit_later_in_its_tick_keeps_its_offset(self):
    # A hit 0.5 s after its tick is not mistaken for clock drift: it sounds
    # at latency + 0.5 s after the first event.
    streams = []

    def open_output(engine, tap):
      output = outputs.SoundDeviceOutput(engine, stream_factory=FakeStream,
                                         tap=tap)
      streams.append(output.stream)
      return output.start()

    wav = os.path.join(self.dir, 'offset.wav')
    sink = engine_sink.EngineSink(engine_lib.Engine(SR, 128), wav,
                                  open_output, latency_s=0.01)
    sink.drum_program(language.parse('kick;'), 50.0)
    sink.statement_hit(0, 50.0, 0.5)
    streams[0].pull(200)  # 0.58 s.
    sink.close()
    audio = self.read('offset.wav')
    onset = int(np.argmax(np.abs(audio) > 1e-4))
    delay = engine_lib.Limiter(SR).window - 1
    self.assertEqual(onset, 441 + 22050 + delay)  # 0.01 s + 0.5 s.

  def test_live_session_opens_the_engine_or_gm(self):
    wav = os.path.join(self.dir, 'x.wav')
    opened = live_session.open_sinks(live_session.SinkConfig(wav_out=wav))
    self.assertIsInstance(opened.sinks[0], engine_sink.EngineSink)
    opened.close()
    opened = live_session.open_sinks(live_session.SinkConfig(
        wav_out=wav, synth='gm'))
    self.assertIsInstance(opened.sinks[0], sinks.WavSink)
    with self.assertRaisesRegex(ValueError, 'volume'):
      live_session.open_sinks(live_session.SinkConfig(
          wav_out=wav, carl_voice='cutoff,volume'))
    with self.assertRaisesRegex(ValueError, "synth 'fm'"):
      live_session.open_sinks(live_session.SinkConfig(wav_out=wav,
                                                      synth='fm'))
    if not sinks.sound_card_present():  # This machine and CI.
      with self.assertRaisesRegex(sinks.SinkError, 'no sound card'):
        live_session.open_sinks(live_session.SinkConfig(
            audio_driver='default'))

  def test_realtime_output_records_what_it_plays(self):
    streams = []

    def open_output(engine, tap):
      output = outputs.SoundDeviceOutput(engine, stream_factory=FakeStream,
                                         tap=tap)
      streams.append(output.stream)
      return output.start()

    wav = os.path.join(self.dir, 'live.wav')
    sink = engine_sink.EngineSink(engine_lib.Engine(SR, 128), wav,
                                  open_output)
    sink.parameters([0.5, 0.5, 0.5, 0.5], 3.0)
    streams[0].pull(100)
    sink.close()
    audio = self.read('live.wav')
    self.assertEqual(audio.size, 12800)
    self.assertGreater(rms(audio[6400:]), 0.01)


if __name__ == '__main__':
  absltest.main()
