"""Tests for sonification.program_watch: a saved file is re-evaluated; its
errors are reported at once and the old program keeps playing."""

import os
import tempfile

from absl.testing import absltest

from sonification import program_watch
from tests.sonification import runtime_testing


class ProgramWatchTest(absltest.TestCase):

  def test_saves_are_submitted_and_errors_reported(self):
    clock = runtime_testing.fake_clock()
    session, live = runtime_testing.make_drum_live(clock, threaded_jobs=False)
    path = os.path.join(tempfile.mkdtemp(), 'beat.gos')
    with open(path, 'w') as f:
      f.write(runtime_testing.PROGRAM)
    reports = []
    watcher = program_watch.ProgramWatcher(
        path, lambda text, on_error: live.submit('drums/program', text,
                                                 on_error=on_error),
        report=reports.append)
    self.assertFalse(watcher.poll())  # unchanged since the watcher started.

    def save(text, mtime):
      with open(path, 'w') as f:
        f.write(text)
      os.utime(path, (mtime, mtime))  # a new time, however fast the test.

    save('bpm 90;\nsource kick;\npredict snare*2;', 1_000_000)
    self.assertTrue(watcher.poll())
    clock.run(num_ticks=2)  # drained, parsed (synchronously), switched.
    self.assertEqual(session.modes, {'snare': 'predict'})
    self.assertEqual(clock.bpm, 90.0)
    save('bpm 90;\nkick *2;', 2_000_000)  # a space before '*': line 2.
    self.assertTrue(watcher.poll())
    clock.run(num_ticks=2)
    self.assertEqual(session.modes, {'snare': 'predict'})  # old one plays.
    self.assertLen(reports, 1)
    self.assertRegex(reports[0], r'beat\.gos: drums/program: ParseError: '
                     r'line 2, column \d+: .*\(the old program keeps playing\)')
    self.assertEqual(watcher.stats, dict(submitted=2, errors=1))
    os.remove(path)
    self.assertFalse(watcher.poll())  # a missing file is not an error.
    with self.assertRaisesRegex(ValueError, 'interval_s'):
      program_watch.ProgramWatcher(path, None, interval_s=0)


if __name__ == '__main__':
  absltest.main()
