"""Tests for sonification.error_log: one line per kind, rate-limited."""

from absl.testing import absltest

from sonification import error_log


class ErrorLogTest(absltest.TestCase):

  def test_one_line_per_kind_per_interval_with_counts(self):
    now = [0.0]
    lines = []
    log = error_log.ErrorLog(interval_s=5.0, log=lines.append,
                             time_fn=lambda: now[0])
    for i in range(1000):
      now[0] = i * 0.01  # 1000 errors over 10 s.
      log.report('osc/not_osc', f'garbage {i}')
      if i % 100 == 0:
        log.report('command/drums/load', 'no file')
    # osc/not_osc: logged at t=0, 5.0 (i=500); the second says 499 were
    # skipped. command/drums/load: t=0, 5.0: two lines.
    self.assertEqual(log.counts, {'osc/not_osc': 1000,
                                  'command/drums/load': 10})
    self.assertLen(lines, 4)
    self.assertEqual(lines[0], 'osc/not_osc: garbage 0')
    self.assertEqual(lines[2], 'osc/not_osc: garbage 500 (499 more '
                     'osc/not_osc errors not logged)')
    self.assertEqual(log.total, 1010)
    with self.assertRaisesRegex(ValueError, 'interval_s'):
      error_log.ErrorLog(interval_s=float('nan'))


if __name__ == '__main__':
  absltest.main()
