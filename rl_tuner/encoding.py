"""The 38-class melody encoding of the RL Tuner and its key configuration.

Classes (Jaques et al., "Tuning Recurrent Neural Networks with Reinforcement
Learning", ICLR 2017 workshop; see ../shared/SPEC.md section 1):

  * 0  = NOTE_OFF (a rest: the sounding note stops),
  * 1  = NO_EVENT (hold: the sounding note, or the rest, continues),
  * 2..37 = MIDI pitches 48..83 (action ``a`` is pitch ``a + 46``).

note_seq's ``Melody`` uses -1 for NOTE_OFF and -2 for NO_EVENT; the helpers
below convert in both directions. The public Magenta code decodes ``a`` to
``a + 48`` (a whole tone high) and swaps the two special events; this project
uses the correct mapping everywhere. Steps are sixteenth notes (4 steps per
quarter), compositions are 32 steps, and the default tempo is 80 qpm.

This module imports only numpy: parsers, rewards and MIDI I/O use it without
TensorFlow.
"""

import dataclasses
from typing import FrozenSet, Sequence

import numpy as np

NUM_CLASSES = 38
NOTE_OFF = 0
NO_EVENT = 1
NUM_SPECIAL_EVENTS = 2
MIN_PITCH = 48  # MIDI pitch of action 2 (C3).
MAX_PITCH = 83  # MIDI pitch of action 37 (B5).
PITCH_OFFSET = MIN_PITCH - NUM_SPECIAL_EVENTS  # pitch = action + 46.

# note_seq.Melody event values for the two special events.
MELODY_NOTE_OFF = -1
MELODY_NO_EVENT = -2

STEPS_PER_QUARTER = 4  # Sixteenth-note steps.
STEPS_PER_BAR = 16  # 4/4 time.
COMPOSITION_LENGTH = 32  # Steps (two bars), as in the paper.
DEFAULT_QPM = 80.0

_MAJOR_SCALE = (0, 2, 4, 5, 7, 9, 11)
_MINOR_SCALE = (0, 2, 3, 5, 7, 8, 10)  # Natural minor.
_SCALES = {'major': _MAJOR_SCALE, 'minor': _MINOR_SCALE}
_PITCH_CLASS_NAMES = ('C', 'C#', 'D', 'Eb', 'E', 'F', 'F#', 'G', 'Ab', 'A',
                      'Bb', 'B')


def is_pitch(action):
  """Whether ``action`` (int or int array) is a pitch rather than a special event."""
  return np.asarray(action) >= NUM_SPECIAL_EVENTS


def action_to_pitch(action):
  """Maps a pitch action (2..37) to its MIDI pitch (48..83).

  Args:
    action: int or int array of pitch actions.

  Returns:
    The MIDI pitch(es), same shape as ``action``.

  Raises:
    ValueError: if any action is a special event or out of range.
  """
  a = np.asarray(action)
  if np.any((a < NUM_SPECIAL_EVENTS) | (a >= NUM_CLASSES)):
    raise ValueError(
        f'action_to_pitch: actions must be in [{NUM_SPECIAL_EVENTS}, '
        f'{NUM_CLASSES - 1}], got {action!r}')
  pitch = a + PITCH_OFFSET
  return int(pitch) if pitch.ndim == 0 else pitch


def pitch_to_action(pitch):
  """Maps a MIDI pitch (48..83) to its action (2..37).

  Raises:
    ValueError: if the pitch is outside [48, 83].
  """
  p = np.asarray(pitch)
  if np.any((p < MIN_PITCH) | (p > MAX_PITCH)):
    raise ValueError(
        f'pitch_to_action: MIDI pitch must be in [{MIN_PITCH}, {MAX_PITCH}], '
        f'got {pitch!r}')
  action = p - PITCH_OFFSET
  return int(action) if action.ndim == 0 else action


