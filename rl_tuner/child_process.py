"""An object that lives in a child process, its methods called over a pipe.

The realtime clock's process must never run TensorFlow: a TF model built or
stepped on any thread of that process holds the GIL long enough to make ticks
late (drums/remote_beat_agent.py and sonification/carl/carl_remote.py measure
it). :class:`ChildProcessObject` ``spawn``s a process that builds the object
with a module-level function and answers ``(method, args)`` requests; the
caller blocks in ``recv`` (the GIL released) while the child works. Numpy
arrays, plain Python values and tuples cross the pipe; a namedtuple result is
sent as a plain tuple, so the caller need not import the module that defines
it. No TensorFlow is imported here.
"""

import multiprocessing
import os
import threading
from typing import Callable, Dict, Optional, Tuple, Type


def _serve(conn, build: Callable, build_args: Tuple, tf_threads: int) -> None:
  """Child process: builds the object, then answers requests until None."""
  try:  # Not at the real-time priority of the thread that spawned us.
    os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))
  except (AttributeError, OSError):
    pass
  if tf_threads:
    import tensorflow as tf  # pylint: disable=g-import-not-at-top
    tf.config.threading.set_intra_op_parallelism_threads(tf_threads)
    tf.config.threading.set_inter_op_parallelism_threads(tf_threads)
  try:
    obj = build(*build_args)
  except Exception as e:  # pylint: disable=broad-except
    conn.send((False, f'{type(e).__name__}: {e}'))
    return
  conn.send((True, 'ready'))
  while True:
    try:
      request = conn.recv()
    except EOFError:
      return
    if request is None:
      return
    method, args = request
    try:
      result = getattr(obj, method)(*args)
      if isinstance(result, tuple):
        result = tuple(result)  # A namedtuple's class stays in the child.
      conn.send((True, result))
    except Exception as e:  # pylint: disable=broad-except
      conn.send((False, (type(e).__name__, str(e))))


class ChildProcessObject:
  """Owns a child process that holds one object; :meth:`call` its methods.

  Args:
    build: a module-level function (picklable) that the child calls with
      ``build_args`` to make the object; it may import TF.
    build_args: picklable arguments of ``build``.
    what: the object's name in process names and errors ("beat agent").
    tf_threads: TF intra/inter-op threads in the child (1 leaves the other
      core of a 2-core machine to the clock; 0 = TF's default, and TF is not
      imported before ``build``).
    start_timeout_s: seconds to wait for the child to build the object.
    nice: added to the child's nice value (0-19; e.g. 10), set by this
      process as soon as the child exists. The threads of
      the clock's process then win the cores from the child (importing TF
      takes both cores for seconds): a normal-priority thread holding the
      GIL is not kept off a core while the real-time clock thread waits for
      the GIL.
    errors: exception types the child's errors are raised as, by class name
      (others become RuntimeError).

  Raises:
    RuntimeError: if the child does not build the object in time or fails.
  """

  def __init__(self, build: Callable, build_args: Tuple, what: str,
               tf_threads: int = 1, start_timeout_s: float = 180.0,
               errors: Optional[Dict[str, Type[Exception]]] = None,
               nice: int = 0):
    if not 0 <= nice <= 19:
      raise ValueError(f'nice must be in [0, 19], got {nice}')
    self.what = what
    self._errors = dict(errors or {})
    ctx = multiprocessing.get_context('spawn')
    self._conn, child = ctx.Pipe()
    self._process = ctx.Process(
        target=_serve, name=what.replace(' ', '-'),
        args=(child, build, tuple(build_args), tf_threads), daemon=True)
    self._process.start()
    if nice:  # At once, from here: the child's start-up (a spawned child
      # imports the parent's main module) is already at the lower priority.
      try:
        os.setpriority(os.PRIO_PROCESS, self._process.pid,
                       os.getpriority(os.PRIO_PROCESS, 0) + nice)
      except (AttributeError, OSError):
        pass
    child.close()
    self._lock = threading.Lock()
    if not self._conn.poll(start_timeout_s):
      self.close()
      raise RuntimeError(f'{what} process did not start within '
                         f'{start_timeout_s} s')
    try:
      ok, message = self._conn.recv()
    except (EOFError, OSError) as e:
      self.close()
      raise RuntimeError(f'{what} process died while starting ({e})') from e
    if not ok:
      self.close()
      raise RuntimeError(f'{what} process failed to build: {message}')

  def call(self, method: str, *args):
    """The child's ``object.method(*args)``.

    Raises:
      RuntimeError: if the child is gone, or for an error of a type not in
        ``errors``; else the child's error as its own type.
    """
    with self._lock:
      try:
        self._conn.send((method, args))
        ok, result = self._conn.recv()
      except (EOFError, OSError) as e:
        raise RuntimeError(f'{self.what} process is gone ({e}); exit code '
                           f'{self._process.exitcode}') from e
    if not ok:
      kind, message = result
      raise self._errors.get(kind, RuntimeError)(
          f'{message} (in the {self.what} process: {method}, {kind})')
    return result

  def close(self) -> None:
    """Stops the child process (idempotent)."""
    if self._process.is_alive():
      try:
        with self._lock:
          self._conn.send(None)
      except (OSError, BrokenPipeError):
        pass
      self._process.join(5.0)
      if self._process.is_alive():
        self._process.terminate()
        self._process.join(5.0)
    self._conn.close()
