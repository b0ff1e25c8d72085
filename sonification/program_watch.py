"""Your own editor: re-evaluate a program file on every save.

:class:`ProgramWatcher` polls the file's modification time and size (every
``interval_s``, 0.25 s by default: no extra library, works on every OS and
with editors that save by renaming) and, when they change, reads the file
and submits its text as a ``drums/program`` command, the same path as OSC
``/drums/program``, so it is parsed off the clock thread and switched at a
tick. A parse error is reported at once, one line with its line and column,
and the old program keeps playing. No TF.
"""

import logging
import os
import threading
from typing import Callable, Optional, Tuple

DEFAULT_INTERVAL_S = 0.25


class ProgramWatcher:
  """Polls a program file and submits it when it changes.

  Args:
    path: the program file.
    submit: ``submit(text, on_error)``, e.g. a LiveSession's
      ``lambda text, on_error: session.submit('drums/program', text,
      on_error=on_error)``.
    interval_s: seconds between polls (> 0).
    report: ``report(text)`` for errors and reloads (default
      logging.warning / logging.info).

  Attributes:
    stats: 'submitted' (file versions sent), 'errors' (failed versions and
      unreadable files).
  """

  def __init__(self, path: str, submit: Callable[[str, Callable], None],
               interval_s: float = DEFAULT_INTERVAL_S,
               report: Optional[Callable[[str], None]] = None):
    if not interval_s > 0:
      raise ValueError(f'interval_s must be > 0, got {interval_s!r}')
    self.path = path
    self.interval_s = float(interval_s)
    self._submit = submit
    self._report = report or logging.warning
    self.stats = dict(submitted=0, errors=0)
    self._seen: Optional[Tuple[int, int]] = self._stat()
    self._stop = threading.Event()
    self._thread: Optional[threading.Thread] = None

  def _stat(self) -> Optional[Tuple[int, int]]:
    try:
      info = os.stat(self.path)
    except OSError:
      return None
    return (info.st_mtime_ns, info.st_size)

  def poll(self) -> bool:
    """Checks the file once; submits it if it changed. True if submitted."""
    seen = self._stat()
    if seen is None or seen == self._seen:
      return False
    self._seen = seen
    try:
      with open(self.path, encoding='utf-8') as f:
        text = f.read()
    except (OSError, UnicodeDecodeError) as e:
      self.stats['errors'] += 1
      self._report(f'{self.path}: cannot read: {e}')
      return False
    try:
      self._submit(text, self._on_error)
    except Exception as e:  # pylint: disable=broad-except
      self.stats['errors'] += 1
      self._report(f'{self.path}: {e}')
      return False
    self.stats['submitted'] += 1
    logging.info('%s changed: evaluating', self.path)
    return True

  def _on_error(self, text: str) -> None:
    self.stats['errors'] += 1
    self._report(f'{self.path}: {text} (the old program keeps playing)')

  def _loop(self) -> None:
    while not self._stop.wait(self.interval_s):
      self.poll()

  def start(self) -> 'ProgramWatcher':
    if self._thread is None:
      self._thread = threading.Thread(target=self._loop, daemon=True,
                                      name='program-watch')
      self._thread.start()
    return self

  def close(self) -> None:
    self._stop.set()
    if self._thread is not None:
      self._thread.join(2.0)
      self._thread = None
