"""The project's error for a file that exists but cannot be loaded. No TF.

Every loader (RL Tuner replay memory and run units, Note RNN configs and
checkpoints, CARL state) raises :class:`CorruptFileError` naming the file and
what is wrong with it, instead of whatever its parser happened to raise
(``BadZipFile``, ``EOFError``, ``IndexError``, ``KeyError``, TF's
``DataLossError``...; issue 12, item 9). It is a ``ValueError``, so callers
that caught ``ValueError`` before still do.
"""


class CorruptFileError(ValueError):
  """A file that exists but is unreadable, truncated or of the wrong kind.

  Attributes:
    path: the file (or checkpoint prefix).
    problem: what is wrong, in words.
  """

  def __init__(self, path: str, problem: str):
    self.path = path
    self.problem = problem
    super().__init__(f'{path}: {problem}')


def describe(error: BaseException) -> str:
  """A one-line description of a low-level error: its type and message."""
  text = str(error).strip().splitlines()
  return f'{type(error).__name__}: {text[0] if text else ""}'.rstrip(': ')
