"""Tests for rl_tuner.child_process (no TF: tf_threads=0, builtins built)."""

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

  def test_a_failed_build_is_one_error(self):
    with self.assertRaisesRegex(RuntimeError,
                                'number process failed to build: ValueError'):
      child_process.ChildProcessObject(int, ('not a number',), 'number',
                                       tf_threads=0)


if __name__ == '__main__':
  absltest.main()
