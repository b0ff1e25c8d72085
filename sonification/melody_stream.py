"""Streams generated melodies note by note on the clock (no TF on the tick).

A generator thread calls ``generate_fn()`` (e.g. the RL Tuner's
``generate_music_sequence``: int actions ``[N, 32]`` in the 38-class
encoding, rl_tuner/encoding.py) and queues the compositions; each tick (a
sixteenth-note step: 16 ticks per bar, SPEC.md §1) plays the next event:

  * action >= 2: release the sounding note, strike pitch ``action + 46``;
  * 0 (NOTE_OFF): release the sounding note;
  * 1 (NO_EVENT): hold.

If the generator falls behind, ticks hold (counted in ``underruns``).
"""

import logging
import queue
import threading
from typing import Callable, Optional

import numpy as np

from sonification import sinks as sinks_lib

NOTE_OFF = 0  # rl_tuner.encoding.NOTE_OFF
NO_EVENT = 1  # rl_tuner.encoding.NO_EVENT
PITCH_OFFSET = 46  # rl_tuner.encoding.PITCH_OFFSET: pitch = action + 46.


class MelodyStream:
  """The melody app for LiveSession.

  Args:
    generate_fn: returns int actions ``[N, T]`` (called in a worker thread).
    sink: where notes go.
    channel: MIDI channel, 0-15.
    velocity: MIDI velocity of every note.
    prefetch: compositions kept ready.
  """

  def __init__(self, generate_fn: Callable[[], np.ndarray],
               sink: Optional[sinks_lib.Sink] = None, channel: int = 0,
               velocity: int = 100, prefetch: int = 4):
    self.sink = sink or sinks_lib.Sink()
    self.channel = channel
    self.velocity = velocity
    self._generate = generate_fn
    self._ready: 'queue.Queue[np.ndarray]' = queue.Queue(maxsize=prefetch)
    self._current = np.zeros(0, np.int64)
    self._position = 0
    self._sounding: Optional[int] = None
    self._last_time_s = 0.0  # Clock time (s) of the latest tick played.
    self._stop = threading.Event()
    self.underruns = 0
    self.compositions_played = 0
    self.generator_errors = 0
    self._thread = threading.Thread(target=self._fill, name='melody-gen',
                                    daemon=True)
    self._thread.start()

  def _fill(self) -> None:
    while not self._stop.is_set():
      try:
        batch = np.asarray(self._generate())
      except Exception:  # pylint: disable=broad-except
        self.generator_errors += 1
        logging.exception('melody generation failed')
        if self.generator_errors > 3:
          return
        continue
      for composition in batch.reshape(-1, batch.shape[-1]):
        while not self._stop.is_set():
          try:
            self._ready.put(composition, timeout=0.1)
            break
          except queue.Full:
            continue

  def _next_action(self) -> Optional[int]:
    if self._position >= len(self._current):
      try:
        self._current = self._ready.get_nowait()
      except queue.Empty:
        return None
      self._position = 0
      self.compositions_played += 1
    action = int(self._current[self._position])
    self._position += 1
    return action

  def status(self) -> dict:
    """For the live display: compositions played, underruns, errors."""
    return dict(compositions=self.compositions_played,
                underruns=self.underruns,
                generator_errors=self.generator_errors)

  def on_tick(self, tick) -> Optional[int]:
    """Plays the next event; returns it (None on an underrun)."""
    self._last_time_s = tick.time_s
    action = self._next_action()
    if action is None:
      self.underruns += 1
      return None
    if action == NO_EVENT:
      return action
    if self._sounding is not None:
      self.sink.note_off(self._sounding, self.channel, tick.time_s)
      self._sounding = None
    if action != NOTE_OFF:
      pitch = action + PITCH_OFFSET
      self.sink.note_on(pitch, self.velocity, self.channel, tick.time_s)
      self._sounding = pitch
    return action

  def handlers(self):
    return {}

  def wait_ready(self, timeout_s: float = 60.0) -> bool:
    """Waits until a composition is queued (before starting the clock)."""
    waiter = threading.Event()
    waited = 0.0
    while self._ready.empty() and waited < timeout_s:
      if not self._thread.is_alive():
        return False
      waiter.wait(0.01)
      waited += 0.01
    return not self._ready.empty()

  def close(self) -> None:
    self._stop.set()
    if self._sounding is not None:
      self.sink.note_off(self._sounding, self.channel, self._last_time_s)
      self._sounding = None
    self._thread.join(timeout=5.0)
    self.sink.close()
