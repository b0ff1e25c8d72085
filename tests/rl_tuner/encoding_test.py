"""Tests for rl_tuner.encoding: the 38-class melody encoding and KeyConfig."""

from absl.testing import absltest
import numpy as np

from rl_tuner import encoding


class EncodingTest(absltest.TestCase):

  def test_pitch_action_round_trip(self):
    # a -> a + 46: action 2 is C3 (48), 14 is middle C (60), 37 is B5 (83).
    self.assertEqual(encoding.action_to_pitch(2), 48)
    self.assertEqual(encoding.action_to_pitch(14), 60)
    self.assertEqual(encoding.action_to_pitch(37), 83)
    self.assertEqual(encoding.pitch_to_action(60), 14)
    np.testing.assert_array_equal(encoding.pitch_to_action([48, 83]), [2, 37])

  def test_out_of_range_raises(self):
    with self.assertRaisesRegex(ValueError, 'got 1'):
      encoding.action_to_pitch(1)
    with self.assertRaisesRegex(ValueError, '84'):
      encoding.pitch_to_action(84)

  def test_melody_events_follow_note_seq_convention(self):
    # note_seq: -1 NOTE_OFF, -2 NO_EVENT; ours: 0 NOTE_OFF, 1 NO_EVENT.
    events = [60, -2, -1, 62, -2, 83, 48]
    actions = encoding.melody_events_to_actions(events)
    np.testing.assert_array_equal(actions, [14, 1, 0, 16, 1, 37, 2])
    self.assertEqual(encoding.actions_to_melody_events(actions), events)

  def test_melody_event_out_of_range_names_it(self):
    with self.assertRaisesRegex(ValueError, r'\[47\]'):
      encoding.melody_events_to_actions([60, 47])

  def test_one_hot(self):
    x = encoding.one_hot([[0, 37]])
    self.assertEqual(x.shape, (1, 2, 38))
    self.assertEqual(x[0, 0, 0], 1.0)
    self.assertEqual(x[0, 1, 37], 1.0)
    self.assertEqual(x.sum(), 2.0)

  def test_c_major_matches_paper(self):
    # SPEC: in-key actions of C major, special events included; tonic 14.
    expected = {0, 1, 2, 4, 6, 7, 9, 11, 13, 14, 16, 18, 19, 21, 23, 25, 26,
                28, 30, 31, 33, 35, 37}
    self.assertEqual(set(encoding.C_MAJOR.in_key_actions), expected)
    self.assertEqual(encoding.C_MAJOR.tonic_action, 14)
    self.assertEqual(int(encoding.C_MAJOR.in_key_mask.sum()), 23)
    self.assertEqual(encoding.C_MAJOR.name, 'C major')

  def test_other_keys(self):
    g_major = encoding.KeyConfig(tonic_pitch=67)
    # G major adds F# (pitch 54 -> action 8) and drops F (53 -> 7).
    self.assertIn(8, g_major.in_key_actions)
    self.assertNotIn(7, g_major.in_key_actions)
    self.assertEqual(g_major.tonic_action, 21)
    a_minor = encoding.KeyConfig(tonic_pitch=57, mode='minor')
    # A natural minor has the same pitch classes as C major.
    self.assertEqual(a_minor.in_key_actions, encoding.C_MAJOR.in_key_actions)

  def test_bad_key_config(self):
    with self.assertRaisesRegex(ValueError, 'dorian'):
      encoding.KeyConfig(mode='dorian')
    with self.assertRaisesRegex(ValueError, '100'):
      encoding.KeyConfig(tonic_pitch=100)


if __name__ == '__main__':
  absltest.main()
