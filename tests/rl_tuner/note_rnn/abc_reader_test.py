"""Tests for the ABC tunebook reader (no TensorFlow)."""

from absl.testing import absltest

from rl_tuner.note_rnn import abc_reader

HEADER = '% A book\nM:4/4\nL:1/4\n'
TUNE_1 = 'X:1\nT:One\nK:C\nC D E F |]\n'
TUNE_2 = 'X:2\nT:Two\nK:C\nG A B c |]\n'


def _pitches(ns):
  return [n.pitch for n in ns.notes]


class AbcReaderTest(absltest.TestCase):

  def test_comment_paragraphs_between_tunes_are_skipped(self):
    # note_seq reads each comment paragraph as a tune numbered 0 and then
    # rejects the book ("reference number 0 appears more than once").
    # A comment paragraph, a free-text paragraph, and a comment directly
    # above X:2 (no blank line).
    book = '\n'.join([HEADER, TUNE_1, '% notes on the next tune\n% more\n',
                      'Free text without a field\n', '% about two',
                      TUNE_2, '% the end'])
    header, tunes = abc_reader.split_sections(book)
    self.assertEqual(header, ['% A book', 'M:4/4', 'L:1/4'])
    self.assertLen(tunes, 2)
    read, failed = abc_reader.read_abc_text(book, 'book.abc')
    self.assertEqual(failed, 0)
    self.assertEqual([t for t, _ in read], ['book.abc#1', 'book.abc#2'])
    self.assertEqual(_pitches(read[0][1]), [60, 62, 64, 65])
    self.assertEqual(_pitches(read[1][1]), [67, 69, 71, 72])

  def test_first_voice_of_a_multi_voice_tune(self):
    tune = ('X:3\nT:Duet\nM:4/4\nL:1/4\nV:1 name="Fife"\nV:2 name="Drum"\n'
            'K:C\nV:1\nC D E F |\nV:2\nC, C, C, C, |\nV:1\nG A B c |]\n'
            '[V:2] D, D, D, D, |]\n')
    read, failed = abc_reader.read_abc_text(tune)
    self.assertEqual(failed, 0)
    self.assertEqual(_pitches(read[0][1]),
                     [60, 62, 64, 65, 67, 69, 71, 72])
    self.assertEqual(
        abc_reader.first_voice(['K:C', '[V:A] CD', '[V:B] EF', 'V:A', 'G']),
        ['K:C', 'CD', 'G'])
    self.assertEqual(abc_reader.first_voice(['K:C', 'CD']), ['K:C', 'CD'])

  def test_duplicate_numbers_and_bad_tunes_do_not_lose_the_book(self):
    bad = 'X:3\nT:Bad\nK:C\nC (5DEFGA |]\n'  # note_seq rejects tuplets.
    book = '\n'.join([TUNE_1, TUNE_1.replace('One', 'Again'), bad])
    read, failed = abc_reader.read_abc_text(book, 'b')
    self.assertEqual([t for t, _ in read], ['b#1', 'b#1-2'])
    self.assertEqual(failed, 1)

  def test_parts_and_variant_endings_are_flattened(self):
    self.assertEqual(
        abc_reader.preprocess_abc('P:AB\nP:A\n|1 C :|2 D |[1 E [2 F|]'),
        '| C :| D | E  F|]')
    tune = 'X:4\nT:Parts\nP:AB\nK:C\nP:A\nC D |1 E :|2 F |]\nP:B\nG |]\n'
    read, failed = abc_reader.read_abc_text(tune)
    self.assertEqual(failed, 0)
    self.assertEqual(_pitches(read[0][1])[:2], [60, 62])
    self.assertEqual(_pitches(read[0][1])[-1], 67)


if __name__ == '__main__':
  absltest.main()