def melody_events_to_actions(events: Sequence[int]) -> np.ndarray:
  """Converts note_seq ``Melody`` events (-1, -2, MIDI pitch) to actions.

  Args:
    events: note_seq melody events: -1 NOTE_OFF, -2 NO_EVENT, else MIDI pitch
      in [48, 83].

  Returns:
    int32 array ``[len(events)]`` of actions in [0, 37].

  Raises:
    ValueError: if a pitch is outside [48, 83] (squash the melody first) or an
      event is not a valid note_seq melody event.
  """
  ev = np.asarray(list(events), dtype=np.int64)
  out = np.empty(ev.shape, dtype=np.int32)
  off = ev == MELODY_NOTE_OFF
  hold = ev == MELODY_NO_EVENT
  pitch = ~(off | hold)
  bad = pitch & ((ev < MIN_PITCH) | (ev > MAX_PITCH))
  if np.any(bad):
    raise ValueError(
        f'melody event(s) {sorted(set(ev[bad].tolist()))} outside MIDI pitch '
        f'range [{MIN_PITCH}, {MAX_PITCH}]; transpose or squash the melody')
  out[off] = NOTE_OFF
  out[hold] = NO_EVENT
  out[pitch] = ev[pitch] - PITCH_OFFSET
  return out


def actions_to_melody_events(actions: Sequence[int]) -> list:
  """Inverse of :func:`melody_events_to_actions`.

  Raises:
    ValueError: if an action is outside [0, 37].
  """
  a = np.asarray(list(actions), dtype=np.int64)
  if np.any((a < 0) | (a >= NUM_CLASSES)):
    raise ValueError(f'actions must be in [0, {NUM_CLASSES - 1}], got {a.tolist()}')
  events = np.where(a == NOTE_OFF, MELODY_NOTE_OFF,
                    np.where(a == NO_EVENT, MELODY_NO_EVENT, a + PITCH_OFFSET))
  return [int(e) for e in events]


def one_hot(actions, num_classes: int = NUM_CLASSES) -> np.ndarray:
  """One-hot encodes int actions: ``[...]`` -> float32 ``[..., 38]``."""
  a = np.asarray(actions, dtype=np.int64)
  return np.eye(num_classes, dtype=np.float32)[a]


@dataclasses.dataclass(frozen=True)
class KeyConfig:
  """The key the music-theory rewards judge against.

  Attributes:
    tonic_pitch: MIDI pitch of the tonic the tonic reward asks for (default 60,
      middle C, action 14, as in the paper). Its pitch class names the key.
    mode: 'major' or 'minor' (natural minor).
  """
  tonic_pitch: int = 60
  mode: str = 'major'

  def __post_init__(self):
    if self.mode not in _SCALES:
      raise ValueError(f'KeyConfig.mode must be one of {sorted(_SCALES)}, '
                       f'got {self.mode!r}')
    if not MIN_PITCH <= self.tonic_pitch <= MAX_PITCH:
      raise ValueError(f'KeyConfig.tonic_pitch must be a MIDI pitch in '
                       f'[{MIN_PITCH}, {MAX_PITCH}], got {self.tonic_pitch}')

  @property
  def name(self) -> str:
    """Human-readable key name, e.g. 'C major'."""
    return f'{_PITCH_CLASS_NAMES[self.tonic_pitch % 12]} {self.mode}'

  @property
  def tonic_action(self) -> int:
    """The tonic as an action (14 for C major with tonic 60)."""
    return pitch_to_action(self.tonic_pitch)

  @property
  def scale_pitch_classes(self) -> FrozenSet[int]:
    """Pitch classes (0 = C) of the scale."""
    root = self.tonic_pitch % 12
    return frozenset((root + s) % 12 for s in _SCALES[self.mode])

  @property
  def in_key_actions(self) -> FrozenSet[int]:
    """Actions in key; the two special events count as in key."""
    pcs = self.scale_pitch_classes
    return frozenset([NOTE_OFF, NO_EVENT] + [
        a for a in range(NUM_SPECIAL_EVENTS, NUM_CLASSES)
        if (a + PITCH_OFFSET) % 12 in pcs])

  @property
  def in_key_mask(self) -> np.ndarray:
    """bool ``[38]``: True where the action is in key."""
    mask = np.zeros(NUM_CLASSES, dtype=bool)
    mask[sorted(self.in_key_actions)] = True
    return mask


C_MAJOR = KeyConfig()
