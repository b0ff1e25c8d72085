"""Tests for sonification/studio/audio_blocks.py."""

import math

from absl.testing import absltest
import numpy as np

from sonification import sinks
from sonification.studio import audio_blocks


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

  def test_a_drum_hit_is_a_decaying_sine_an_octave_up(self):
    synth = audio_blocks.HitSynth(sample_rate=48000)
    self.assertTrue(np.all(synth.render(4) == 0))
    synth.note_on(36, 127, sinks.DRUM_CHANNEL)  # kick: MIDI 48, 130.81 Hz.
    block = synth.render(2)
    f = 440.0 * 2 ** ((48 - 69) / 12)  # 130.81 Hz.
    t = 1 / 48000
    expected = 0.5 * math.exp(-t / 0.06) * math.sin(2 * math.pi * f * t)
    self.assertEqual(block[0, 0], 0.0)
    self.assertAlmostEqual(float(block[1, 0]), expected, places=6)
    self.assertEqual(synth.notes_heard, 1)

  def test_voices_end_and_all_off_silences(self):
    synth = audio_blocks.HitSynth(sample_rate=1000)
    synth.note_on(60, 100, 0)  # 250 ms decay: gone after 8 x 0.25 = 2 s.
    self.assertGreater(np.abs(synth.render(1999)).max(), 0.1)
    synth.render(1)
    self.assertTrue(np.all(synth.render(10) == 0))
    synth.note_on(60, 100, 0)
    synth.all_off()
    self.assertTrue(np.all(synth.render(10) == 0))

  def test_block_duration_and_peak(self):
    self.assertAlmostEqual(audio_blocks.block_duration_s(1024, 48000),
                           0.021333, places=6)
    with self.assertRaisesRegex(ValueError, 'frames'):
      audio_blocks.block_duration_s(0, 48000)
    self.assertAlmostEqual(audio_blocks.peak_db(np.full((2, 2), 0.5)),
                           -6.0206, places=4)
    self.assertEqual(audio_blocks.peak_db(np.zeros((2, 2))), float('-inf'))


if __name__ == '__main__':
  absltest.main()
