"""Realtime clock: drift-free ticks on a monotonic clock, and MIDI clock in.

The clock of the Sema "Rubber Gosling" drum sessions (../shared/SPEC.md §2)
ticks 8 times per bar with 4 beats per bar, so a tick is an eighth note
(200 ms at 150 bpm). :class:`Clock` schedules tick ``n`` at the deadline
``anchor_s + (n - anchor_tick) * tick_period_s``: deadlines are computed from
the anchor, never by adding up sleeps, so lateness of one tick does not push
the next one (no drift). A tempo change re-anchors at the next deadline.

:class:`MidiClockFollower` is the alternative tempo source: it counts MIDI
timing clock messages (24 per quarter note), estimates the bpm from their
spacing and calls the same tick callbacks every ``96 / ticks_per_bar`` pulses
(4 beats per bar).

This module imports no TF (it is the hot path); time and sleep are injectable
so tests run on a fake clock.
"""

import collections
import dataclasses
import logging
import os
import threading
import time
from typing import Callable, Deque, Iterable, List, Optional, Tuple

import numpy as np

MIDI_CLOCK_PPQN = 24  # MIDI 1.0 spec: 24 timing clocks per quarter note.
DEFAULT_BPM = 120.0
DEFAULT_TICKS_PER_BAR = 8  # eighth notes (SPEC.md §2).
DEFAULT_BEATS_PER_BAR = 4


@dataclasses.dataclass(frozen=True)
class Tick:
  """One clock tick as delivered to callbacks.

  Attributes:
    index: tick number since start (0-based).
    bar: bar number (index // ticks_per_bar).
    step: tick within the bar, 0..ticks_per_bar-1.
    phase: bar phase of the tick in [0, 1) (step / ticks_per_bar).
    deadline_s: the scheduled time (seconds on the clock's time source).
    time_s: the time the tick was delivered (>= deadline_s, seconds).
    bpm: tempo in beats per minute at this tick.
  """
  index: int
  bar: int
  step: int
  phase: float
  deadline_s: float
  time_s: float
  bpm: float

  @property
  def lateness_s(self) -> float:
    """Delivery time minus deadline, seconds."""
    return self.time_s - self.deadline_s


TickCallback = Callable[[Tick], None]


def tick_period_s(bpm: float, ticks_per_bar: int = DEFAULT_TICKS_PER_BAR,
                  beats_per_bar: int = DEFAULT_BEATS_PER_BAR) -> float:
  """Seconds per tick: (60 / bpm) * beats_per_bar / ticks_per_bar.

  E.g. 150 bpm, 8 ticks and 4 beats per bar: 0.4 * 4 / 8 = 0.2 s.

  Raises:
    ValueError: if bpm, ticks_per_bar or beats_per_bar is not positive.
  """
  _check_bpm(bpm)
  if ticks_per_bar <= 0 or beats_per_bar <= 0:
    raise ValueError(f'ticks_per_bar ({ticks_per_bar}) and beats_per_bar '
                     f'({beats_per_bar}) must be positive')
  return 60.0 / bpm * beats_per_bar / ticks_per_bar


def _check_bpm(bpm: float) -> None:
  if not (isinstance(bpm, (int, float)) and np.isfinite(bpm) and
          1.0 <= bpm <= 100000.0):
    raise ValueError(f'bpm must be a finite number in [1, 100000], got {bpm!r}')


class JitterStats:
  """Lateness statistics of delivered ticks (seconds), bounded memory.

  Keeps the last ``capacity`` lateness values (a deque, O(1) per tick) and
  summarises them as p50/p99/max.
  """

  def __init__(self, capacity: int = 100_000):
    self._values: Deque[float] = collections.deque(maxlen=capacity)

  def add(self, lateness_s: float) -> None:
    self._values.append(lateness_s)

  def values(self) -> np.ndarray:
    """The kept lateness values, seconds, ``[n]``."""
    return np.asarray(self._values, dtype=np.float64)

  def summary(self) -> dict:
    """{'count', 'p50_ms', 'p99_ms', 'max_ms', 'mean_ms'} (NaN when empty)."""
    v = self.values() * 1e3
    if v.size == 0:
      nan = float('nan')
      return dict(count=0, p50_ms=nan, p99_ms=nan, max_ms=nan, mean_ms=nan)
    return dict(count=int(v.size), p50_ms=float(np.percentile(v, 50)),
                p99_ms=float(np.percentile(v, 99)), max_ms=float(v.max()),
                mean_ms=float(v.mean()))


