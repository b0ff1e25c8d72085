"""Tests for drums.remote_beat_agent: the BeatAgent in a child process acts,
learns, resets, saves and loads as the in-process one, and its errors keep
their type. The test process itself never imports TF."""

import sys

from absl.testing import absltest

from drums import beat_agent_hparams
from drums import remote_beat_agent


class RemoteBeatAgentTest(absltest.TestCase):

  def test_the_agent_in_a_child_process(self):
    hparams = beat_agent_hparams.BeatAgentHParams(structure=(8,), seed=3)
    agent = remote_beat_agent.RemoteBeatAgent(hparams)
    self.addCleanup(agent.close)
    # Learn to play on the source hit: ticks 0 and 4 of each bar.
    results = [agent.tick(i % 8, int(i % 4 == 0), int(i % 4 == 0), 'learn')
               for i in range(200)]
    self.assertIsInstance(results[-1], remote_beat_agent.TickResult)
    self.assertIsNone(results[0].loss)  # nothing to learn from yet.
    self.assertIsNotNone(results[-1].loss)
    self.assertEqual(results[-1].q_values.shape, (2,))
    played = [agent.tick(i, int(i % 4 == 0), None, 'predict').action
              for i in range(8)]
    self.assertEqual(played, [1, 0, 0, 0, 1, 0, 0, 0])
    saved = agent.state_dict()
    agent.check_state_dict(saved)
    with self.assertRaisesRegex(ValueError, 'needs a target'):
      agent.tick(0, 1, None, 'learn')
    weights = agent.fresh_weights()
    self.assertEqual([w.shape for w in weights][:2], [(16, 16), (16,)])
    agent.reset(weights)
    self.assertNotEqual(
        [agent.tick(i, int(i % 4 == 0), None, 'predict').action
         for i in range(8)], played)
    agent.load_state_dict(saved)
    self.assertEqual([agent.tick(i, int(i % 4 == 0), None, 'predict').action
                      for i in range(8)], played)
    self.assertNotIn('tensorflow', sys.modules)
    agent.close()
    with self.assertRaisesRegex(RuntimeError, 'process is gone'):
      agent.tick(0, 1, 1, 'learn')


if __name__ == '__main__':
  absltest.main()
