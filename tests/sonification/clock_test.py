"""Tests for sonification.clock on a fake time source (no real sleeping)."""

import threading

from absl.testing import absltest
import mido

from sonification import clock


def _fake_clock(bpm=150.0, overshoot=0.0, ticks_per_bar=8, start=100.0):
  fake = clock.FakeTime(start, overshoot)
  ck = clock.Clock(bpm=bpm, ticks_per_bar=ticks_per_bar, time_fn=fake.time,
                   sleep_fn=fake.sleep)
  ticks = []
  ck.add_callback(ticks.append)
  return fake, ck, ticks


class ClockTest(absltest.TestCase):

  def test_tick_period(self):
    # 150 bpm: 0.4 s a beat; 4 beats / 8 ticks: 0.2 s a tick (SPEC.md §2).
    self.assertAlmostEqual(clock.tick_period_s(150.0), 0.2)
    # 120 bpm, 16 ticks a bar: 0.5 * 4 / 16 = 0.125 s.
    self.assertAlmostEqual(clock.tick_period_s(120.0, 16), 0.125)
    with self.assertRaisesRegex(ValueError, 'bpm'):
      clock.tick_period_s(0.0)

  def test_exact_tick_times(self):
    fake, ck, ticks = _fake_clock()
    self.assertEqual(ck.run(num_ticks=10), 10)
    # deadline n = 100 + 0.2 n exactly; the fake sleeps exactly.
    for n, tick in enumerate(ticks):
      self.assertAlmostEqual(tick.deadline_s, 100.0 + 0.2 * n, places=9)
      self.assertAlmostEqual(tick.time_s, tick.deadline_s, places=9)
    self.assertEqual([t.step for t in ticks], [0, 1, 2, 3, 4, 5, 6, 7, 0, 1])
    self.assertEqual([t.bar for t in ticks], [0] * 8 + [1, 1])
    self.assertEqual(ticks[3].phase, 3 / 8)

  def test_no_drift_when_every_sleep_is_late(self):
    # Each sleep oversleeps by 3 ms; naive sleep(period) would drift by
    # 3 ms per tick (0.3 s after 100 ticks). Deadlines stay on the grid.
    fake, ck, ticks = _fake_clock(overshoot=0.003)
    ck.run(num_ticks=100)
    self.assertAlmostEqual(ticks[-1].deadline_s, 100.0 + 99 * 0.2, places=6)
    self.assertAlmostEqual(ticks[-1].lateness_s, 0.003, places=6)
    self.assertLess(fake.now, 100.0 + 99 * 0.2 + 0.004)
    summary = ck.jitter.summary()
    self.assertEqual(summary['count'], 100)
    self.assertAlmostEqual(summary['max_ms'], 3.0, places=3)

  def test_tempo_change(self):
    fake, ck, ticks = _fake_clock(bpm=150.0)
    ck.add_callback(lambda t: ck.set_bpm(300.0) if t.index == 2 else None)
    ck.run(num_ticks=6)
    # Ticks 0..3 on the 150 bpm grid (0.2 s), then 300 bpm (0.1 s):
    # 100.0, 100.2, 100.4, 100.6, 100.7, 100.8.
    expected = [100.0, 100.2, 100.4, 100.6, 100.7, 100.8]
    for tick, want in zip(ticks, expected):
      self.assertAlmostEqual(tick.deadline_s, want, places=9)
    self.assertEqual(ticks[-1].bpm, 300.0)
    with self.assertRaisesRegex(ValueError, 'bpm'):
      ck.set_bpm(float('nan'))

  def test_resume_continues_the_grid(self):
    fake, ck, ticks = _fake_clock()
    ck.run(num_ticks=3)
    ck.run(num_ticks=2)
    # 100.0, 100.2, 100.4, then 100.6, 100.8 (not restarted at 100.4).
    self.assertAlmostEqual(ticks[3].deadline_s, 100.6, places=9)
    self.assertAlmostEqual(ticks[4].deadline_s, 100.8, places=9)
    self.assertEqual(ticks[4].index, 4)

  def test_duration_and_stop(self):
    fake, ck, ticks = _fake_clock()
    # Deadlines 0, 0.2, ..., 1.0 lie within 1.0 s: 6 ticks.
    self.assertEqual(ck.run(duration_s=1.0), 6)
    fake2, ck2, ticks2 = _fake_clock()
    ck2.add_callback(lambda t: ck2.stop() if t.index == 4 else None)
    self.assertEqual(ck2.run(num_ticks=100), 5)

  def test_stop_and_tempo_are_prompt_at_a_slow_tempo(self):
    # 10 bpm: a tick every 3 s (60 / 10 * 4 / 8). Control must not wait.
    fake, ck, ticks = _fake_clock(bpm=10.0)
    idle = []
    ck.add_idle_callback(idle.append)

    def sleep(seconds):
      fake.sleep(seconds)
      if 100.5 <= fake.now < 100.5 + 1e-9:
        ck.set_bpm(150.0)  # while waiting for tick 1 (due at 103.0).

    ck._sleep = sleep  # pylint: disable=protected-access
    ck.run(num_ticks=3)
    # Tick 1 moves to one 150-bpm period (0.2 s) after tick 0: 100.2, but
    # that has passed at 100.5, so it is delivered at once; tick 2 at 100.4
    # is past too (late, not skipped), then the grid continues.
    self.assertAlmostEqual(ticks[1].time_s, 100.5, places=6)
    self.assertEqual(ticks[1].bpm, 150.0)
    self.assertLessEqual(max(fake.sleeps), 0.01 + 1e-12)
    # Idle callbacks ran between the ticks, with the time left.
    self.assertGreater(len(idle), 10)
    self.assertAlmostEqual(idle[0], 3.0, places=6)
    # stop() from another thread ends a 3 s wait within max_sleep_s.
    fake2, ck2, ticks2 = _fake_clock(bpm=10.0)

    def sleep2(seconds):
      fake2.sleep(seconds)
      if fake2.now >= 100.05:
        ck2.stop()

    ck2._sleep = sleep2  # pylint: disable=protected-access
    self.assertEqual(ck2.run(num_ticks=5), 1)
    self.assertLess(fake2.now, 100.07)

  def test_done_measures_when_the_callbacks_returned(self):
    fake, ck, _ = _fake_clock(overshoot=0.001)
    # A callback that waits 3 ms (as on a child process) delays the tick's
    # output, not its start: lateness 1 ms (the sleep overshoot), done 4 ms.
    ck.add_callback(lambda tick: setattr(fake, 'now', fake.now + 0.003))
    ck.run(num_ticks=4)
    self.assertAlmostEqual(ck.jitter.summary()['max_ms'], 1.0, places=6)
    self.assertAlmostEqual(ck.done.summary()['p50_ms'], 4.0, places=6)
    self.assertEqual(ck.done.summary()['count'], 4)

  def test_failing_callback_is_counted_not_fatal(self):
    fake, ck, ticks = _fake_clock()

    def boom(tick):
      raise RuntimeError(f'tick {tick.index}')

    ck.add_callback(boom)
    with self.assertLogs(level='ERROR'):
      ck.run(num_ticks=3)
    self.assertLen(ticks, 3)
    self.assertEqual(ck.callback_errors, 3)


