"""Where the built-in defaults live, and how user-given paths are resolved.

``bazel run`` starts binaries inside their runfiles tree; a relative path a
user types (``--output_dir=out``) must be resolved against the directory the
user ran Bazel from, which Bazel passes as ``BUILD_WORKING_DIRECTORY``.
"""

import os

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))

# The Note RNN checkpoint this project trained on real melodies and ships.
DEFAULT_NOTE_RNN_CHECKPOINT_DIR = os.path.join(_PACKAGE_DIR, 'note_rnn',
                                               'pretrained')
# The MIDI primer shipped with the project: the opening of a real folk tune.
DEFAULT_MIDI_PRIMER = os.path.join(_PACKAGE_DIR, 'data', 'primer.mid')


def resolve_user_path(path: str) -> str:
  """Makes a user-given path absolute, honouring ``bazel run``'s working dir.

  Args:
    path: a path from a flag; may be relative, may start with ``~``.

  Returns:
    An absolute path. Relative paths are joined to ``BUILD_WORKING_DIRECTORY``
    when set (under ``bazel run``), else to the current directory.
  """
  if not path:
    return path
  path = os.path.expanduser(path)
  if os.path.isabs(path):
    return path
  base = os.environ.get('BUILD_WORKING_DIRECTORY', os.getcwd())
  return os.path.normpath(os.path.join(base, path))
