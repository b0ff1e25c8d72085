"""Measured properties of rendered audio (issue 10), computed with numpy."""

import numpy as np
from absl.testing import absltest

from sonification.audio import engine as engine_lib
from sonification.audio import outputs

SR = 44100


def centroid(mono, floor_db=-100.0, window=True):
  """Spectral centroid in Hz of a mono signal: magnitude-weighted over the
  bins within ``floor_db`` of the strongest (the noise floor of 20,000
  empty bins would otherwise outweigh the signal), Hann-windowed (a cut-off
  note would otherwise leak into every bin; drum hits, which start at 0 and
  decay to silence, are measured unwindowed)."""
  if window:
    mono = mono * np.hanning(mono.size)
  mag = np.abs(np.fft.rfft(mono))
  mag[mag < mag.max() * 10 ** (floor_db / 20)] = 0.0
  freqs = np.fft.rfftfreq(mono.size, 1.0 / SR)
  return float(np.sum(freqs * mag) / np.sum(mag))


def rms_db(x):
  return 20 * np.log10(np.sqrt(np.mean(np.square(x, dtype=np.float64))))


def render_hit(instrument, effects=(), seconds=0.5, block=128):
  engine = engine_lib.Engine(SR, block)
  engine.set_track('t', instrument, effects=effects)
  engine.trigger('t', frame=0)
  return outputs.render(engine, seconds, block_size=block)[:, 0]


def render_note(params, pitch=36, seconds=0.5, effects=()):
  engine = engine_lib.Engine(SR, 128)
  engine.set_track('t', 'bass', params=params, effects=effects)
  engine.trigger('t', frame=0, pitch=pitch, duration=SR)
  return outputs.render(engine, seconds)[:, 0]


class DrumEffectsTest(absltest.TestCase):

  def test_lpf_200_halves_kick_centroid(self):
    dry = centroid(render_hit('kick'), window=False)
    wet = centroid(render_hit('kick', (('lpf', 200),)), window=False)
    self.assertLess(wet, 0.5 * dry)

  def test_hpf_3000_raises_snare_centroid(self):
    dry = centroid(render_hit('snare'), window=False)
    wet = centroid(render_hit('snare', (('hpf', 3000),)), window=False)
    self.assertGreater(wet, 1.25 * dry)

  def test_dist_10_adds_harmonics(self):
    # The kick's body is a 48-160 Hz sine; the waveshaper adds its odd
    # harmonics. Share of the energy between 200 Hz and 2 kHz:
    def harmonic_share(x):
      power = np.abs(np.fft.rfft(x)) ** 2
      freqs = np.fft.rfftfreq(x.size, 1.0 / SR)
      return power[(freqs > 200) & (freqs < 2000)].sum() / power.sum()
    dry = harmonic_share(render_hit('kick'))
    wet = harmonic_share(render_hit('kick', (('dist', 10),)))
    self.assertGreater(wet, 3 * dry)
    # Crest factor (peak / RMS) falls: the waveshaper squashes the peaks.
    crest = lambda x: np.max(np.abs(x)) / np.sqrt(np.mean(x ** 2))
    self.assertLess(crest(render_hit('kick', (('dist', 10),))),
                    0.7 * crest(render_hit('kick')))

  def test_amp_half_is_minus_6_db(self):
    dry = rms_db(render_hit('snare'))
    wet = rms_db(render_hit('snare', (('amp', 0.5),)))
    # 20 log10(0.5) = -6.02 dB.
    self.assertAlmostEqual(wet - dry, -6.02, delta=0.5)

  def test_effect_order_matters(self):
    a = render_hit('kick', (('dist', 10), ('lpf', 200)))
    b = render_hit('kick', (('lpf', 200), ('dist', 10)))
    self.assertGreater(np.max(np.abs(a - b)), 0.05)

  def test_two_statements_two_chains(self):
    # The same filter on two tracks: each has its own state, so two kicks
    # sum to exactly twice one kick (below the limiter's ceiling).
    engine = engine_lib.Engine(SR, 128, master_gain=0.5)
    for name in ('a', 'b'):
      engine.set_track(name, 'kick', effects=(('lpf', 300),))
      engine.trigger(name, frame=0)
    both = outputs.render(engine, 0.3)[:, 0]
    one_engine = engine_lib.Engine(SR, 128, master_gain=0.5)
    one_engine.set_track('a', 'kick', effects=(('lpf', 300),))
    one_engine.trigger('a', frame=0)
    one = outputs.render(one_engine, 0.3)[:, 0]
    np.testing.assert_allclose(both, 2 * one, atol=1e-6)


