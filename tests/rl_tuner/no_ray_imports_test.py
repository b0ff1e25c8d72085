"""Ray stays out of every import path that does not sweep (issue 13).

Importing Ray takes seconds and starts nothing useful for a single run; only
rl_tuner/sweeps/tune_sweep.py imports it (inside run_sweep). This imports
the training binary (rl_tuner_train), the evaluation library and the sweep
modules that a trial worker needs.
"""

import sys

from absl.testing import absltest

# pylint: disable=g-import-not-at-top,unused-import
from rl_tuner import evaluation
from rl_tuner import rl_tuner
from rl_tuner import rl_tuner_runner
from rl_tuner import rl_tuner_train
from rl_tuner.sweeps import sweep_results
from rl_tuner.sweeps import sweep_spec
from rl_tuner.sweeps import trial


class NoRayImportsTest(absltest.TestCase):

  def test_no_ray(self):
    self.assertNotIn('ray', sys.modules)
    self.assertFalse([m for m in sys.modules if m.startswith('ray.')])


if __name__ == '__main__':
  absltest.main()