class MidiClockTest(absltest.TestCase):

  def test_bpm_estimate_and_ticks(self):
    follower = clock.MidiClockFollower(ticks_per_bar=8)
    ticks = []
    follower.add_callback(ticks.append)
    # 96 pulses = one bar at 125 bpm: pulse spacing 60 / (125 * 24) = 0.02 s.
    for t, message in clock.clock_messages(125.0, 96, start_s=5.0):
      follower.feed(message, t)
    self.assertAlmostEqual(follower.bpm, 125.0, places=6)
    # 8 ticks a bar: a tick every 96 / 8 = 12 pulses, at pulses 0, 12, ...
    self.assertEqual(follower.pulses_per_tick, 12)
    self.assertLen(ticks, 8)
    self.assertAlmostEqual(ticks[1].time_s, 5.0 + 12 * 0.02, places=9)
    self.assertAlmostEqual(ticks[1].bpm, 125.0, places=6)

  def test_tempo_follows_and_start_stop(self):
    follower = clock.MidiClockFollower(window=24)
    ticks = []
    follower.add_callback(ticks.append)
    messages = clock.clock_messages(100.0, 48)
    last = messages[-1][0]
    # Then 48 pulses at 150 bpm: the 24-interval window holds only those.
    messages += clock.clock_messages(150.0, 48, start_s=last + 60 / 3600)
    for t, m in messages:
      follower.feed(m, t)
    self.assertAlmostEqual(follower.bpm, 150.0, places=6)
    count = len(ticks)
    follower.feed(mido.Message('stop'), 10.0)
    for t, m in clock.clock_messages(150.0, 24, start_s=10.0):
      follower.feed(m, t)
    self.assertLen(ticks, count)  # stopped: no ticks.
    follower.feed(mido.Message('start'), 20.0)
    tick = follower.feed(mido.Message('clock'), 20.0)
    self.assertEqual(tick.index, 0)  # 'start' restarts at the downbeat.
    self.assertIsNone(follower.feed(mido.Message('note_on'), 20.1))

  def test_run_reads_a_port_like_iterable(self):
    fake = clock.FakeTime(0.0)
    follower = clock.MidiClockFollower(time_fn=fake.time)
    messages = [m for _, m in clock.clock_messages(120.0, 48)]
    self.assertEqual(follower.run(port=iter(messages)), 4)  # 48 / 12 pulses.

  def test_run_waits_for_ticks_fed_from_another_thread(self):
    follower = clock.MidiClockFollower()
    result = []
    runner = threading.Thread(
        target=lambda: result.append(follower.run(num_ticks=3,
                                                  duration_s=10.0)))
    runner.start()
    for _ in range(1000):
      if follower.running:
        break
      threading.Event().wait(0.005)
    # 36 pulses at 12 per tick are ticks at pulses 0, 12, 24: the 3rd one
    # ends the run (as mido's callback thread would feed them).
    for time_s, message in clock.clock_messages(120.0, 36):
      follower.feed(message, time_s)
    runner.join(10.0)
    self.assertEqual(result, [3])
    self.assertFalse(follower.running)
    self.assertEqual(follower.run(duration_s=0.01), 0)  # nothing fed: timeout.

  def test_bad_ticks_per_bar(self):
    with self.assertRaisesRegex(ValueError, 'do not divide'):
      clock.MidiClockFollower(ticks_per_bar=7)


if __name__ == '__main__':
  absltest.main()
