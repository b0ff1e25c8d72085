"""Tests of drums.beat_state: +1/-1 states on hand-made ticks, reward."""

import sys

from absl.testing import absltest
import numpy as np

from drums import beat_state


class BeatStateEncoderTest(absltest.TestCase):

  def test_initial_state_is_all_minus_one_but_the_tick(self):
    encoder = beat_state.BeatStateEncoder(8, 8, 0)
    state = encoder.state(3)
    self.assertEqual(state.shape, (16,))
    expected = -np.ones(16, np.float32)
    expected[3] = 1.0
    np.testing.assert_array_equal(state, expected)

  def test_source_history_most_recent_first(self):
    encoder = beat_state.BeatStateEncoder(8, 4, 0)
    for hit in (1, 0, 1):  # ticks 0, 1, 2.
      encoder.push_source(hit)
    state = encoder.state(2)
    # one-hot tick 2, then history [now=1, before=0, 2 before=1, empty].
    np.testing.assert_array_equal(
        state, [-1, -1, 1, -1, -1, -1, -1, -1, 1, -1, 1, -1])

  def test_tutorial_history_of_one(self):
    encoder = beat_state.BeatStateEncoder(8, 1, 0)
    encoder.push_source(1)
    encoder.push_source(0)
    np.testing.assert_array_equal(encoder.state(9)[-1:], [-1])  # Latest only.
    self.assertEqual(encoder.state(9)[1], 1.0)  # Tick 9 -> 9 % 8 = 1.

  def test_action_memory(self):
    encoder = beat_state.BeatStateEncoder(8, 1, 3)
    self.assertEqual(encoder.size, 12)
    encoder.push_action(1)
    encoder.push_action(0)
    np.testing.assert_array_equal(encoder.state(0)[9:], [-1, 1, -1])

  def test_reset_and_history_round_trip(self):
    encoder = beat_state.BeatStateEncoder(8, 2, 1)
    encoder.push_source(1)
    encoder.push_action(1)
    saved = encoder.get_history()
    encoder.reset()
    np.testing.assert_array_equal(encoder.state(0)[8:], [-1, -1, -1])
    encoder.set_history(saved)
    np.testing.assert_array_equal(encoder.state(0)[8:], [1, -1, 1])
    with self.assertRaisesRegex(ValueError, 'source'):
      beat_state.BeatStateEncoder(8, 3, 1).set_history(saved)

  def test_bad_sizes(self):
    with self.assertRaisesRegex(ValueError, 'source_history'):
      beat_state.BeatStateEncoder(8, 0, 0)


class RewardTest(absltest.TestCase):

  def test_hot_path_modules_import_no_tensorflow(self):
    # beat_state is imported above; so are these, for the realtime adapter.
    # pylint: disable=g-import-not-at-top,unused-import
    from drums import beat_memory
    from drums import language
    from drums import schedule
    # pylint: enable=g-import-not-at-top,unused-import
    self.assertNotIn('tensorflow', sys.modules)

  def test_reward(self):
    self.assertEqual(beat_state.reward(1, 1), 1.0)
    self.assertEqual(beat_state.reward(0, 0), 1.0)
    self.assertEqual(beat_state.reward(1, 0), -1.0)
    self.assertEqual(beat_state.reward(0, 1), -1.0)


if __name__ == '__main__':
  absltest.main()
