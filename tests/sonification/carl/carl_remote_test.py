"""Tests for CARL's learner in a child process (carl_remote.RemoteAgent)."""

import os

from absl.testing import absltest
import numpy as np

from sonification.carl import carl_hparams
from sonification.carl import carl_remote


class RemoteAgentTest(absltest.TestCase):

  def test_child_is_niced_and_answers(self):
    hp = carl_hparams.CarlHParams.for_learner('pref', '', seed=0)
    agent = carl_remote.RemoteAgent(hp)
    self.addCleanup(agent.close)
    pid = agent._child._process.pid  # pylint: disable=protected-access
    # The learner waits for the cores, the clock's process does not.
    self.assertEqual(os.getpriority(os.PRIO_PROCESS, pid),
                     min(19, os.getpriority(os.PRIO_PROCESS, 0) +
                         carl_remote.CHILD_NICE))
    self.assertEqual(carl_remote.CHILD_NICE, 10)
    weights = agent.actor_weights()
    # The SPEC actor [in, 10, 12, out]: three kernels and three biases.
    self.assertEqual([np.shape(w) for w in weights],
                     [(hp.input_size, 10), (10,), (10, 12), (12,),
                      (12, hp.output_size), (hp.output_size,)])


if __name__ == '__main__':
  absltest.main()
