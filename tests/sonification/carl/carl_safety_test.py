"""CARL cannot be poisoned (issue 12 item 1): values bounded at the session,
non-finite learner steps skipped before they are applied, non-finite state
never saved, the newest valid save restored."""

import os

import numpy as np
import tensorflow as tf

from sonification.carl import carl_agent
from sonification.carl import carl_hparams
from sonification.carl import carl_session


def _session(state_dir=None):
  agent = carl_agent.make_agent(carl_hparams.CarlHParams(seed=0))
  return carl_session.CarlSession(agent, state_dir=state_dir, threaded=False)


class CarlSafetyTest(tf.test.TestCase):

  def test_control_values_are_bounded(self):
    session = _session()
    for bad in (1e30, float('nan'), float('inf'), 10.5, '1'):
      with self.assertRaisesRegex(ValueError, 'reward must be'):
        session.reward(bad)
    self.assertEmpty(session.memory)
    session.reward(10.0)  # the edge of [-10, 10] is accepted.
    self.assertLen(session.memory, 1)
    with self.assertRaisesRegex(ValueError, 'input 1 must be in'):
      session.set_input(0.0, float('nan'), 0.0)
    with self.assertRaisesRegex(ValueError, 'input 2 must be in'):
      session.set_input_at(2, -11.0)
    with self.assertRaises(IndexError):
      session.set_input_at(3.5, 0.0)
    for setter, bad in ((session.set_reward_scale, 0.0),
                        (session.set_reward_scale, 1e9),
                        (session.set_noise, float('inf')),
                        (session.set_optimise_every, 2.5)):
      with self.assertRaises(ValueError):
        setter(bad)
    self.assertAllEqual(session.input, np.zeros(3))

  def test_non_finite_step_is_skipped_before_it_is_applied(self):
    agent = carl_agent.make_agent(carl_hparams.CarlHParams(seed=0))
    before = agent.get_networks()
    batch = (np.full((4, 3), 0.5), np.full((4, 4), 0.5),
             np.full(4, 3e38, np.float32), np.full((4, 3), 0.5))
    # A reward of 3e38 is finite in float32, but its squared TD error
    # overflows to inf: the old step applied it and every network became NaN.
    result = agent.train_step(*batch)
    self.assertEqual(result['skipped'], 1)
    self.assertEqual(agent.skipped_steps, 1)
    self.assertEqual(agent.train_steps, 0)
    for name, weights in agent.get_networks().items():
      for got, want in zip(weights, before[name]):
        self.assertAllEqual(got, want, msg=name)
    nan_batch = (np.full((4, 3), np.nan),) + batch[1:]
    self.assertEqual(agent.train_step(*nan_batch)['skipped'], 1)
    ok = agent.train_step(batch[0], batch[1], np.ones(4), batch[3])
    self.assertEqual(ok['skipped'], 0)
    self.assertEqual(agent.train_steps, 1)

  def test_a_flood_of_control_jobs_is_refused_not_queued(self):
    session = _session()
    session._threaded = True  # pylint: disable=protected-access
    # No worker runs: jobs stay queued. 8 are accepted, the 9th refused.
    for _ in range(carl_session.MAX_CONTROL_JOBS):
      session.randomise_critic()
    with self.assertRaisesRegex(RuntimeError, '8 learner jobs are waiting'):
      session.randomise_actor()
    self.assertEqual(session.refused_jobs, 1)
    self.assertEqual(session.status()['refused_jobs'], 1)

  def test_saves_rotate_and_the_newest_valid_one_is_restored(self):
    state_dir = self.get_temp_dir()
    session = _session(state_dir)
    path = session.state_path()
    for i in range(4):
      session.reward(1.0)
      session.save()  # threaded=False: written now.
    paths = carl_session.backup_paths(path)
    self.assertEqual([os.path.basename(p) for p in paths],
                     ['carl_state.npz', 'carl_state.1.npz', 'carl_state.2.npz'])
    self.assertTrue(all(os.path.exists(p) for p in paths))
    self.assertFalse(os.path.exists(os.path.join(state_dir,
                                                 'carl_state.3.npz')))
    # A NaN actor is never saved: the newest file stays the 4-reward one.
    networks = session.agent.get_networks()
    networks['actor'][0] = np.full_like(networks['actor'][0], np.nan)
    session.agent.set_networks(networks)
    with self.assertLogs(level='ERROR'):
      session.save()
    self.assertEqual(session.refused_saves, 1)
    # Corrupt the newest file: a new session restores the next one (3
    # rewards) and says so.
    with open(path, 'wb') as f:
      f.write(b'not an npz')
    with self.assertLogs(level='WARNING'):
      restored = _session(state_dir)
    self.assertLen(restored.memory, 3)
    self.assertTrue(carl_session.state_finite(
        restored.agent.get_networks(), restored.memory.get_state()))


if __name__ == '__main__':
  tf.test.main()
