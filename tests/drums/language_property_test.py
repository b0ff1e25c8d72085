"""Property tests of the drum language parser (issue 12, items 3 and 6).

Whatever the text (random characters, or valid programs mutated by inserting,
deleting and repeating pieces, huge numbers and long lists included), parse()
returns a Program within the documented limits or raises ParseError with a
1-based line and column inside the text; never another exception, and always
within hypothesis' deadline. Derandomised, so CI sees the same examples.
"""

import datetime

from absl.testing import absltest
import hypothesis
from hypothesis import strategies as st

from drums import language
from drums import schedule

_SETTINGS = hypothesis.settings(
    max_examples=300, derandomize=True, database=None,
    deadline=datetime.timedelta(seconds=2),
    suppress_health_check=[hypothesis.HealthCheck.too_slow])

_SEEDS = (
    'bpm 120;\nkick*2 3,3,2;\nsnare*2+0.5;\n',
    'source kick*2 3,3,2;\nlearn snare*2+0.5;\n'
    'closedhat*4 1,1,2 (amp:0.6, hpf:5000);\n',
    'bass*2 3,3,2 36,43,48 cut40 res70 env30 (dist:2, lpf:800);\n',
    'lead*4 1 60,64,67 cut_mousex res_mousey env90; // comment\n',
    'predict openhat*0.5+0.25 1,2 (lpf:20000);',
)
# Pieces a hostile user would splice in: huge numbers, long lists, extreme
# speeds, stray punctuation, keywords and Unicode.
_PIECES = ('9' * 400, '1000000', '*1000000', '*64', '+0.99', ',1' * 100,
           '0.' + '0' * 50 + '1', ';', '(', ')', ':', ',', '*', '+', '//',
           '\n', ' ', 'kick', 'lead', 'bpm', 'amp:', 'cut', 'res_mousex',
           '\u00e9', '\x00', '\t', 'kick*64 ' + ','.join(['1'] * 64) + ';')


def _check(text: str) -> None:
  """parse(text) is a bounded Program or a well-placed ParseError."""
  try:
    program = language.parse(text)
  except language.ParseError as e:
    lines = text.split('\n')
    assert 1 <= e.line <= max(len(lines), 1), (e.line, text)
    assert e.column >= 1, (e.column, text)
    assert f'line {e.line}, column {e.column}' in str(e)
    return
  assert len(text) <= language.MAX_PROGRAM_CHARS
  assert len(program.statements) <= language.MAX_STATEMENTS
  assert language.BPM_RANGE[0] <= program.bpm <= language.BPM_RANGE[1]
  for statement in program.statements:
    assert 0 < statement.speed <= language.MAX_SPEED
    assert len(statement.ratios) <= language.MAX_LIST_ITEMS
  bar = schedule.ProgramSchedule(program).bar(1)
  # Each part of a cycle falls at most floor(speed) + 1 times in a bar.
  bound = sum(int(s.speed) + 1 for s in program.statements
              for _ in s.ratios)
  assert len(bar.drum_hits) + len(bar.synth_notes) <= bound


@st.composite
def _mutated(draw):
  text = draw(st.sampled_from(_SEEDS))
  for _ in range(draw(st.integers(1, 6))):
    i = draw(st.integers(0, len(text)))
    op = draw(st.sampled_from(('insert', 'delete', 'repeat')))
    if op == 'insert':
      piece = draw(st.one_of(st.sampled_from(_PIECES), st.text(max_size=8)))
      text = text[:i] + piece + text[i:]
    elif op == 'delete':
      text = text[:i] + text[i + draw(st.integers(1, 10)):]
    else:
      j = draw(st.integers(i, min(len(text), i + 30)))
      text = text[:i] + text[i:j] * draw(st.integers(2, 50)) + text[j:]
  return text


