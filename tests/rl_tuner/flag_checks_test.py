"""Tests of rl_tuner.flag_checks (issue 12, item 11). No TF."""

import math
import os
import subprocess
import sys

from absl.testing import absltest

import rl_tuner
from rl_tuner import flag_checks

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(rl_tuner.__file__)))


class FlagChecksTest(absltest.TestCase):

  def test_int_in_range(self):
    self.assertEqual(flag_checks.int_in_range('n', 5, 1, 10), 5)
    for bad in (0, 11, None, 10**23):
      with self.assertRaisesRegex(flag_checks.FlagError,
                                  r'^--n: must be an integer in \[1, 10\]'):
        flag_checks.int_in_range('n', bad, 1, 10)

  def test_float_in_range(self):
    self.assertEqual(flag_checks.float_in_range('bpm', 120.0, 20, 400), 120.0)
    for bad in (math.nan, math.inf, -5.0, 401.0):
      with self.assertRaisesRegex(flag_checks.FlagError, '^--bpm: .*finite'):
        flag_checks.float_in_range('bpm', bad, 20, 400)

  def test_output_dir(self):
    tmp = self.create_tempdir().full_path
    new = os.path.join(tmp, 'a', 'b')
    self.assertEqual(flag_checks.output_dir('output_dir', new), new)
    self.assertTrue(os.path.isdir(new))
    self.assertEqual(os.listdir(new), [])  # The write test left nothing.
    file_path = os.path.join(tmp, 'file')
    open(file_path, 'w').close()
    cases = {'': 'is empty', '  ': 'is empty', file_path: 'is a file',
             os.path.join(file_path, 'sub'): 'cannot write'}
    for value, message in cases.items():
      with self.assertRaisesRegex(flag_checks.FlagError,
                                  f'^--output_dir: .*{message}'):
        flag_checks.output_dir('output_dir', value)

  def test_output_file(self):
    tmp = self.create_tempdir().full_path
    path = os.path.join(tmp, 'x', 'out.mid')
    self.assertEqual(flag_checks.output_file('out', path, ('.mid',)), path)
    for value, message in (('', 'is empty'), (tmp, 'is a directory'),
                           (os.path.join(tmp, 'a.wav'), r'must end with \.mid')):
      with self.assertRaisesRegex(flag_checks.FlagError, message):
        flag_checks.output_file('out', value, ('.mid',))

  def test_input_path(self):
    tmp = self.create_tempdir().full_path
    self.assertEqual(flag_checks.input_path('d', tmp, 'dir'), tmp)
    with self.assertRaisesRegex(flag_checks.FlagError, 'does not exist'):
      flag_checks.input_path('d', os.path.join(tmp, 'missing'))
    with self.assertRaisesRegex(flag_checks.FlagError, 'is not a file'):
      flag_checks.input_path('d', tmp)

  def test_run_prints_one_line_and_exits_2(self):
    script = ('from rl_tuner import flag_checks\n'
              'def main(argv):\n'
              '  flag_checks.output_dir("output_dir", "")\n'
              'flag_checks.run(main)\n')
    result = subprocess.run(
        [sys.executable, '-c', script], env=dict(os.environ,
                                                 PYTHONPATH=_ROOT),
        capture_output=True, text=True, timeout=60, check=False)
    self.assertEqual(result.returncode, 2)
    self.assertEqual(result.stderr.strip().splitlines(),
                     ['-c: error: --output_dir: is empty; give a directory to '
                      'write into'])
    self.assertNotIn('Traceback', result.stderr)


if __name__ == '__main__':
  absltest.main()
