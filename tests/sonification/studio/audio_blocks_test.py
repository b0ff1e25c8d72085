"""Tests for sonification/studio/audio_blocks.py."""

import math

from absl.testing import absltest
import numpy as np

from drums import language
from sonification.audio import engine as engine_lib
from sonification.audio import engine_sink
from sonification.studio import audio_blocks

RATE = 16000  # Hz (the snare sample needs > 12 kHz); small and fast.


def peak(block):
  return float(np.max(np.abs(block)))


class AudioBlocksTest(absltest.TestCase):

  def test_test_tone_is_a_continuous_sine(self):
    tone = audio_blocks.TestTone(frequency_hz=1000.0, gain=0.5,
                                 sample_rate=8000)
    a, b = tone.render(3), tone.render(3)
    self.assertEqual(a.shape, (3, 2))
    self.assertEqual(a.dtype, np.float32)
    # 1000 Hz at 8 kHz: 8 samples a period; sample n = 0.5 sin(pi n / 4).
    expected = [0.5 * math.sin(math.pi * n / 4) for n in range(6)]
    np.testing.assert_allclose(np.concatenate([a, b])[:, 0], expected,
                               atol=1e-6)
    np.testing.assert_array_equal(a[:, 0], a[:, 1])

  def test_block_duration(self):
    self.assertAlmostEqual(audio_blocks.block_duration_s(1024, 48000),
                           0.021333, places=6)
    with self.assertRaisesRegex(ValueError, 'frames'):
      audio_blocks.block_duration_s(0, 48000)

class BrowserOutputTest(absltest.TestCase):

  def setUp(self):
    super().setUp()
    self.engine = engine_lib.Engine(sample_rate=RATE, block_size=80)
    self.taps = []
    # Events land 0.02 s (320 frames) after the engine's frame "now".
    self.sink = engine_sink.EngineSink(
        self.engine, open_output=lambda engine, tap: (
            audio_blocks.open_browser_output(engine, self.taps.append)),
        latency_s=0.02)
    self.output = self.sink.output

  def test_the_stream_pulls_the_engine_in_realtime_mode(self):
    self.assertIsInstance(self.output, audio_blocks.BrowserOutput)
    self.assertTrue(self.sink.realtime)
    self.assertEqual(self.output.sample_rate, RATE)
    self.output.render(400)  # the streamer ran 25 ms: "now" is frame 400.
    self.sink.drum_program(language.parse('kick*4;'), time_s=0.0)
    self.sink.statement_hit(0, time_s=0.0)
    block = self.output.render(400)
    self.assertEqual(block.shape, (400, 2))
    # Anchored at now + latency (320 frames): silence before them.
    self.assertEqual(peak(block[:320]), 0.0)
    self.assertGreater(peak(block[320:]), 0.01)
    self.assertLen(self.taps, 2)  # every block also goes to the tap.

  def test_effects_of_the_statement_are_heard(self):
    self.output.render(400)
    self.sink.drum_program(language.parse('kick*4 (amp:0.5);'), time_s=0.0)
    self.sink.statement_hit(0, time_s=0.0)
    half = self.output.render(2000)
    engine = engine_lib.Engine(sample_rate=RATE, block_size=80)
    sink = engine_sink.EngineSink(
        engine, open_output=audio_blocks.open_browser_output, latency_s=0.02)
    sink.output.render(400)
    sink.drum_program(language.parse('kick*4;'), time_s=0.0)
    sink.statement_hit(0, time_s=0.0)
    full = sink.output.render(2000)
    # amp:0.5 is -6 dB (the limiter is not reached at one kick).
    self.assertAlmostEqual(20 * math.log10(peak(half) / peak(full)), -6.02,
                           delta=0.5)

  def test_all_off_silences_and_close_stops_rendering(self):
    self.sink.drum_program(language.parse('kick*4;'), time_s=0.0)
    self.sink.statement_hit(0, time_s=0.0)
    self.assertGreater(peak(self.output.render(800)), 0.01)
    self.sink.all_off()
    self.output.render(80)  # the removal lands at the next block.
    self.assertEqual(peak(self.output.render(800)), 0.0)
    self.sink.close()
    self.assertTrue(self.output.closed)
    np.testing.assert_array_equal(self.output.render(8), np.zeros((8, 2)))


if __name__ == '__main__':
  absltest.main()
