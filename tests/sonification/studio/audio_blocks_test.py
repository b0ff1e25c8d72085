"""Tests for sonification/studio/audio_blocks.py."""

import math

from absl.testing import absltest
import numpy as np

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

  def test_block_duration(self):
    self.assertAlmostEqual(audio_blocks.block_duration_s(1024, 48000),
                           0.021333, places=6)
    with self.assertRaisesRegex(ValueError, 'frames'):
      audio_blocks.block_duration_s(0, 48000)

if __name__ == '__main__':
  absltest.main()
