"""A beat agent's calls on their own thread: the live clock never waits.

A live beat agent lives in a child process (drums/remote_beat_agent.py); one
step is a pipe round trip of ~2-3 ms (more while another child imports TF on
the same cores). Made on the clock thread, that round trip was the tick
lateness p99 of the studio (4.2 ms; issue 11 item 3). :class:`PipelinedAgent`
takes it off the clock's critical path, as a realtime sequencer does with a
lookahead:

* its own *exchange thread* makes every call to the agent, in the order they
  were queued (ticks, resets, loads, snapshots), so only that thread ever
  waits on the child;
* the clock thread only queues work (:meth:`submit_tick`,
  :meth:`call_async`: a ``queue.SimpleQueue.put``) and picks up finished
  ticks without blocking (:meth:`take_tick`: ``get_nowait`` on a queue of
  results);
* the drum session (drums/session.py) queues the step for tick ``k + 1`` at
  the end of tick ``k``: the written source and target of the next tick are
  known in advance, so the child works while the clock sleeps, and tick
  ``k + 1`` reads the reply that is already there. A reply that has not
  arrived in time is a *late agent step*: that tick plays the written part,
  and the step's loss is still counted when it arrives (the agent did learn
  from the tick).

The agent's learning is unchanged (SPEC.md section 2: per tick act, reward
against the target, store, optimise): every tick is stepped exactly once, in
order, with that tick's source, target and mode. What the lookahead changes
is *when* the agent hears of a live change: the step for tick ``k + 1`` was
queued at the end of tick ``k``, so a program, mode, reset or load applied at
the boundary of tick ``k + 1`` reaches the agent from tick ``k + 2`` (the
sound changes at ``k + 1`` as before).

No TensorFlow here; the wrapped agent may be any object with the beat
agent's methods (``tick``, ``reset``, ``fresh_weights``, ``state_dict``,
``check_state_dict``, ``load_state_dict``, ``warm_up``, ``close``).
"""

import concurrent.futures
import os
import queue
import threading
from typing import Any, Dict, List, Optional, Tuple

MAX_TICKS_IN_FLIGHT = 4  # queued, unanswered ticks beyond this are dropped.
_STOP = object()


