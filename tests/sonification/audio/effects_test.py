"""Effect chains: each effect's arithmetic, state across blocks, errors."""

import numpy as np
from absl.testing import absltest
from scipy import signal

from sonification.audio import effects


def noise(n=4096, seed=0):
  return np.random.default_rng(seed).uniform(-1, 1, n).astype(np.float32)


class EffectsTest(absltest.TestCase):

  def test_dist_waveshaper(self):
    x = np.array([-1.0, -0.5, 0.0, 0.25, 1.0], np.float32)
    np.testing.assert_array_equal(effects.Dist(1).process(x), x)  # Clean.
    # drive 3: k = 2, y = tanh(2 x) / tanh(2): 0.25 -> 0.462117 / 0.964028.
    y = effects.Dist(3).process(x)
    self.assertAlmostEqual(float(y[3]), 0.479361, places=5)
    self.assertAlmostEqual(float(y[4]), 1.0, places=6)  # Peak kept.

  def test_amp(self):
    x = noise(16)
    np.testing.assert_allclose(effects.Amp(0.5).process(x), 0.5 * x)

  def test_filter_equals_scipy_and_blocks_do_not_matter(self):
    x = noise()
    for kind in ('lpf', 'hpf'):
      whole = effects.Filter(kind, 1000, 44100)
      expected = signal.sosfilt(whole.sos, x.astype(np.float64))
      np.testing.assert_allclose(whole.process(x), expected, atol=1e-6)
      blocks = effects.Filter(kind, 1000, 44100)
      pieces = [blocks.process(x[i:i + 100]) for i in range(0, x.size, 100)]
      np.testing.assert_array_equal(np.concatenate(pieces),
                                    effects.Filter(kind, 1000, 44100
                                                   ).process(x))

  def test_chain_order_and_state_adoption(self):
    chain = effects.EffectChain((('amp', 2.0), ('dist', 5)), 44100)
    other = effects.EffectChain((('dist', 5), ('amp', 2.0)), 44100)
    x = noise(64) * 0.3
    self.assertGreater(np.max(np.abs(chain.process(x) - other.process(x))),
                       0.1)
    old = effects.EffectChain((('lpf', 400), ('amp', 1)), 44100)
    old.process(noise())
    new = effects.EffectChain((('lpf', 800), ('amp', 1)), 44100)
    new.adopt_state(old)
    np.testing.assert_array_equal(new.effects[0].zi, old.effects[0].zi)

  def test_errors_name_the_effect(self):
    with self.assertRaisesRegex(ValueError, "unknown effect 'reverb'"):
      effects.EffectChain((('reverb', 1),))
    with self.assertRaisesRegex(ValueError, r'dist:0.5 out of range'):
      effects.EffectChain((('dist', 0.5),))
    with self.assertRaisesRegex(ValueError, r'hpf:30000 out of range'):
      effects.EffectChain((('hpf', 30000),))


if __name__ == '__main__':
  absltest.main()
