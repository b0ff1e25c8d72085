"""CARL's voice: every parameter moved 0 -> 1 changes the sound."""

import numpy as np
from absl.testing import absltest

from sonification.audio import carl_voice
from sonification.audio import engine as engine_lib
from sonification.audio import outputs

SR = 44100


def render(mapping, values, seconds=0.6):
  engine = engine_lib.Engine(SR, 128)
  engine.set_track('carl', 'carl', mapping=mapping)
  engine.set_carl('carl', values, frame=0)
  return outputs.render(engine, seconds)[SR // 5:, 0]  # Past the glide.


def features(x):
  """(RMS, spectral centroid Hz, spectral flux between 50 ms frames)."""
  mag = np.abs(np.fft.rfft(x * np.hanning(x.size)))
  freqs = np.fft.rfftfreq(x.size, 1.0 / SR)
  frames = x[:x.size // 2205 * 2205].reshape(-1, 2205)
  spectra = np.abs(np.fft.rfft(frames, axis=1))
  flux = np.mean(np.abs(np.diff(spectra, axis=0))) / np.mean(spectra)
  return (np.sqrt(np.mean(x ** 2)), np.sum(freqs * mag) / np.sum(mag), flux)


class CarlVoiceTest(absltest.TestCase):

  def test_every_parameter_is_heard(self):
    # All seven parameters driven; each moved 0 -> 1 with the rest at 0.5
    # (mod_depth at 0.5 so mod_rate has something to modulate) changes the
    # waveform by more than 10% of its RMS, and its own measure moves.
    mapping = carl_voice.DEFAULT_MAPPING
    for i, name in enumerate(mapping):
      low = [0.5] * len(mapping)
      high = [0.5] * len(mapping)
      low[i], high[i] = 0.0, 1.0
      a, b = render(mapping, low), render(mapping, high)
      difference = np.sqrt(np.mean((a - b) ** 2))
      scale = max(np.sqrt(np.mean(a ** 2)), np.sqrt(np.mean(b ** 2)))
      self.assertGreater(difference, 0.1 * scale, msg=name)
      fa, fb = features(a), features(b)
      changed = [abs(np.log((y + 1e-9) / (z + 1e-9))) for y, z in zip(fa, fb)]
      self.assertGreater(max(changed), np.log(1.2),
                         msg=f'{name}: {fa} vs {fb}')

  def test_moves_smoothly(self):
    # A jump of every output 0 -> 1 mid-stream: no step bigger than the
    # waveform's own (the parameters glide over ~20 ms).
    engine = engine_lib.Engine(SR, 128)
    engine.set_track('carl', 'carl')
    engine.set_carl('carl', [0.0, 0.0, 0.0, 0.0], frame=0)
    engine.set_carl('carl', [1.0, 1.0, 1.0, 1.0], frame=SR // 4)
    x = outputs.render(engine, 0.5)[:, 0]
    steady = np.max(np.abs(np.diff(x[SR // 8:SR // 4])))
    jump = np.max(np.abs(np.diff(x[SR // 4:SR // 4 + 400])))
    self.assertLess(jump, max(4 * steady, 0.2))

  def test_mapping_checks(self):
    self.assertEqual(carl_voice.default_mapping(4),
                     ('pitch', 'cutoff', 'resonance', 'drive'))
    self.assertEqual(carl_voice.parse_mapping('cutoff, amplitude'),
                     ('cutoff', 'amplitude'))
    with self.assertRaisesRegex(ValueError, 'volume'):
      carl_voice.parse_mapping('cutoff,volume')
    with self.assertRaisesRegex(ValueError, 'repeats'):
      carl_voice.parse_mapping('cutoff,cutoff')
    voice = carl_voice.CarlVoice(SR, ('pitch', 'cutoff'))
    with self.assertRaisesRegex(ValueError, 'got 3'):
      voice.set_values([0.1, 0.2, 0.3])

  def test_parameter_table(self):
    table = {p.name: p for p in carl_voice.PARAMETERS}
    self.assertEqual(table['pitch'].value(0.5), 60.0)  # 36 + 48 / 2.
    self.assertAlmostEqual(table['cutoff'].value(0.5), 800.0)  # sqrt(80*8k).
    self.assertEqual(table['drive'].value(2.0), 10.0)  # Clipped to x = 1.


if __name__ == '__main__':
  absltest.main()
