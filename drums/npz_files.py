"""Atomic .npz files for saved agents and drum sessions, without TF.

The live runtime reads and writes saved drum sessions on a worker thread of
the clock's process, which must never import TensorFlow (importing it on a
thread held the GIL long enough to make ticks 480 ms late in
tests/sonification/flood_test.py). drums.beat_agent saves and loads a
single agent through the same two functions.
"""

import os
import tempfile
import zipfile
from typing import Dict

import numpy as np

from rl_tuner import file_errors


def save_npz(path: str, arrays: Dict[str, np.ndarray]) -> str:
  """Writes arrays to ``path`` (.npz added if missing) via a temp file and a
  rename, so a reader never sees half a file; the path (mode 0644)."""
  if not path.endswith('.npz'):
    path += '.npz'
  directory = os.path.dirname(os.path.abspath(path))
  os.makedirs(directory, exist_ok=True)
  fd, tmp = tempfile.mkstemp(suffix='.npz.tmp', dir=directory)
  os.chmod(tmp, 0o644)  # mkstemp makes 0600.
  try:
    with os.fdopen(fd, 'wb') as f:
      np.savez(f, **arrays)
    os.replace(tmp, path)
  finally:
    if os.path.exists(tmp):
      os.remove(tmp)
  return path


def load_npz(path: str, what: str = 'saved beat agent'
             ) -> Dict[str, np.ndarray]:
  """Reads an .npz written by :func:`save_npz` (``path`` or ``path.npz``).

  Raises:
    FileNotFoundError: naming the path.
    file_errors.CorruptFileError: (a ValueError) naming the path if it is
      not a readable .npz.
  """
  if not os.path.exists(path) and os.path.exists(path + '.npz'):
    path += '.npz'
  if not os.path.exists(path):
    raise FileNotFoundError(f'no {what} at {path}')
  try:
    with np.load(path, allow_pickle=False) as data:
      return {name: data[name] for name in data.files}
  except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
    raise file_errors.CorruptFileError(
        path, f'not a {what} ({file_errors.describe(e)})') from e