class _TickDispatcher:
  """Shared callback list and tick construction of both tempo sources."""

  def __init__(self, ticks_per_bar: int, beats_per_bar: int):
    if ticks_per_bar <= 0 or beats_per_bar <= 0:
      raise ValueError(f'ticks_per_bar ({ticks_per_bar}) and beats_per_bar '
                       f'({beats_per_bar}) must be positive')
    self.ticks_per_bar = int(ticks_per_bar)
    self.beats_per_bar = int(beats_per_bar)
    self._callbacks: List[TickCallback] = []
    self.callback_errors = 0
    self.jitter = JitterStats()
    # When a tick's last callback returned, minus its deadline: its output
    # (notes, hits) has all gone out by then. A callback that waits (e.g. on
    # a child process) shows here, not in ``jitter``.
    self.done = JitterStats()
    # report_error(kind, message): one line per kind, rate-limited (a live
    # session passes its ErrorLog.report); default: log every one.
    self.report_error: Callable[[str, str], None] = (
        lambda kind, message: logging.error('%s: %s', kind, message))

  def add_callback(self, callback: TickCallback) -> None:
    """Adds ``callback(tick)``; callbacks run in order on the clock thread."""
    self._callbacks.append(callback)

  def _deliver(self, index: int, deadline_s: float, now_s: float,
               bpm: float) -> Tick:
    step = index % self.ticks_per_bar
    tick = Tick(index=index, bar=index // self.ticks_per_bar, step=step,
                phase=step / self.ticks_per_bar, deadline_s=deadline_s,
                time_s=now_s, bpm=bpm)
    self.jitter.add(now_s - deadline_s)
    for callback in self._callbacks:
      try:
        callback(tick)
      except Exception as e:  # pylint: disable=broad-except
        # A failing callback must not stop the music; it is logged and counted.
        self.callback_errors += 1
        self.report_error('tick_callback', f'{callback!r} at tick {index}: '
                          f'{type(e).__name__}: {e}')
    time_fn = getattr(self, '_time', None)
    if time_fn is not None:
      self.done.add(time_fn() - deadline_s)
    return tick


