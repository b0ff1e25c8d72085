"""Tests for rl_tuner.child_process (no TF: tf_threads=0, builtins built)."""

import importlib
import os
import sys

from absl.testing import absltest

from rl_tuner import child_process


class ChildProcessObjectTest(absltest.TestCase):

  def test_calls_errors_and_close(self):
    # The child holds a dict; its methods run there.
    child = child_process.ChildProcessObject(
        dict, (), 'test dict', tf_threads=0, errors={'KeyError': KeyError})
    child.call('__setitem__', 'a', 3)
    self.assertEqual(child.call('get', 'a'), 3)
    self.assertEqual(child.call('pop', 'a'), 3)
    # A mapped error keeps its type and names the process and method.
    with self.assertRaisesRegex(KeyError, 'in the test dict process: pop'):
      child.call('pop', 'a')
    # An unmapped one is a RuntimeError.
    with self.assertRaisesRegex(RuntimeError, 'AttributeError'):
      child.call('no_such_method')
    self.assertNotIn('tensorflow', sys.modules)
    child.close()
    child.close()  # Idempotent.
    with self.assertRaisesRegex(RuntimeError, 'test dict process is gone'):
      child.call('get', 'a')

  def test_nice_lowers_the_child_priority(self):
    # The child holds the os module; os.nice(0) reads its nice value.
    child = child_process.ChildProcessObject(
        importlib.import_module, ('os',), 'os', tf_threads=0, nice=10)
    self.addCleanup(child.close)
    self.assertEqual(child.call('nice', 0), min(19, os.nice(0) + 10))
    with self.assertRaisesRegex(ValueError, r'nice must be in \[0, 19\]'):
      child_process.ChildProcessObject(dict, (), 'd', tf_threads=0, nice=20)

  def test_a_failed_build_is_one_error(self):
    with self.assertRaisesRegex(RuntimeError,
                                'number process failed to build: ValueError'):
      child_process.ChildProcessObject(int, ('not a number',), 'number',
                                       tf_threads=0)


if __name__ == '__main__':
  absltest.main()
