"""Slow work off the clock thread, swapped in at a tick boundary.

Building and tracing a beat agent takes seconds, a reset ~0.1 s, loading or
saving a file tens of ms: none of it may run on the clock thread (issue 12
item 2: 200 resets made ticks 16.7 s late). A :class:`BackgroundJobs` runs
each job's ``work()`` on one worker thread, in submission order; when it is
done the job's ``commit(result)`` (which must be fast: a swap of references,
a few variable assignments) is queued for the clock thread, which runs the
finished commits at the start of a tick (:meth:`run_commits`), within a time
budget. Until then the old state keeps playing.

A job that raises is reported to ``on_error(message)`` (if given) and to the
:class:`sonification.error_log.ErrorLog` under ``job/NAME``; its commit is not
run. No TF here (the work functions may import it).
"""

import dataclasses
import queue
import threading
import time
from typing import Any, Callable, Optional

from sonification import clock as clock_lib
from sonification import error_log as error_log_lib

MAX_PENDING = 64  # jobs waiting for the worker beyond this are refused.


class JobsFull(RuntimeError):
  """Too many jobs are waiting (a flood of slow commands)."""


@dataclasses.dataclass
class Job:
  """One unit of slow work.

  Attributes:
    name: for errors and counters (e.g. 'drums/reset').
    work: ``work() -> result``, on the worker thread.
    commit: ``commit(result)``, on the clock thread at a tick boundary.
    on_error: ``on_error(message)`` if work or commit raises (e.g. an OSC
      ``/error`` reply to the sender).
  """
  name: str
  work: Callable[[], Any]
  commit: Optional[Callable[[Any], None]] = None
  on_error: Optional[Callable[[str], None]] = None


class BackgroundJobs:
  """One worker thread for slow jobs; commits run on the clock thread.

  Args:
    errors: where failures are counted and logged (rate-limited).
    threaded: False runs ``work`` inside :meth:`submit` (deterministic
      tests); commits still wait for :meth:`run_commits`.
    max_pending: refuse (JobsFull) beyond this many unfinished jobs.

  Attributes:
    stats: 'submitted', 'done', 'failed', 'refused', 'committed'.
  """

  def __init__(self, errors: Optional[error_log_lib.ErrorLog] = None,
               threaded: bool = True, max_pending: int = MAX_PENDING):
    self.errors = errors or error_log_lib.ErrorLog()
    self.max_pending = max_pending
    self.stats = dict(submitted=0, done=0, failed=0, refused=0, committed=0)
    self._threaded = threaded
    self._todo: 'queue.Queue[Optional[Job]]' = queue.Queue()
    self._done: 'queue.Queue[tuple]' = queue.Queue()
    self._unfinished = 0
    self._lock = threading.Lock()
    self._idle = threading.Condition(self._lock)
    self._thread: Optional[threading.Thread] = None
    if threaded:
      self._thread = threading.Thread(target=self._work_loop,
                                      name='live-jobs', daemon=True)
      self._thread.start()

  @property
  def pending(self) -> int:
    """Jobs submitted whose commit has not run yet."""
    with self._lock:
      return self._unfinished

  def submit(self, name: str, work: Callable[[], Any],
             commit: Optional[Callable[[Any], None]] = None,
             on_error: Optional[Callable[[str], None]] = None) -> None:
    """Queues a job (never blocks).

    Raises:
      JobsFull: if ``max_pending`` jobs are unfinished; nothing is queued.
    """
    with self._lock:
      if self._unfinished >= self.max_pending:
        self.stats['refused'] += 1
        raise JobsFull(f'{name}: {self._unfinished} slow commands are '
                       f'already waiting; try again later')
      self._unfinished += 1
      self.stats['submitted'] += 1
    job = Job(name, work, commit, on_error)
    if self._threaded:
      self._todo.put(job)
    else:
      self._run(job)

  def _work_loop(self) -> None:
    clock_lib.normal_priority()  # never at the clock thread's priority.
    while True:
      job = self._todo.get()
      if job is None:
        return
      self._run(job)

  def _run(self, job: Job) -> None:
    try:
      result = job.work()
    except Exception as e:  # pylint: disable=broad-except
      self._fail(job, e)
      return
    self._done.put((job, result))
    with self._lock:
      self.stats['done'] += 1
      self._idle.notify_all()

  def _fail(self, job: Job, error: Exception) -> None:
    message = f'{job.name}: {type(error).__name__}: {error}'
    self.errors.report(f'job/{job.name}', message)
    if job.on_error is not None:
      try:
        job.on_error(message)
      except Exception as e:  # pylint: disable=broad-except
        self.errors.report('job/on_error', f'{type(e).__name__}: {e}')
    with self._lock:
      self.stats['failed'] += 1
      self._finish_locked()

  def _finish_locked(self) -> None:
    self._unfinished -= 1
    self._idle.notify_all()

  def run_commits(self, budget_s: float = 0.002,
                  time_fn: Callable[[], float] = time.perf_counter) -> int:
    """Runs finished jobs' commits (clock thread) until none or the budget.

    At least one commit runs per call when any is ready, so a stream of
    ticks always makes progress.

    Returns:
      The number of commits run.
    """
    start = time_fn()
    n = 0
    while n == 0 or time_fn() - start < budget_s:
      try:
        job, result = self._done.get_nowait()
      except queue.Empty:
        break
      n += 1
      try:
        if job.commit is not None:
          job.commit(result)
      except Exception as e:  # pylint: disable=broad-except
        self._fail(job, e)
        continue
      with self._lock:
        self.stats['committed'] += 1
        self._finish_locked()
    return n

  def wait_idle(self, timeout_s: float = 60.0,
                run_commits: bool = True) -> bool:
    """Waits until every job is finished (tests, shutdown).

    Args:
      timeout_s: give up after this many seconds.
      run_commits: run commits here while waiting (only when no clock is
        running them, e.g. in tests).

    Returns:
      True if idle, False on timeout.
    """
    deadline = time.monotonic() + timeout_s
    while True:
      if run_commits:
        self.run_commits(budget_s=float('inf'))
      with self._lock:
        if self._unfinished == 0:
          return True
        remaining = deadline - time.monotonic()
        if remaining <= 0:
          return False
        self._idle.wait(min(remaining, 0.01))

  def wait_worked(self, timeout_s: float = 60.0) -> bool:
    """Waits until every submitted job's work has finished (its commit may
    still wait for a tick). True unless timed out."""
    deadline = time.monotonic() + timeout_s
    with self._lock:
      while (self.stats['done'] + self.stats['failed'] <
             self.stats['submitted']):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
          return False
        self._idle.wait(min(remaining, 0.01))
    return True

  def close(self, timeout_s: float = 30.0) -> None:
    """Stops the worker after the jobs already queued (idempotent)."""
    if self._thread is not None:
      self._todo.put(None)
      self._thread.join(timeout_s)
      self._thread = None