class Clock(_TickDispatcher):
  """Drift-free tick scheduler on a monotonic time source.

  Args:
    bpm: tempo, beats per minute.
    ticks_per_bar: ticks per bar (8 = eighth notes in 4/4).
    beats_per_bar: beats (quarter notes) per bar.
    time_fn: monotonic time source in seconds (default ``time.monotonic``).
    sleep_fn: ``sleep(seconds)`` (default ``time.sleep``).
    spin_s: busy-wait the last ``spin_s`` seconds before a deadline (0 = pure
      sleep, which this CPU keeps well under 1 ms late; spinning trades a CPU
      core for tighter ticks).
    max_sleep_s: sleep at most this long at a time while waiting for a
      deadline, so :meth:`stop`, a tempo change and the idle callbacks
      (control commands) are handled within ``max_sleep_s`` whatever the
      tempo (issue 12 item 4: at 1 bpm the next tick is 30 s away).

  Raises:
    ValueError: on a non-positive bpm, ticks_per_bar or beats_per_bar.
  """

  def __init__(self, bpm: float = DEFAULT_BPM,
               ticks_per_bar: int = DEFAULT_TICKS_PER_BAR,
               beats_per_bar: int = DEFAULT_BEATS_PER_BAR,
               time_fn: Callable[[], float] = time.monotonic,
               sleep_fn: Callable[[float], None] = time.sleep,
               spin_s: float = 0.0, max_sleep_s: float = 0.01):
    super().__init__(ticks_per_bar, beats_per_bar)
    _check_bpm(bpm)
    if spin_s < 0:
      raise ValueError(f'spin_s must be >= 0, got {spin_s}')
    if not max_sleep_s > 0:
      raise ValueError(f'max_sleep_s must be > 0, got {max_sleep_s}')
    self._max_sleep_s = float(max_sleep_s)
    self._idle_callbacks: List[Callable[[float], None]] = []
    self._bpm = float(bpm)
    self._pending_bpm: Optional[float] = None
    self._time = time_fn
    self._sleep = sleep_fn
    self._spin_s = spin_s
    self._stop = threading.Event()
    self._lock = threading.Lock()
    self.next_index = 0
    self._anchor_s = 0.0
    self._anchor_index = 0
    self._started = False

  @property
  def bpm(self) -> float:
    """Tempo of the next tick (a pending set_bpm included)."""
    pending = self._pending_bpm
    return self._bpm if pending is None else pending

  @property
  def tick_period_s(self) -> float:
    return tick_period_s(self._bpm, self.ticks_per_bar, self.beats_per_bar)

  def set_bpm(self, bpm: float) -> None:
    """Changes the tempo from the next tick on (thread-safe).

    The tick already scheduled keeps its deadline; later ticks are spaced by
    the new period from there.

    Raises:
      ValueError: if bpm is not a finite number in [1, 100000].
    """
    _check_bpm(bpm)
    with self._lock:
      self._pending_bpm = float(bpm)

  def stop(self) -> None:
    """Asks :meth:`run` to return within ``max_sleep_s`` (thread-safe)."""
    self._stop.set()

  def add_idle_callback(self, callback: Callable[[float], None]) -> None:
    """Adds ``callback(seconds_to_next_deadline)``, run on the clock thread
    while it waits for a deadline (about every ``max_sleep_s``, never within
    ``max_sleep_s`` of the deadline): control commands between ticks."""
    self._idle_callbacks.append(callback)

  def deadline_s(self, index: int) -> float:
    """Deadline of tick ``index`` at the current tempo and anchor, seconds."""
    return self._anchor_s + (index - self._anchor_index) * self.tick_period_s

  def run(self, num_ticks: Optional[int] = None,
          duration_s: Optional[float] = None,
          start_s: Optional[float] = None) -> int:
    """Delivers ticks until ``num_ticks`` ticks, ``duration_s`` or stop().

    Args:
      num_ticks: number of ticks to deliver (None = unbounded).
      duration_s: stop before the first tick whose deadline is later than
        start + duration_s (None = unbounded).
      start_s: deadline of the first tick (default: now on the first run;
        a later run continues the schedule where the last one stopped,
        unless more than a tick period has passed since, then now).

    Returns:
      The number of ticks delivered.
    """
    self._stop.clear()
    now = self._time()
    if start_s is not None:
      self._anchor_s, self._anchor_index = float(start_s), self.next_index
    elif (not self._started or
          now > self.deadline_s(self.next_index) + self.tick_period_s):
      # First run, or resumed after a pause: start now instead of bursting
      # through the missed ticks.
      self._anchor_s, self._anchor_index = now, self.next_index
    self._started = True
    begin_s = self.deadline_s(self.next_index)
    end_s = None if duration_s is None else begin_s + duration_s
    delivered = 0
    while not self._stop.is_set():
      if num_ticks is not None and delivered >= num_ticks:
        break
      index = self.next_index
      self._apply_pending_bpm(index, during_wait=False)
      deadline = self.deadline_s(index)
      if end_s is not None and deadline > end_s + 1e-9:
        break
      now = self._wait_until(deadline, index)
      if now is None:  # stopped, or the tempo changed while waiting.
        continue
      self.next_index = index + 1
      self._deliver(index, deadline, now, self._bpm)
      delivered += 1
    return delivered

  def _apply_pending_bpm(self, index: int, during_wait: bool) -> bool:
    """Applies a pending set_bpm; True if the tempo changed.

    Set before tick ``index`` is waited for (e.g. by a tick callback), the
    tick keeps its deadline and later ticks use the new period. Set while
    waiting for it, tick ``index`` itself moves to one new period after
    tick ``index - 1`` (so a slow tempo never holds a fast one back).
    """
    with self._lock:
      pending, self._pending_bpm = self._pending_bpm, None
    if pending is None or pending == self._bpm:
      return False
    if during_wait and index - 1 >= self._anchor_index:
      self._anchor_s = self.deadline_s(index - 1)
      self._anchor_index = index - 1
    elif index > self._anchor_index:
      # This tick's deadline is one *old* period after the previous one.
      self._anchor_s = self.deadline_s(index)
      self._anchor_index = index
    self._bpm = pending
    return True

  def _wait_until(self, deadline: float,
                  index: Optional[int] = None) -> Optional[float]:
    """Sleeps until ``deadline``; the time then, or None if interrupted."""
    now = self._time()
    while now < deadline:
      if self._stop.is_set():
        return None
      if index is not None and self._pending_bpm is not None:
        if self._apply_pending_bpm(index, during_wait=True):
          return None
      remaining = deadline - now
      if self._idle_callbacks and remaining > self._max_sleep_s:
        for callback in self._idle_callbacks:
          try:
            callback(remaining)
          except Exception as e:  # pylint: disable=broad-except
            self.callback_errors += 1
            self.report_error('idle_callback', f'{type(e).__name__}: {e}')
        now = self._time()
        remaining = deadline - now
        if remaining <= 0:
          break
      if remaining > self._spin_s:
        self._sleep(min(remaining - self._spin_s, self._max_sleep_s))
      now = self._time()
    return now