class LanguagePropertyTest(absltest.TestCase):

  @_SETTINGS
  @hypothesis.given(st.text(max_size=200))
  def test_random_text(self, text):
    _check(text)

  @_SETTINGS
  @hypothesis.given(st.text(alphabet='kicksnarelbdp*+.,;:()0123456789 \n/_',
                            max_size=300))
  def test_random_text_from_the_language_alphabet(self, text):
    _check(text)

  @_SETTINGS
  @hypothesis.given(_mutated())
  def test_mutated_programs(self, text):
    _check(text)

  @_SETTINGS
  @hypothesis.given(
      st.sampled_from(language.DRUM_INSTRUMENTS),
      st.fractions(min_value=0, max_value=300, max_denominator=16),
      st.lists(st.integers(1, 9), min_size=1, max_size=80))
  def test_drum_statements_within_limits_parse(self, name, speed, ratios):
    text = (f'{name}*{float(speed)!r} ' + ','.join(map(str, ratios)) + ';')
    try:
      (statement,) = language.parse(text).statements
    except language.ParseError as e:
      self.assertEqual(e.line, 1)
      self.assertTrue(speed == 0 or speed > language.MAX_SPEED
                      or len(ratios) > language.MAX_LIST_ITEMS
                      or speed * len(ratios)
                      > language.MAX_ONSETS_PER_STATEMENT
                      or len(repr(float(speed))) > language.MAX_NUMBER_CHARS,
                      f'{text!r} rejected: {e}')
      return
    self.assertEqual(statement.ratios, tuple(ratios))


class LimitsTest(absltest.TestCase):
  """The reproductions of issue 12, items 3 and 6."""

  def test_huge_bpm_is_a_parse_error(self):
    with self.assertRaises(language.ParseError) as cm:
      language.parse('bpm ' + '9' * 400 + ';')
    self.assertEqual((cm.exception.line, cm.exception.column), (1, 5))
    self.assertIn('400 characters', str(cm.exception))

  def test_million_onsets_rejected(self):
    with self.assertRaises(language.ParseError) as cm:
      language.parse('kick*1000000;')
    # The speed number starts at column 6 ('kick*' is 5 characters).
    self.assertEqual((cm.exception.line, cm.exception.column), (1, 6))
    self.assertIn('speed <= 64', str(cm.exception))

  def test_onsets_per_statement(self):
    # 64 * 5 = 320 > 256 onsets per bar; 64 * 4 = 256 is allowed.
    language.parse('kick*64 1,1,1,1;')
    with self.assertRaises(language.ParseError) as cm:
      language.parse('snare;\nkick*64 1,1,1,1,1;')
    self.assertEqual((cm.exception.line, cm.exception.column), (2, 1))
    self.assertIn('320 onsets', str(cm.exception))

  def test_onsets_per_program(self):
    # Four statements of 256 onsets are 1024 (allowed); a fifth makes 1280.
    line = 'kick*64 1,1,1,1;\n'
    language.parse(line * 4)
    with self.assertRaises(language.ParseError) as cm:
      language.parse(line * 5)
    self.assertEqual((cm.exception.line, cm.exception.column), (5, 1))

  def test_megabyte_program_rejected_before_parsing(self):
    text = 'kick;\n' * 200_000
    with self.assertRaises(language.ParseError) as cm:
      language.parse(text)
    # Character 16,384 (0-based) is on line 16384 // 6 + 1 = 2731, column
    # 16384 % 6 + 1 = 5.
    self.assertEqual((cm.exception.line, cm.exception.column), (2731, 5))

  def test_statement_count(self):
    language.parse('kick;' * language.MAX_STATEMENTS)
    with self.assertRaises(language.ParseError) as cm:
      language.parse('kick;' * language.MAX_STATEMENTS + 'bpm 100;')
    # Statement 65 starts after 64 * 5 = 320 characters: column 321.
    self.assertEqual((cm.exception.line, cm.exception.column), (1, 321))

  def test_long_list(self):
    with self.assertRaises(language.ParseError) as cm:
      language.parse('lead 1 ' + ','.join(['60'] * 65) + ';')
    # 'lead 1 ' is 7 characters, each '60,' 3: the 65th note at 8 + 64 * 3.
    self.assertEqual(cm.exception.column, 8 + 64 * 3)

  def test_huge_cut_and_amp(self):
    for text, column in (('lead 1 60 cut' + '9' * 50 + ';', 11),
                         ('kick (amp:17);', 11)):
      with self.assertRaises(language.ParseError) as cm:
        language.parse(text)
      self.assertEqual(cm.exception.column, column, text)


if __name__ == '__main__':
  absltest.main()
