"""Rate-limited error reporting for the live runtime: one line per kind.

A live session must survive a flood of bad input (issue 12 item 5: 25,030
tracebacks in 45 s delayed the ticks themselves). :class:`ErrorLog` counts
every error by kind (e.g. 'osc/bad_arguments', 'command/drums/load',
'tick_callback') and logs one line, never a traceback, for the first error of
a kind and then at most once per ``interval_s`` per kind, saying how many were
not logged in between. The counters go into the live status line.

No TF; thread-safe (the OSC thread, the clock thread and the job worker all
report here).
"""

import logging
import threading
import time
from typing import Callable, Dict

DEFAULT_INTERVAL_S = 5.0  # one line per kind per 5 s: readable, bounded.


class ErrorLog:
  """Counts errors by kind and logs them rate-limited.

  Args:
    interval_s: seconds between two log lines of one kind (>= 0).
    log: ``log(text)`` for a line (default ``logging.warning``).
    time_fn: monotonic time source, seconds (injectable for tests).

  Attributes:
    counts: kind -> number of errors reported (a copy via :meth:`summary`).
    logged: number of lines logged.
  """

  def __init__(self, interval_s: float = DEFAULT_INTERVAL_S,
               log: Callable[[str], None] = logging.warning,
               time_fn: Callable[[], float] = time.monotonic):
    if not interval_s >= 0:
      raise ValueError(f'interval_s must be >= 0, got {interval_s!r}')
    self.interval_s = float(interval_s)
    self._log = log
    self._time = time_fn
    self.counts: Dict[str, int] = {}
    self._last_logged: Dict[str, float] = {}
    self._unlogged: Dict[str, int] = {}
    self.logged = 0
    self._lock = threading.Lock()

  def report(self, kind: str, message: str) -> bool:
    """Counts one error of ``kind``; logs it unless logged too recently.

    Args:
      kind: a short stable name ('osc/not_osc', 'command/drums/reset').
      message: one line saying what was wrong (truncated to 300 characters).

    Returns:
      True if a line was logged.
    """
    now = self._time()
    with self._lock:
      self.counts[kind] = self.counts.get(kind, 0) + 1
      last = self._last_logged.get(kind)
      if last is not None and now - last < self.interval_s:
        self._unlogged[kind] = self._unlogged.get(kind, 0) + 1
        return False
      skipped = self._unlogged.pop(kind, 0)
      self._last_logged[kind] = now
      self.logged += 1
    text = f'{kind}: {message[:300]}'
    if skipped:
      text += f' ({skipped} more {kind} errors not logged)'
    self._log(text)
    return True

  def summary(self) -> Dict[str, int]:
    """kind -> count of every error reported so far (a copy)."""
    with self._lock:
      return dict(self.counts)

  @property
  def total(self) -> int:
    with self._lock:
      return sum(self.counts.values())