def try_realtime_priority(priority: int = 10) -> bool:
  """Puts the calling thread on the SCHED_FIFO real-time scheduler (Linux).

  Audio software does the same for its clock thread so that other busy
  processes cannot delay a tick. Needs root or CAP_SYS_NICE/rtprio limits;
  without them it logs and returns False (the clock still works).

  Args:
    priority: SCHED_FIFO priority, 1-99 (10: above normal threads, well
      below kernel threads).
  """
  try:
    os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(priority))
    return True
  except (AttributeError, OSError) as e:
    logging.warning('real-time priority unavailable (%s); ticks may be late '
                    'under load', e)
    return False


def normal_priority() -> None:
  """Puts the calling thread back on the normal scheduler (SCHED_OTHER).

  Threads and processes started by a real-time thread inherit its policy;
  a worker that builds models (or a child process that imports TF) must not
  compete with the clock at real-time priority. Never raises.
  """
  try:
    if os.sched_getscheduler(0) != os.SCHED_OTHER:
      os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))
  except (AttributeError, OSError):
    pass


class FakeTime:
  """A fake monotonic clock for tests: ``sleep`` advances ``now`` exactly.

  Args:
    start_s: initial time, seconds.
    sleep_overshoot_s: extra seconds each sleep adds (simulated scheduler
      lateness).
  """

  def __init__(self, start_s: float = 0.0, sleep_overshoot_s: float = 0.0):
    self.now = float(start_s)
    self.overshoot = float(sleep_overshoot_s)
    self.sleeps: List[float] = []

  def time(self) -> float:
    return self.now

  def sleep(self, seconds: float) -> None:
    self.sleeps.append(seconds)
    self.now += max(0.0, seconds) + self.overshoot


