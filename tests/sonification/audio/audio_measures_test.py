"""Tests for tests/sonification/audio/audio_measures.py (hand-made signals)."""

import math

import numpy as np
from absl.testing import absltest

from tests.sonification.audio import audio_measures as am

SR = 8000


def sine(hz, seconds, amplitude=1.0):
  n = np.arange(int(seconds * SR))
  return amplitude * np.sin(2 * np.pi * hz * n / SR)


class AudioMeasuresTest(absltest.TestCase):

  def test_rms_and_db(self):
    # A full-scale sine: rms 1/sqrt(2); half of it is -6.02 dB.
    self.assertAlmostEqual(am.rms(sine(1000, 1.0)), 1 / math.sqrt(2),
                           places=6)
    self.assertAlmostEqual(am.db(0.5), -6.0206, places=4)
    self.assertEqual(am.db(0.0), float('-inf'))
    self.assertEqual(am.rms(np.zeros(0)), 0.0)

  def test_centroid_and_band_share(self):
    # 1000 Hz at power 1 and 3000 Hz at power 1/4 (amplitude 1/2): centroid
    # (1000 + 3000 / 4) / 1.25 = 1400 Hz; the 3000 Hz band holds 0.2.
    x = sine(1000, 1.0) + sine(3000, 1.0, 0.5)
    self.assertAlmostEqual(am.spectral_centroid(x, SR), 1400.0, delta=1.0)
    self.assertAlmostEqual(am.band_share(x, SR, 2000, 4000), 0.2, places=4)
    self.assertEqual(am.spectral_centroid(np.zeros(100), SR), 0.0)
    high = am.high_pass(x, SR, 2000)
    self.assertAlmostEqual(am.rms(high), 0.5 / math.sqrt(2), places=4)

  def test_onsets(self):
    # Bursts of a 100 Hz sine at 0.1 s and 0.35 s (each 0.1 s, the second
    # at half level), a 0.5 s signal: two onsets, found within one 5 ms hop.
    x = np.zeros(SR // 2)
    burst = sine(100, 0.1)
    x[800:1600] = burst
    x[2800:3600] = 0.5 * burst
    np.testing.assert_allclose(am.onsets(x, SR), [0.1, 0.35], atol=0.005)
    self.assertEmpty(am.onsets(0.01 * x, SR))  # under the threshold.

  def test_fundamental(self):
    # A 110 Hz saw-like tone (three harmonics): 110 Hz, not a harmonic.
    x = sine(110, 0.5) + sine(220, 0.5, 0.5) + sine(330, 0.5, 0.33)
    self.assertAlmostEqual(am.fundamental_hz(x, SR), 110.0, delta=1.0)


if __name__ == '__main__':
  absltest.main()