class PipelinedAgent:
  """Wraps an agent so that the clock thread never waits on it.

  Args:
    agent: the agent (e.g. a drums.remote_beat_agent.RemoteBeatAgent).
    max_ticks_in_flight: ticks queued and not yet answered beyond which
      :meth:`submit_tick` drops the tick (a child that cannot keep up does
      not build an ever longer queue).
    name: the exchange thread's name.

  Attributes:
    agent: the wrapped agent.
    stats: 'submitted', 'on_time' (taken at their tick), 'late' (answered
      after their tick), 'dropped' (never sent: too many in flight).
  """

  def __init__(self, agent, max_ticks_in_flight: int = MAX_TICKS_IN_FLIGHT,
               name: str = 'beat-agent-exchange'):
    if max_ticks_in_flight < 1:
      raise ValueError(f'max_ticks_in_flight must be >= 1, got '
                       f'{max_ticks_in_flight}')
    self.agent = agent
    self.max_ticks_in_flight = max_ticks_in_flight
    self.stats = dict(submitted=0, on_time=0, late=0, dropped=0)
    self._requests: 'queue.SimpleQueue' = queue.SimpleQueue()
    self._results: 'queue.SimpleQueue' = queue.SimpleQueue()
    self._failures: 'queue.SimpleQueue' = queue.SimpleQueue()
    # Clock-thread state (only the clock thread touches these).
    self._ready: Dict[int, Tuple[Any, Optional[BaseException]]] = {}
    self._in_flight = set()
    self._closed = False
    self._thread = threading.Thread(target=self._loop, name=name,
                                    daemon=True)
    self._thread.start()

  # ------------------------------------------------------- exchange thread --

  def _loop(self) -> None:
    try:  # Never at the real-time priority of a clock thread.
      if os.sched_getscheduler(0) != os.SCHED_OTHER:
        os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))
    except (AttributeError, OSError):
      pass
    while True:
      request = self._requests.get()
      if request is _STOP:
        return
      kind, key, method, args, extra = request
      if kind == 'barrier':
        extra.set_result(None)
        continue
      try:
        result, error = getattr(self.agent, method)(*args), None
      except Exception as e:  # pylint: disable=broad-except
        result, error = None, e
      if kind == 'tick':
        self._results.put((key, result, error))
        if extra is not None:  # on_done(result, error), this thread.
          try:
            extra(result, error)
          except Exception as e:  # pylint: disable=broad-except
            self._failures.put(e)
      elif error is not None:
        if extra is not None:
          extra.set_exception(error)
        else:
          self._failures.put(error)
      elif extra is not None:
        extra.set_result(result)

  # ---------------------------------------------------------- clock side --

  def submit_tick(self, index: int, tick: int, source_hit: int,
                  target_hit: Optional[int], mode: str,
                  on_done=None) -> bool:
    """Queues ``agent.tick(tick, source_hit, target_hit, mode)`` for the
    session's tick ``index`` (never blocks).

    Args:
      index: the session's tick index (what :meth:`take_tick` asks for).
      tick, source_hit, target_hit, mode: as BeatAgent.tick.
      on_done: ``on_done(result, error)``, called on the exchange thread as
        soon as the agent answers (the agent bridge's OSC reply).

    Returns:
      True if queued; False if ``max_ticks_in_flight`` ticks are unanswered
      (the tick is dropped and counted).
    """
    self._collect()
    if len(self._in_flight) >= self.max_ticks_in_flight:
      self.stats['dropped'] += 1
      return False
    self._in_flight.add(index)
    self.stats['submitted'] += 1
    self._requests.put(('tick', index, 'tick',
                        (tick, source_hit, target_hit, mode), on_done))
    return True

  def in_flight(self, index: int) -> bool:
    """True if tick ``index`` was submitted and not taken yet."""
    return index in self._in_flight or index in self._ready

  def _collect(self) -> None:
    while True:
      try:
        index, result, error = self._results.get_nowait()
      except queue.Empty:
        return
      self._in_flight.discard(index)
      self._ready[index] = (result, error)

  def take_tick(self, index: int) -> Tuple[Any, List[Any]]:
    """The answer for tick ``index`` if it is there (never blocks).

    Returns:
      (result, late): the agent's TickResult for ``index``, or None if it
      has not answered yet (the tick is then late: its answer will come back
      in a later call's ``late``); ``late`` lists the answers of earlier
      ticks that came after their tick had been played.

    Raises:
      Exception: the agent's error for one of these ticks, or of a call
        queued with :meth:`call_async` without a future to take it.
    """
    self._collect()
    try:
      raise self._failures.get_nowait()
    except queue.Empty:
      pass
    late = []
    for key in sorted(k for k in self._ready if k < index):
      result, error = self._ready.pop(key)
      self.stats['late'] += 1
      if error is not None:
        raise error
      late.append(result)
    entry = self._ready.pop(index, None)
    if entry is None:
      return None, late
    result, error = entry
    self.stats['on_time'] += 1
    if error is not None:
      raise error
    return result, late

  def drain(self) -> List[Tuple[int, Any, Optional[BaseException]]]:
    """Every answered tick not taken yet, as (index, result, error) in
    index order (never blocks, never raises): for a caller that does not
    play ticks on a schedule (the agent bridge)."""
    self._collect()
    done = [(key,) + self._ready.pop(key) for key in sorted(self._ready)]
    return done

  def call_async(self, method: str, *args,
                 want_result: bool = False
                 ) -> Optional[concurrent.futures.Future]:
    """Queues ``agent.method(*args)`` after everything queued so far.

    Args:
      method: the agent's method ('reset', 'load_state_dict', ...).
      want_result: return a Future of the result (to wait on from another
        thread); otherwise an error surfaces at the next :meth:`take_tick`.

    Returns:
      The Future, or None.
    """
    future = concurrent.futures.Future() if want_result else None
    self._requests.put(('call', None, method, args, future))
    return future

  # --------------------------------------------- other threads (blocking) --

  def call(self, method: str, *args, timeout_s: float = 120.0):
    """``agent.method(*args)`` in order after the queued work; waits.

    Never call it on a clock thread.

    Raises:
      concurrent.futures.TimeoutError: after ``timeout_s``; or the agent's
        error.
    """
    return self.call_async(method, *args, want_result=True).result(timeout_s)

  def wait_tick(self, index: int, timeout_s: float = 10.0) -> bool:
    """Waits until tick ``index`` is answered (tests, simulated clocks):
    True if it is ready for :meth:`take_tick`. Never on a clock thread."""
    barrier = concurrent.futures.Future()
    self._requests.put(('barrier', None, None, None, barrier))
    try:
      barrier.result(timeout_s)  # everything queued before it is done.
    except concurrent.futures.TimeoutError:
      return False
    self._collect()
    return index in self._ready

  def tick(self, tick: int, source_hit, target_hit=None, mode: str = 'learn'):
    """A blocking step (tests and simulated clocks only)."""
    return self.call('tick', tick, source_hit, target_hit, mode)

  def warm_up(self) -> None:
    warm_up = getattr(self.agent, 'warm_up', None)
    if warm_up is not None:
      self.call('warm_up')

  def reset(self, weights=None) -> None:
    self.call('reset', weights)

  def fresh_weights(self) -> list:
    return self.call('fresh_weights')

  def state_dict(self) -> Dict:
    return self.call('state_dict')

  def check_state_dict(self, arrays: Dict) -> None:
    self.call('check_state_dict', arrays)

  def load_state_dict(self, arrays: Dict) -> None:
    self.call('load_state_dict', arrays)

  def close(self) -> None:
    """Finishes the queued calls, stops the thread, closes the agent
    (idempotent)."""
    if self._closed:
      return
    self._closed = True
    self._requests.put(_STOP)
    self._thread.join(30.0)
    close = getattr(self.agent, 'close', None)
    if close is not None:
      close()