class MidiClockFollower(_TickDispatcher):
  """Follows MIDI timing clock (24 PPQN): estimates bpm and drives ticks.

  Feed it messages with :meth:`feed` (any object with a ``type`` attribute,
  e.g. ``mido.Message``) and their arrival time; or let :meth:`run` read a
  mido input port. 'start' resets the pulse count (the next clock is the
  downbeat), 'stop' pauses ticks, 'continue' resumes them.

  Args:
    ticks_per_bar: ticks per bar; ``96 / ticks_per_bar`` must be a whole
      number of pulses (4 beats x 24 PPQN = 96 pulses per bar).
    beats_per_bar: beats per bar (4).
    window: number of pulse intervals averaged for the bpm estimate.
    time_fn: time source used by :meth:`run`.

  Attributes:
    delivered: ticks delivered since construction.
    running: True while :meth:`run` is running.

  Raises:
    ValueError: if the pulses per tick are not a whole number.
  """

  def __init__(self, ticks_per_bar: int = DEFAULT_TICKS_PER_BAR,
               beats_per_bar: int = DEFAULT_BEATS_PER_BAR, window: int = 24,
               time_fn: Callable[[], float] = time.monotonic):
    super().__init__(ticks_per_bar, beats_per_bar)
    pulses_per_bar = MIDI_CLOCK_PPQN * beats_per_bar
    if pulses_per_bar % ticks_per_bar:
      raise ValueError(
          f'{pulses_per_bar} MIDI clock pulses per bar do not divide into '
          f'ticks_per_bar={ticks_per_bar} ticks')
    self.pulses_per_tick = pulses_per_bar // ticks_per_bar
    self._intervals: Deque[float] = collections.deque(maxlen=max(1, window))
    self._last_pulse_s: Optional[float] = None
    self._pulses = 0
    self._running = True
    self._time = time_fn
    self.next_index = 0
    self.delivered = 0
    self.running = False
    self._target: Optional[int] = None
    self._stop = threading.Event()

  @property
  def bpm(self) -> Optional[float]:
    """Estimated tempo: 60 / (24 * mean pulse interval); None before 2 pulses."""
    if not self._intervals:
      return None
    mean = sum(self._intervals) / len(self._intervals)
    return 60.0 / (MIDI_CLOCK_PPQN * mean) if mean > 0 else None

  def feed(self, message, time_s: float) -> Optional[Tick]:
    """Handles one MIDI message that arrived at ``time_s``.

    Returns:
      The tick delivered by this message, if any.
    """
    kind = getattr(message, 'type', None)
    handler = self._HANDLERS.get(kind)
    return handler(self, time_s) if handler else None

  def _on_clock(self, time_s: float) -> Optional[Tick]:
    if self._last_pulse_s is not None:
      self._intervals.append(time_s - self._last_pulse_s)
    self._last_pulse_s = time_s
    if not self._running:
      return None
    pulse = self._pulses
    self._pulses += 1
    if pulse % self.pulses_per_tick:
      return None
    index = self.next_index
    self.next_index += 1
    tick = self._deliver(index, time_s, time_s, self.bpm or 0.0)
    self.delivered += 1
    if self._target is not None and self.delivered >= self._target:
      self._stop.set()
    return tick

  def _on_start(self, time_s: float) -> None:
    del time_s
    self._pulses = 0
    self.next_index = 0
    self._running = True
    self._last_pulse_s = None
    self._intervals.clear()

  def _on_stop(self, time_s: float) -> None:
    del time_s
    self._running = False

  def _on_continue(self, time_s: float) -> None:
    del time_s
    self._running = True

  _HANDLERS = {'clock': _on_clock, 'start': _on_start, 'stop': _on_stop,
               'continue': _on_continue}

  def stop(self) -> None:
    """Makes :meth:`run` return (thread-safe)."""
    self._stop.set()

  def run(self, num_ticks: Optional[int] = None,
          duration_s: Optional[float] = None,
          port: Optional[Iterable] = None) -> int:
    """Runs until num_ticks ticks, duration_s seconds, stop() or port's end.

    Args:
      num_ticks: ticks to deliver (None = unbounded).
      duration_s: wall-clock bound in seconds (None = unbounded).
      port: an iterable of messages (e.g. a mido input port) read here. None:
        another thread calls :meth:`feed` (a mido input callback) and this
        waits, like :meth:`Clock.run`, so a live session can use either.

    Returns:
      The number of ticks delivered during this run.
    """
    self._stop.clear()
    first = self.delivered
    if num_ticks is not None and num_ticks <= 0:
      return 0
    self._target = None if num_ticks is None else first + num_ticks
    end_s = None if duration_s is None else self._time() + duration_s
    self.running = True
    try:
      if port is None:
        self._stop.wait(timeout=duration_s)
      else:
        for message in port:
          self.feed(message, self._time())
          if self._stop.is_set() or (end_s is not None and
                                     self._time() >= end_s):
            break
    finally:
      self.running = False
      self._target = None
    return self.delivered - first


def clock_messages(bpm: float, num_pulses: int, start_s: float = 0.0
                   ) -> List[Tuple[float, 'object']]:
  """(time_s, mido 'clock' message) pairs at ``bpm`` (test/demo helper)."""
  import mido  # pylint: disable=g-import-not-at-top
  period = 60.0 / (bpm * MIDI_CLOCK_PPQN)
  return [(start_s + i * period, mido.Message('clock'))
          for i in range(num_pulses)]
