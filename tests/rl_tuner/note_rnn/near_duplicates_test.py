"""Tests for near-duplicate detection (numpy + scipy)."""

from absl.testing import absltest
import numpy as np

from rl_tuner.note_rnn import near_duplicates


class NearDuplicatesTest(absltest.TestCase):

  def test_onset_ngrams_ignore_rhythm(self):
    # Onsets 14, 16, 18 (holds/rests dropped): 2-grams (14,16), (16,18) ->
    # codes (12 + 14*36, 14 + 16*36) = (516, 590).
    codes = near_duplicates.onset_ngrams([np.array([14, 1, 16, 0, 1, 18])], 2)
    np.testing.assert_array_equal(codes, [516, 590])
    same = near_duplicates.onset_ngrams([np.array([14, 16, 1, 1, 18, 1])], 2)
    np.testing.assert_array_equal(codes, same)
    self.assertEmpty(near_duplicates.onset_ngrams([np.array([14, 1])], 2))

  def test_mask_by_hand(self):
    # Candidate A: onsets 2..7 -> 2-grams {23,34,45,56,67} (5). Reference R:
    # onsets 2,3,4,5,9 -> {23,34,45,59}: shares 3 with A; min(5, 4) = 4;
    # 3 >= 0.5 * 4 -> A is a near-duplicate. Candidate B: onsets 20..25,
    # shares nothing. Candidate C: one onset, no 2-gram.
    a = [np.array([2, 3, 4, 5, 6, 7])]
    b = [np.array([20, 1, 21, 22, 23, 24, 25])]
    c = [np.array([30, 1, 1])]
    r = [np.array([2, 3, 1, 4, 5, 9])]
    mask = near_duplicates.near_duplicate_mask([a, b, c], [r], n=2,
                                               threshold=0.5)
    np.testing.assert_array_equal(mask, [True, False, False])
    # 3 < 0.8 * 4: not at threshold 0.8.
    mask = near_duplicates.near_duplicate_mask([a], [r], n=2, threshold=0.8)
    np.testing.assert_array_equal(mask, [False])

  def test_errors(self):
    with self.assertRaisesRegex(ValueError, 'threshold'):
      near_duplicates.near_duplicate_mask([], [], threshold=0.0)
    with self.assertRaisesRegex(ValueError, 'n must be'):
      near_duplicates.onset_ngrams([], 13)


if __name__ == '__main__':
  absltest.main()
