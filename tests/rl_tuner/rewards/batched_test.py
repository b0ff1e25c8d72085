"""The batched rewards equal the per-note reference at every beat."""

from absl.testing import absltest
import numpy as np

from rl_tuner import encoding
from rl_tuner.rewards import batched
from rl_tuner.rewards import music_theory as mt
from tests.rl_tuner.rewards import composition_generators as gen

KEYS = (encoding.C_MAJOR, encoding.KeyConfig(tonic_pitch=57, mode='minor'),
        encoding.KeyConfig(tonic_pitch=67))


def reference_rewards(compositions, t, key, length=32):
  return np.array([
      mt.music_theory_reward_reference(list(c[:t]), int(c[t]), key, length)
      for c in compositions])


class BatchedTest(absltest.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    rng = np.random.default_rng(1234)
    cls.uniform = gen.uniform(rng, 1000)
    cls.realistic = gen.realistic(rng, 1500)

  def test_tonic_start_reward_changes_beat_0_only(self):
    # The tonic at beat 0 and at the last bar's start (beat 28): only the
    # first reward moves with tonic_start_reward.
    x = np.full([1, 32], 1)
    x[0, 0] = x[0, 28] = 14
    x[0, 8] = x[0, 16] = 18
    paper = batched.music_theory_reward_per_step(x)
    low = batched.music_theory_reward_per_step(x, tonic_start_reward=1.0)
    np.testing.assert_allclose(paper - low, np.eye(32)[:1] * 2.0, atol=1e-6)
    for t in (0, 28):
      self.assertAlmostEqual(
          float(batched.music_theory_reward(x[:, :t], x[:, t],
                                            tonic_start_reward=1.0)[0]),
          float(low[0, t]), places=5)

  def test_generators_exercise_every_rule(self):
    # A test that cannot fail is a defect: make sure each rule fires.
    an = batched.analyze(self.realistic)
    self.assertGreater(an.excessive_repetition.sum(), 20)
    self.assertGreater(an.in_motif.sum(), 1000)
    self.assertGreater(an.in_repeated_motif.sum(), 50)
    self.assertGreater((an.leap_outcomes == 1).sum(), 50)
    self.assertGreater((an.leap_outcomes == -1).sum(), 20)
    self.assertGreater(an.not_in_key.sum(), 20)
    self.assertGreater((self.realistic[:, 0] == 14).sum(), 10)
    self.assertGreater(an.high_unique.sum(), 20)

  def test_lockstep_equals_reference(self):
    # 2,500 compositions in C major, 600 in each other key.
    for key in KEYS:
      n = None if key == encoding.C_MAJOR else 300
      for name, comps in (('uniform', self.uniform[:n]),
                          ('realistic', self.realistic[:n])):
        for t in range(32):  # In order, as an environment calls it.
          got = batched.music_theory_reward(comps[:, :t], comps[:, t], key)
          self.assertEqual(got.dtype, np.float32)
          self.assertEqual(got.shape, (comps.shape[0],))
          np.testing.assert_allclose(
              got, reference_rewards(comps, t, key), atol=1e-5,
              err_msg=f'{key.name} {name} beat {t}')

  def test_any_beat_order_equals_reference(self):
    # Out of order and as int32: no reuse of earlier beats.
    comps = self.realistic[:120].astype(np.int32)
    for t in np.random.default_rng(7).permutation(32):
      np.testing.assert_allclose(
          batched.music_theory_reward(comps[:, :t], comps[:, t]),
          reference_rewards(comps, t, encoding.C_MAJOR), atol=1e-5,
          err_msg=f'beat {t}')

  def test_per_step_equals_per_beat(self):
    comps = np.concatenate([self.uniform, self.realistic])
    per_step = batched.music_theory_reward_per_step(comps)
    self.assertEqual(per_step.shape, comps.shape)
    for t in range(32):
      np.testing.assert_allclose(
          per_step[:, t],
          batched.music_theory_reward(comps[:, :t], comps[:, t]), atol=1e-5)

  def test_other_composition_length(self):
    comps = self.realistic[:60, :16]
    for t in range(16):
      np.testing.assert_allclose(
          batched.music_theory_reward(comps[:, :t], comps[:, t],
                                      composition_length=16),
          reference_rewards(comps, t, encoding.C_MAJOR, 16), atol=1e-5)
    np.testing.assert_allclose(
        batched.music_theory_reward_per_step(comps)[:, -1],
        reference_rewards(comps, 15, encoding.C_MAJOR, 16), atol=1e-5)

  def test_analysis_equals_reference(self):
    comps = self.realistic[:200]
    an = batched.analyze(comps)
    for i, c in enumerate(comps.tolist()):
      self.assertEqual(an.leap_outcomes[i].tolist(), mt.leap_outcomes(c))
      for t in range(32):
        self.assertEqual(an.excessive_repetition[i, t],
                         mt.detect_repeating_notes(c[:t], c[t]))
        self.assertEqual(an.interval_codes[i, t],
                         mt.detect_sequential_interval(c[:t], c[t]))
        self.assertEqual(an.in_repeated_motif[i, t],
                         mt.detect_repeated_motif(c[:t], c[t])[0])

  def test_hand_made_beat(self):
    # C4 E4 G4 with holds, at beat 7 a hold after G4: motif +3, hold after the
    # dominant +1.5, plus the autocorrelation penalty of the reference.
    comps = np.array([[14, 1, 18, 1, 21, 1, 1]])
    expected = 3.0 + 1.5 + mt.reward_penalize_autocorrelation(
        [14, 1, 18, 1, 21, 1, 1], 1)
    np.testing.assert_allclose(
        batched.music_theory_reward(comps, np.array([1])), [expected],
        atol=1e-6)

  def test_errors(self):
    with self.assertRaisesRegex(ValueError, 'actions must be'):
      batched.music_theory_reward(np.zeros((2, 3), int), np.zeros((2, 1), int))
    with self.assertRaisesRegex(ValueError, 'compositions must be'):
      batched.music_theory_reward(np.zeros((3, 3), int), np.zeros(2, int))
    with self.assertRaisesRegex(ValueError, r'\[0, 37\]'):
      batched.music_theory_reward(np.zeros((2, 3), int), np.array([1, 38]))
    with self.assertRaisesRegex(ValueError, 'composition_length'):
      batched.music_theory_reward(np.zeros((2, 32), int), np.zeros(2, int))


if __name__ == '__main__':
  absltest.main()