class SynthTest(absltest.TestCase):

  def test_cut_10_vs_100_centroid_ratio(self):
    dark = centroid(render_note({'cut': 10})[SR // 10:])
    bright = centroid(render_note({'cut': 100})[SR // 10:])
    self.assertGreater(bright, 4 * dark)

  def test_res_90_peak_near_cutoff(self):
    # cut 50 -> 40 * 400 ** 0.5 = 800 Hz. A 55 Hz saw (pitch 33) through
    # res 90 against res 0: the harmonic boosted most lies within a quarter
    # octave of 800 Hz, and by more than 12 dB.
    fc = 40 * 400 ** 0.5
    f0 = 55.0
    spectra = []
    for res in (0, 90):
      x = render_note({'cut': 50, 'res': res}, pitch=33, seconds=1.1)
      x = x[SR // 10:SR // 10 + SR]  # One second: 1 Hz bins.
      mag = np.abs(np.fft.rfft(x * np.hanning(x.size)))
      spectra.append(mag[[int(k * f0) for k in range(1, 60)]])
    boost = spectra[1] / spectra[0]
    peak = f0 * (1 + int(np.argmax(boost)))
    self.assertLess(abs(np.log2(peak / fc)), 0.25, msg=f'peak {peak} Hz')
    self.assertGreater(boost.max(), 4.0)  # 20 log10(4) = 12 dB.

  def test_env_brightens_the_attack(self):
    # 5-50 ms: past the 2 ms amplitude attack, within the env decay.
    flat = render_note({'cut': 20, 'env': 0})[SR // 200:SR // 20]
    swept = render_note({'cut': 20, 'env': 80})[SR // 200:SR // 20]
    self.assertGreater(centroid(swept), 2 * centroid(flat))

  def test_low_notes_sound(self):
    for pitch in (20, 22, 32, 60):
      x = render_note({'cut': 60}, pitch=pitch)
      self.assertGreater(rms_db(x), -30, msg=f'pitch {pitch}')

  def test_control_binding_moves_cutoff_smoothly(self):
    engine = engine_lib.Engine(SR, 128)
    engine.set_track('t', 'lead', params={'cut': 10},
                     bindings={'cut': 'mousex'})
    engine.set_control('mousex', 0.0)
    engine.trigger('t', frame=0, pitch=45, duration=2 * SR)
    before = outputs.render(engine, 0.25)[:, 0]
    engine.set_control('mousex', 1.0)
    after = outputs.render(engine, 0.25)[:, 0]
    self.assertGreater(centroid(after[SR // 10:]),
                       4 * centroid(before[SR // 10:]))
    # No zipper: sample-to-sample steps stay those of the waveform itself.
    self.assertLess(np.max(np.abs(np.diff(after[:400]))), 0.5)


class EngineTest(absltest.TestCase):

  def _program(self, block):
    engine = engine_lib.Engine(SR, block)
    engine.set_track('k', 'kick', effects=(('dist', 3), ('lpf', 400)))
    engine.set_track('h', 'closedhat', effects=(('amp', 0.6),
                                                ('hpf', 5000)))
    engine.set_track('b', 'bass', params={'cut': 40, 'res': 70, 'env': 30},
                     effects=(('dist', 3), ('lpf', 400)))
    for i in range(8):
      engine.trigger('k', frame=i * 5000)
      engine.trigger('h', frame=i * 5000 + 2500, velocity=0.8)
      engine.trigger('b', frame=i * 5000 + 17, pitch=36 + i, duration=3000)
    return outputs.render(engine, 1.0, block_size=block)

  def test_bit_identical(self):
    a = self._program(128)
    b = self._program(128)
    self.assertEqual(a.tobytes(), b.tobytes())

  def test_block_size_does_not_change_the_sound(self):
    np.testing.assert_allclose(self._program(128), self._program(1000),
                               atol=1e-5)

  def test_limiter_peak_and_no_clip(self):
    engine = engine_lib.Engine(SR, 128, master_gain=4.0)
    for name in ('k', 's', 'b'):
      engine.set_track(name, {'k': 'kick', 's': 'snare', 'b': 'bass'}[name])
    for i in range(4):
      engine.trigger('k', frame=i * 11025)
      engine.trigger('s', frame=i * 11025)
      engine.trigger('b', frame=i * 11025, pitch=40, duration=8000)
    audio = outputs.render(engine, 1.0)
    peak_db = 20 * np.log10(np.max(np.abs(audio)))
    self.assertLessEqual(peak_db, -1.0 + 1e-4)
    self.assertGreater(peak_db, -1.5)

  def test_events_apply_at_their_sample(self):
    engine = engine_lib.Engine(SR, 128)
    engine.set_track('k', 'kick')
    engine.trigger('k', frame=1000)
    audio = outputs.render(engine, 0.1)[:, 0]
    window = engine.limiter.window - 1  # The limiter's look-ahead delay.
    first = int(np.argmax(np.abs(audio) > 1e-6))
    self.assertEqual(first, 1000 + window)

  def test_bad_input_names_it(self):
    engine = engine_lib.Engine(SR, 128)
    with self.assertRaisesRegex(ValueError, 'tom'):
      engine.set_track('t', 'tom')
    with self.assertRaisesRegex(ValueError, 'lpf:5'):
      engine.set_track('t', 'kick', effects=(('lpf', 5),))
    with self.assertRaisesRegex(ValueError, 'res=120'):
      engine.set_track('t', 'bass', params={'res': 120})

  def test_no_tensorflow(self):
    import sys  # pylint: disable=g-import-not-at-top
    self.assertNotIn('tensorflow', sys.modules)


if __name__ == '__main__':
  absltest.main()
