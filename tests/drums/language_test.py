"""Tests of drums.language: every SPEC example, effects order, errors."""

from fractions import Fraction as F

from absl.testing import absltest
from absl.testing import parameterized

from drums import language

SPEC_PROGRAM = """bpm 132;
// the agent listens to the kick and learns the snare
source kick*2 3,3,2;
learn snare*2+0.5;
closedhat*4 1,1,2 (amp:0.6, hpf:5000);
"""


class ParseExamplesTest(parameterized.TestCase):

  @parameterized.parameters(
      ('kick;', 'kick', 1, 0, (1,)),
      ('kick*4;', 'kick', 4, 0, (1,)),
      ('snare*2+0.5;', 'snare', 2, F(1, 2), (1,)),
      ('closedhat*1 3,3,2;', 'closedhat', 1, 0, (3, 3, 2)),
      ('kick*2 3,3,2;', 'kick', 2, 0, (3, 3, 2)),
      ('openhat*2 1,1,2 (amp:0.7, hpf:4000);', 'openhat', 2, 0, (1, 1, 2)),
  )
  def test_drum_examples(self, text, instrument, speed, offset, ratios):
    (statement,) = language.parse(text).statements
    self.assertEqual(statement.role, 'play')
    self.assertEqual(statement.instrument, instrument)
    self.assertEqual(statement.speed, speed)
    self.assertEqual(statement.offset, offset)
    self.assertEqual(statement.ratios, tuple(F(r) for r in ratios))

  def test_offset_is_exact(self):
    (statement,) = language.parse('snare*2+0.5;').statements
    self.assertIsInstance(statement.offset, F)
    self.assertEqual(statement.offset, F(1, 2))  # Not 0.5000001.

  def test_effects_in_written_order(self):
    (a,) = language.parse('openhat*2 1,1,2 (amp:0.7, hpf:4000);').statements
    (b,) = language.parse('openhat*2 1,1,2 (hpf:4000, amp:0.7);').statements
    self.assertEqual(a.effects, (('amp', 0.7), ('hpf', 4000.0)))
    self.assertEqual(b.effects, (('hpf', 4000.0), ('amp', 0.7)))

  def test_bass_example(self):
    (s,) = language.parse('bass*2 3,3,2 36,43,48 cut40 res70 env30 '
                          '(dist:3, lpf:400);').statements
    self.assertIsInstance(s, language.SynthStatement)
    self.assertEqual((s.synth, s.speed, s.ratios, s.notes),
                     ('bass', 2, (3, 3, 2), (36, 43, 48)))
    self.assertEqual((s.cut, s.res, s.env), (40.0, 70.0, 30.0))
    self.assertEqual(s.effects, (('dist', 3.0), ('lpf', 400.0)))

  def test_lead_example_with_mouse(self):
    (s,) = language.parse(
        'lead*4 1 60,64,67 cut_mousex res_mousey env90;').statements
    self.assertEqual((s.synth, s.speed, s.ratios, s.notes),
                     ('lead', 4, (1,), (60, 64, 67)))
    self.assertEqual((s.cut, s.res, s.env), ('mousex', 'mousey', 90.0))

  def test_whole_spec_program(self):
    program = language.parse(SPEC_PROGRAM)
    self.assertEqual(program.bpm, 132)
    self.assertEqual([(s.role, s.instrument) for s in program.statements],
                     [('source', 'kick'), ('learn', 'snare'),
                      ('play', 'closedhat')])
    self.assertEqual([s.line for s in program.statements], [3, 4, 5])
    self.assertEqual(program.statements[2].effects,
                     (('amp', 0.6), ('hpf', 5000.0)))

  def test_learn_replaced_by_predict(self):
    program = language.parse(SPEC_PROGRAM.replace('learn', 'predict'))
    self.assertEqual(program.drums('predict')[0].instrument, 'snare')

  def test_defaults_comments_and_free_layout(self):
    program = language.parse('// nothing but a comment\n'
                             'kick ; // trailing\n\n   snare*2+0.5\n;')
    self.assertEqual(program.bpm, language.DEFAULT_BPM)
    self.assertLen(program.statements, 2)
    self.assertEqual(program.statements[0].ratios, (F(1),))

  def test_empty_program(self):
    self.assertEqual(language.parse('  // only a comment\n').statements, ())


class ParseErrorTest(parameterized.TestCase):

  @parameterized.named_parameters(
      # The SPEC's error examples: line, column, something expected.
      ('space_before_star', 'kick *2;', 1, 6, "'*' directly after 'kick'"),
      ('speed_missing', 'snare*;', 1, 7, 'a number'),
      ('bpm_missing', 'bpm;', 1, 4, 'a number'),
      ('unknown_instrument', 'tom;', 1, 1,
       'an instrument (kick, snare, closedhat, openhat)'),
      ('effect_without_colon', 'kick (dist 2);', 1, 12, "':'"),
      # More.
      ('missing_semicolon', 'kick*2', 1, 7, "';'"),
      ('second_line', 'kick;\n  snare*2 (foo:1);', 2, 12, 'an effect name'),
      ('space_before_plus', 'kick*2 +0.5;', 1, 8, "'+' directly after"),
      ('space_after_plus', 'kick+ 0.5;', 1, 7, 'directly after'),
      ('prefix_on_synth', 'learn lead 1 60;', 1, 7, 'an instrument'),
      ('synth_without_notes', 'lead 1;', 1, 7, 'a number'),
      ('trailing_comma', 'kick (amp:1,);', 1, 13, 'an effect name'),
  )
  def test_syntax_errors(self, text, line, column, expected):
    with self.assertRaises(language.ParseError) as cm:
      language.parse(text)
    e = cm.exception
    self.assertEqual((e.line, e.column), (line, column), str(e))
    self.assertTrue(any(expected in word for word in e.expected),
                    f'{expected!r} not in {e.expected}')
    self.assertIn(f'line {line}, column {column}', str(e))
    self.assertIn('expected', str(e))

  @parameterized.named_parameters(
      ('offset_one', 'kick*2+1;', 1, 8, 'offset 1', '0 <= offset < 1'),
      ('speed_zero', 'kick*0;', 1, 6, 'speed 0', '0 < speed'),
      ('ratio_zero', 'kick 1,0;', 1, 8, 'ratio 0', '0 < ratio'),
      ('dist_below_one', 'kick (dist:0.5);', 1, 12, 'dist 0.5', '1 <= dist'),
      ('lpf_low', 'kick (lpf:10);', 1, 11, 'lpf 10', '20 <= lpf <= 20000'),
      ('hpf_high', 'kick (hpf:30000);', 1, 11, 'hpf 30000',
       '20 <= hpf <= 20000'),
      ('bpm_high', 'bpm 1000;', 1, 5, 'bpm 1000', 'bpm <= 400'),
      ('cut_high', 'lead 1 60 cut200;', 1, 11, 'cut 200', 'cut <= 100'),
      ('res_high', 'bass 1 36 res101;', 1, 11, 'res 101', 'res <= 100'),
      ('fractional_note', 'bass 1 36.5;', 1, 8, 'note 36.5', 'MIDI note'),
  )
  def test_range_errors(self, text, line, column, named, bound):
    with self.assertRaises(language.ParseError) as cm:
      language.parse(text)
    e = cm.exception
    self.assertEqual((e.line, e.column), (line, column), str(e))
    self.assertIn(named, str(e))
    self.assertIn(bound, str(e))

  def test_parse_error_is_value_error(self):
    self.assertTrue(issubclass(language.ParseError, ValueError))


if __name__ == '__main__':
  absltest.main()
