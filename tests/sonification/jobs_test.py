"""Tests for sonification.jobs: work off the clock thread, commits at ticks."""

import threading

from absl.testing import absltest

from sonification import error_log
from sonification import jobs


class JobsTest(absltest.TestCase):

  def test_work_runs_on_the_worker_and_commit_waits_for_the_clock(self):
    worker = jobs.BackgroundJobs()
    self.addCleanup(worker.close)
    release = threading.Event()
    threads, committed = [], []

    def work():
      threads.append(threading.current_thread().name)
      release.wait(5.0)
      return 42

    worker.submit('slow', work, committed.append)
    self.assertEqual(worker.run_commits(), 0)  # not done: nothing swapped.
    self.assertEqual(worker.pending, 1)
    release.set()
    self.assertTrue(worker.wait_idle(run_commits=True))
    self.assertEqual(committed, [42])
    self.assertEqual(threads, ['live-jobs'])
    self.assertEqual(worker.stats['committed'], 1)

  def test_failures_are_reported_and_not_committed(self):
    lines = []
    worker = jobs.BackgroundJobs(error_log.ErrorLog(log=lines.append),
                                 threaded=False)
    replies, committed = [], []

    def boom():
      raise FileNotFoundError('no saved beat agent at /x')

    worker.submit('drums/load', boom, committed.append, replies.append)
    self.assertEqual(worker.run_commits(), 0)
    self.assertEqual(committed, [])
    self.assertEqual(replies, ['drums/load: FileNotFoundError: no saved beat '
                               'agent at /x'])
    self.assertEqual(worker.errors.summary(), {'job/drums/load': 1})
    self.assertEqual(worker.pending, 0)
    self.assertLen(lines, 1)

  def test_bounded_queue_and_commit_budget(self):
    worker = jobs.BackgroundJobs(threaded=False, max_pending=3)
    for i in range(3):
      worker.submit('reset', lambda i=i: i, lambda r: None)
    with self.assertRaisesRegex(jobs.JobsFull, 'reset: 3 slow commands'):
      worker.submit('reset', lambda: 0)
    self.assertEqual(worker.stats['refused'], 1)
    now = [0.0]

    def tick():
      now[0] += 1.0  # every reading of the time advances 1 s.
      return now[0]

    # A zero budget still runs one commit per call (progress every tick).
    self.assertEqual(worker.run_commits(budget_s=0.0, time_fn=tick), 1)
    self.assertEqual(worker.run_commits(budget_s=float('inf')), 2)
    self.assertEqual(worker.pending, 0)


if __name__ == '__main__':
  absltest.main()
