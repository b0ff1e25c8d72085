"""The studio's files: programs and agents by name, sessions as JSON.

Layout under the studio directory (``--studio_dir``)::

  programs/NAME.gos        program text
  agents/NAME.npz          beat agents (model + replay memory), as
                           drums.session.DrumSession.save writes them

A session file is JSON (format :data:`SESSION_FORMAT`)::

  {"format": "rl-tuner-studio-session/1",
   "program": "source kick*2; learn snare*2;",
   "settings": {"bpm": 120.0, "hparams": {"structure": [32, 16, 8], ...},
                "modes": {"snare": "learn"},
                "carl": {"reward_scale": 1.0, "optimise_every": 1,
                         "noise": 0.1} | null},
   "agents_npz_base64": "..." | null}

Every file is written to a temporary name and renamed (atomic).
"""

import base64
import json
import os
import re
import tempfile
from typing import List, Optional

from drums import beat_agent_hparams

SESSION_FORMAT = 'rl-tuner-studio-session/1'
NAME_PATTERN = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$')
# Meta-parameters the page's form sets (BeatAgentHParams fields).
FORM_FIELDS = ('structure', 'source_history', 'action_memory', 'replay_size',
               'learning_rate', 'discount', 'epsilon')


class SessionError(ValueError):
  """A session file or a name that is not acceptable."""


def check_name(name: str) -> str:
  """Returns name if it is a safe file stem.

  Raises:
    SessionError: unless 1-64 letters, digits, '_', '.', '-', starting with
      a letter or digit.
  """
  if not isinstance(name, str) or not NAME_PATTERN.match(name):
    raise SessionError(f'name must be 1-64 letters, digits, _ . - (starting '
                       f'with a letter or digit), got {name!r}')
  return name


def write_atomic(path: str, data: bytes) -> str:
  """Writes bytes to path through a temporary file and a rename."""
  directory = os.path.dirname(os.path.abspath(path))
  os.makedirs(directory, exist_ok=True)
  fd, tmp = tempfile.mkstemp(dir=directory, prefix='.tmp-')
  try:
    with os.fdopen(fd, 'wb') as f:
      f.write(data)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)
  except BaseException:
    if os.path.exists(tmp):
      os.remove(tmp)
    raise
  return path


class Store:
  """Named programs and agents under one directory.

  Args:
    root: the studio directory (created on first save).
  """

  def __init__(self, root: str):
    self.root = root

  def program_path(self, name: str) -> str:
    return os.path.join(self.root, 'programs', check_name(name) + '.gos')

  def agent_path(self, name: str) -> str:
    return os.path.join(self.root, 'agents', check_name(name) + '.npz')

  def save_program(self, name: str, text: str) -> str:
    return write_atomic(self.program_path(name), text.encode('utf-8'))

  def load_program(self, name: str) -> str:
    """The program's text.

    Raises:
      SessionError: no program of that name.
    """
    path = self.program_path(name)
    if not os.path.exists(path):
      raise SessionError(f'no saved program {name!r} in {self.root}')
    with open(path, encoding='utf-8') as f:
      return f.read()

  def names(self, kind: str) -> List[str]:
    """Saved names of 'programs' or 'agents', sorted."""
    suffix = {'programs': '.gos', 'agents': '.npz'}[kind]
    directory = os.path.join(self.root, kind)
    if not os.path.isdir(directory):
      return []
    return sorted(f[:-len(suffix)] for f in os.listdir(directory)
                  if f.endswith(suffix) and not f.startswith('.'))


def hparams_to_json(hparams: beat_agent_hparams.BeatAgentHParams) -> dict:
  """The meta-parameters as a JSON-able dict (structure as a list)."""
  values = hparams.to_dict()
  values['structure'] = list(values['structure'])
  return values


def hparams_overrides(values: dict) -> str:
  """A dict of BeatAgentHParams fields as "a=1,b=2" (structure 32/16/8).

  Raises:
    SessionError: if values is not a dict.
  """
  if not isinstance(values, dict):
    raise SessionError(f'hparams must be an object, got {values!r}')
  parts = []
  for name, value in values.items():
    if name == 'structure':
      value = '/'.join(str(int(n)) for n in value)
    parts.append(f'{name}={value}')
  return ','.join(parts)


def write_session(path: str, program: str, settings: dict,
                  agents_path: Optional[str]) -> str:
  """Writes a session JSON (agents from an .npz, or none)."""
  agents = None
  if agents_path:
    with open(agents_path, 'rb') as f:
      agents = base64.b64encode(f.read()).decode('ascii')
  data = dict(format=SESSION_FORMAT, program=program, settings=settings,
              agents_npz_base64=agents)
  return write_atomic(path, json.dumps(data, indent=1).encode('utf-8'))


def check_session(data) -> dict:
  """Validates a decoded session object; returns it.

  Raises:
    SessionError: naming the missing or malformed field.
  """
  if not isinstance(data, dict) or data.get('format') != SESSION_FORMAT:
    raise SessionError(f'not a studio session (format must be '
                       f'{SESSION_FORMAT!r})')
  if not isinstance(data.get('program'), str):
    raise SessionError('session: "program" must be a string')
  settings = data.get('settings')
  if not isinstance(settings, dict) or not isinstance(
      settings.get('hparams'), dict):
    raise SessionError('session: "settings" must hold an "hparams" object')
  try:
    beat_agent_hparams.parse_hparams(hparams_overrides(settings['hparams']))
  except ValueError as e:
    raise SessionError(f'session: settings.hparams: {e}') from None
  if not isinstance(settings.get('modes', {}), dict):
    raise SessionError('session: settings.modes must be an object')
  agents = data.get('agents_npz_base64')
  if agents is not None:
    try:
      base64.b64decode(agents, validate=True)
    except (TypeError, ValueError):
      raise SessionError('session: agents_npz_base64 is not base64') from None
  return data


def read_session(path: str) -> dict:
  """Reads and validates a session file.

  Raises:
    SessionError: unreadable, not JSON or malformed (names the problem).
  """
  try:
    with open(path, encoding='utf-8') as f:
      data = json.load(f)
  except (OSError, ValueError) as e:
    raise SessionError(f'{path}: {e}') from None
  return check_session(data)


def extract_agents(data: dict, directory: str) -> Optional[str]:
  """Writes the session's agents .npz into directory; its path or None."""
  if not data.get('agents_npz_base64'):
    return None
  path = os.path.join(directory, 'agents.npz')
  return write_atomic(path, base64.b64decode(data['agents_npz_base64']))
