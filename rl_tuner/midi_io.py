"""MIDI in and out for the RL Tuner: primers and generated compositions.

Uses note_seq (Magenta's own library): a MIDI file becomes a NoteSequence,
is quantized to sixteenth-note steps and its first monophonic melody becomes
the 38-class actions (pitches transposed by octaves into 48..83); a
composition becomes a note_seq ``Melody``, a NoteSequence at ``qpm`` and a
MIDI file written to a temporary name and renamed.
"""

import os
from typing import Optional, Sequence

import numpy as np

from rl_tuner import encoding


def _note_seq():
  import note_seq  # pylint: disable=g-import-not-at-top
  return note_seq


def load_primer_actions(path: str, max_steps: Optional[int] = 32) -> np.ndarray:
  """The melody of a MIDI file as actions, for priming.

  Args:
    path: a MIDI file.
    max_steps: keep at most this many steps (from the start); None keeps all.

  Returns:
    int32 ``[P]`` actions, P >= 1.

  Raises:
    FileNotFoundError: if ``path`` does not exist.
    ValueError: if the file is not readable MIDI or holds no melody.
  """
  if not os.path.isfile(path):
    raise FileNotFoundError(f'MIDI primer {path!r} does not exist')
  ns = _note_seq()
  try:
    sequence = ns.midi_file_to_note_sequence(path)
  except Exception as e:  # note_seq raises its own MIDIConversionError.
    raise ValueError(f'MIDI primer {path!r} is not a readable MIDI file: '
                     f'{e}') from e
  if not sequence.notes:
    raise ValueError(f'MIDI primer {path!r} holds no notes')
  quantized = ns.quantize_note_sequence(sequence, encoding.STEPS_PER_QUARTER)
  melody = ns.Melody()
  try:
    melody.from_quantized_sequence(quantized, ignore_polyphonic_notes=True,
                                   gap_bars=1e9)
  except Exception as e:  # e.g. a polyphonic or non-4/4 file.
    raise ValueError(f'MIDI primer {path!r}: no melody could be extracted: '
                     f'{e}') from e
  if not len(melody):  # pylint: disable=g-explicit-length-test
    raise ValueError(f'MIDI primer {path!r} holds no melody')
  melody.squash(encoding.MIN_PITCH, encoding.MAX_PITCH + 1,
                transpose_to_key=None)
  actions = encoding.melody_events_to_actions(list(melody))
  return actions[:max_steps] if max_steps else actions


def composition_to_sequence(actions: Sequence[int],
                            primer_actions: Optional[Sequence[int]] = None,
                            qpm: float = encoding.DEFAULT_QPM):
  """A NoteSequence of ``primer + composition`` at ``qpm``."""
  ns = _note_seq()
  events = list(primer_actions if primer_actions is not None else []) + list(
      actions)
  melody = ns.Melody(encoding.actions_to_melody_events(events),
                     steps_per_quarter=encoding.STEPS_PER_QUARTER)
  return melody.to_sequence(qpm=qpm)


def write_composition_midi(path: str, actions: Sequence[int],
                           primer_actions: Optional[Sequence[int]] = None,
                           qpm: float = encoding.DEFAULT_QPM) -> str:
  """Writes ``primer + composition`` as a MIDI file (atomically).

  Returns:
    ``path``.
  """
  ns = _note_seq()
  os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
  tmp = path + '.tmp.mid'
  ns.sequence_proto_to_midi_file(
      composition_to_sequence(actions, primer_actions, qpm), tmp)
  os.replace(tmp, path)
  return path
