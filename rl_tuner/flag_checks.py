"""Checks of binaries' flags and output paths, run before any work starts.

Issue 12, item 11: output paths used to be checked only at the end (an hour
of training, then a failure), ``--output_dir=`` wrote into the working
directory, and bad flags ended in tracebacks or exit 0. Each binary checks its
flags with these helpers first, and :func:`run` turns a bad flag or a bad
input file into one line on stderr and exit status 2, with no traceback.
No TensorFlow here.
"""

import math
import os
import sys
import tempfile
from typing import Callable, Optional, Sequence, Tuple, Type

from absl import app

from rl_tuner import file_errors
from rl_tuner import paths

EXIT_BAD_INPUT = 2  # Exit status for a bad flag or input (as argparse's).
MAX_STEPS = 10**9  # Upper bound of step-count flags (--num_steps...).


class FlagError(app.UsageError):
  """A flag or the file it names is unusable; the message names the flag."""


def _fail(name: str, message: str) -> FlagError:
  return FlagError(f'--{name}: {message}')


def int_in_range(name: str, value: Optional[int], low: int,
                 high: int = MAX_STEPS) -> int:
  """``value`` if ``low <= value <= high``.

  Raises:
    FlagError: naming the flag, its value and the range.
  """
  if value is None or not low <= value <= high:
    raise _fail(name, f'must be an integer in [{low}, {high}], got {value!r}')
  return value


def float_in_range(name: str, value: Optional[float], low: float,
                   high: float) -> float:
  """``value`` if finite and ``low <= value <= high``.

  Raises:
    FlagError: naming the flag, its value and the range.
  """
  if value is None or not math.isfinite(value) or not low <= value <= high:
    raise _fail(name, f'must be a finite number in [{low:g}, {high:g}], got '
                f'{value!r}')
  return value


def _check_writable_dir(name: str, directory: str) -> None:
  try:
    os.makedirs(directory, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=directory, prefix='.write_test_'):
      pass
  except OSError as e:
    raise _fail(name, f'cannot write into {directory!r}: '
                f'{e.strerror or e}') from None


def output_dir(name: str, value: Optional[str]) -> str:
  """A writable output directory (created if missing), as an absolute path.

  Relative paths are the user's (paths.resolve_user_path).

  Raises:
    FlagError: if the value is empty, names a file, or cannot be written.
  """
  if not value or not value.strip():
    raise _fail(name, 'is empty; give a directory to write into')
  path = os.path.abspath(paths.resolve_user_path(value))
  if os.path.exists(path) and not os.path.isdir(path):
    raise _fail(name, f'{path!r} is a file, not a directory')
  _check_writable_dir(name, path)
  return path


def output_file(name: str, value: Optional[str],
                suffixes: Sequence[str] = ()) -> str:
  """A path a file can be written to (its directory created if missing).

  Args:
    name: the flag's name.
    value: the path.
    suffixes: accepted endings (e.g. ('.mid',)); empty accepts any.

  Raises:
    FlagError: if empty, a directory, of the wrong kind, or not writable.
  """
  if not value or not value.strip():
    raise _fail(name, 'is empty; give a file to write')
  path = os.path.abspath(paths.resolve_user_path(value))
  if os.path.isdir(path):
    raise _fail(name, f'{path!r} is a directory, not a file')
  if suffixes and not path.lower().endswith(tuple(suffixes)):
    raise _fail(name, f'{path!r} must end with {" or ".join(suffixes)}')
  _check_writable_dir(name, os.path.dirname(path))
  return path


def input_path(name: str, value: Optional[str], kind: str = 'file') -> str:
  """An existing input file or directory, as an absolute path.

  Args:
    name: the flag's name.
    value: the path.
    kind: 'file' or 'dir'.

  Raises:
    FlagError: if empty, missing or of the other kind.
  """
  if not value or not value.strip():
    what = 'directory' if kind == 'dir' else 'file'
    raise _fail(name, f'is empty; give a {what}')
  path = os.path.abspath(paths.resolve_user_path(value))
  if not os.path.exists(path):
    raise _fail(name, f'{path!r} does not exist')
  if kind == 'dir' and not os.path.isdir(path):
    raise _fail(name, f'{path!r} is not a directory')
  if kind == 'file' and not os.path.isfile(path):
    raise _fail(name, f'{path!r} is not a file')
  return path


def exclusive(*flags: Tuple[str, bool]) -> None:
  """At most one of the given boolean flags is set.

  Raises:
    FlagError: naming the flags set together.
  """
  given = [name for name, value in flags if value]
  if len(given) > 1:
    raise FlagError(' and '.join(f'--{n}' for n in given) +
                    ' cannot be given together')


def run(main: Callable[[Sequence[str]], object],
        errors: Tuple[Type[BaseException], ...] = ()) -> None:
  """``absl.app.run(main)``; a bad flag or input is one line and exit 2.

  Args:
    main: the binary's main(argv).
    errors: more exception types that mean bad input (besides
      app.UsageError, FlagError and file_errors.CorruptFileError).
  """
  expected = (app.UsageError, file_errors.CorruptFileError) + tuple(errors)

  def wrapped(argv):
    try:
      return main(argv)
    except expected as e:
      program = os.path.basename(sys.argv[0]) if sys.argv else 'error'
      sys.stderr.write(f'{program}: error: {e}\n')
      sys.stderr.flush()
      sys.exit(EXIT_BAD_INPUT)

  app.run(wrapped)
