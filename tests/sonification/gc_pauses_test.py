"""Tests for sonification.gc_pauses: collections are timed by generation;
freeze moves the live objects out of the collector's walks."""

import gc

from absl.testing import absltest

from sonification import gc_pauses


class GcPausesTest(absltest.TestCase):

  def test_collections_are_timed(self):
    times = iter([10.0, 10.004, 20.0, 20.001])  # start, stop, start, stop.
    pauses = gc_pauses.GcPauses(time_fn=lambda: next(times)).start()
    self.addCleanup(pauses.stop)
    gc.collect(2)  # a full collection: 4 ms on the fake clock.
    gc.collect(0)  # a young one: 1 ms.
    pauses.stop()
    pauses.stop()  # idempotent.
    gc.collect()  # not timed any more (the fake clock has no more values).
    self.assertEqual([g for g, _ in pauses.pauses], [2, 0])
    summary = pauses.summary()
    self.assertEqual((summary['count'], summary['full']), (2, 1))
    self.assertAlmostEqual(summary['max_ms'], 4.0, places=6)
    self.assertAlmostEqual(summary['full_max_ms'], 4.0, places=6)
    self.assertEqual(pauses.describe(), 'gc pauses 2 (full 1), max 4.000 ms, '
                     'full max 4.000 ms')

  def test_freeze(self):
    self.addCleanup(gc.unfreeze)
    frozen = gc_pauses.freeze()
    self.assertGreater(frozen, 1000)  # the interpreter and absl alone.
    self.assertEqual(gc.get_freeze_count(), frozen)
    self.assertEqual(gc_pauses.GcPauses().summary(),
                     dict(count=0, full=0, max_ms=0.0, full_max_ms=0.0))


if __name__ == '__main__':
  absltest.main()
