"""Garbage-collector pauses of a live process: made short, and measured.

CPython's cyclic garbage collector runs on whichever thread allocated the
object that crossed a threshold, holding the GIL: while it runs, no other
thread of the process runs Python, the clock thread included. A full
(generation 2) collection walks every tracked object of the process; in the
studio's process (tornado, numba, the audio engine, CARL's numpy actor) that
is hundreds of thousands of objects. :func:`freeze` (``gc.freeze``, Python
3.7+) moves everything alive after start-up to a permanent generation that
collections no longer walk, so a later full collection walks only what the
session allocated since. :class:`GcPauses` times every collection
(``gc.callbacks``) so a run can report them beside its tick lateness.

No TF here (the clock's process).
"""

import collections
import gc
import time
from typing import Callable, Deque, Dict, Optional, Tuple


def freeze() -> int:
  """Collects once, then freezes every object alive (call after start-up,
  before the clock starts).

  Returns:
    The number of objects frozen (``gc.get_freeze_count()``).
  """
  gc.collect()
  gc.freeze()
  return gc.get_freeze_count()


class GcPauses:
  """Times the garbage collector's runs (``gc.callbacks``).

  Args:
    capacity: keep the last this many pauses.
    time_fn: seconds (default ``time.perf_counter``).

  Attributes:
    pauses: (generation, seconds) of the kept collections, oldest first.
  """

  def __init__(self, capacity: int = 100_000,
               time_fn: Callable[[], float] = time.perf_counter):
    self.pauses: Deque[Tuple[int, float]] = collections.deque(
        maxlen=capacity)
    self._time = time_fn
    self._start: Optional[float] = None

  def _callback(self, phase: str, info: Dict) -> None:
    if phase == 'start':
      self._start = self._time()
    elif self._start is not None:
      self.pauses.append((int(info['generation']),
                          self._time() - self._start))
      self._start = None

  def start(self) -> 'GcPauses':
    """Starts timing (idempotent)."""
    if self._callback not in gc.callbacks:
      gc.callbacks.append(self._callback)
    return self

  def stop(self) -> None:
    """Stops timing (idempotent)."""
    if self._callback in gc.callbacks:
      gc.callbacks.remove(self._callback)

  def summary(self) -> Dict[str, float]:
    """'count', 'full' (generation 2 collections), 'max_ms',
    'full_max_ms' (0 when none)."""
    full = [s for generation, s in self.pauses if generation == 2]
    return dict(count=len(self.pauses), full=len(full),
                max_ms=1e3 * max((s for _, s in self.pauses), default=0.0),
                full_max_ms=1e3 * max(full, default=0.0))

  def describe(self) -> str:
    """One line for a run's statistics."""
    s = self.summary()
    return (f"gc pauses {s['count']} (full {s['full']}), max "
            f"{s['max_ms']:.3f} ms, full max {s['full_max_ms']:.3f} ms")
