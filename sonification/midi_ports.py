"""Opening mido MIDI ports by name, for MIDI out (sinks) and MIDI in.

No TF here.
"""

from typing import Type

# direction -> (mido opener name, mido port-listing function name).
_MIDO = {'input': ('open_input', 'get_input_names'),
         'output': ('open_output', 'get_output_names')}


def open_midi_port(name: str, direction: str,
                   error: Type[Exception] = RuntimeError, **kwargs):
  """Opens a mido port; 'virtual:NAME' makes a virtual port called NAME.

  Args:
    name: the port name as mido lists it, or 'virtual:NAME'.
    direction: 'input' or 'output'.
    error: the exception type to raise when the port cannot be opened.
    **kwargs: passed to mido (e.g. ``callback`` for an input).

  Returns:
    The open mido port.

  Raises:
    error: naming the port, the reason and the ports that exist (e.g. when
      there is no ALSA sequencer on this machine).
    ValueError: on an unknown direction.
  """
  if direction not in _MIDO:
    raise ValueError(f'direction must be one of {sorted(_MIDO)}, got '
                     f'{direction!r}')
  import mido  # pylint: disable=g-import-not-at-top
  opener, lister = (getattr(mido, f) for f in _MIDO[direction])
  virtual = name.startswith('virtual:')
  port_name = name[len('virtual:'):] if virtual else name
  try:
    return opener(port_name, virtual=virtual, **kwargs)
  except Exception as e:  # rtmidi raises several types; all mean "no port".
    try:
      available = lister()
    except Exception:  # pylint: disable=broad-except
      available = []
    raise error(
        f'cannot open MIDI {direction} {name!r} ({type(e).__name__}: {e}); '
        f'available {direction}s: {available}; virtual ports need an OS MIDI '
        'system (ALSA sequencer, CoreMIDI)') from e
