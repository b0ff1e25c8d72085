"""CARL's voice: a continuous synth driven by CARL's actor outputs in [0, 1].

CARL's actor (sonification/carl) outputs N numbers in [0, 1]. A mapping, a
tuple of N parameter names from :data:`PARAMETERS`, says which synthesis
parameter each output drives (output i -> ``mapping[i]``); parameters no
output drives sit at their defaults. The default mapping for CARL's default 4
outputs is pitch, cutoff, resonance, drive; re-map with e.g.
``--carl_voice=cutoff,resonance,mod_depth,amplitude``.

The voice: a saw plus a square a quarter period apart -> the resonant
state-variable low-pass -> tanh drive -> amplitude, with a sine LFO for
vibrato and filter motion. Every parameter is smoothed per sample (20 ms),
so the voice moves continuously while the player moves the input.
"""

import dataclasses
import math
from typing import Dict, Optional, Sequence, Tuple

import numpy as np

from sonification.audio import dsp_kernels
from sonification.audio import voices


@dataclasses.dataclass(frozen=True)
class Parameter:
  """One synthesis parameter: ``value = low + (high - low) * x`` (linear)
  or ``low * (high / low) ** x`` (log), for an actor output x in [0, 1].

  Attributes:
    name: the parameter's name in mappings.
    low, high: the values at x = 0 and x = 1, in ``unit``.
    scale: 'linear' or 'log'.
    unit: what the values are.
    default: x used when no output drives the parameter.
  """
  name: str
  low: float
  high: float
  scale: str
  unit: str
  default: float

  def value(self, x: float) -> float:
    x = min(1.0, max(0.0, float(x)))
    if self.scale == 'log':
      return self.low * (self.high / self.low) ** x
    return self.low + (self.high - self.low) * x


# The table, in the order of the kernel's targets (dsp_kernels.render_carl).
PARAMETERS: Tuple[Parameter, ...] = (
    Parameter('pitch', 36.0, 84.0, 'linear', 'MIDI pitch', 0.5),
    Parameter('cutoff', 80.0, 8000.0, 'log', 'Hz', 0.5),
    Parameter('resonance', 0.0, 95.0, 'linear', 'res 0-100', 0.2),
    Parameter('drive', 1.0, 10.0, 'linear', 'dist drive', 0.0),
    Parameter('mod_depth', 0.0, 2.0, 'linear',
              'semitones of vibrato (cutoff: half as many octaves)', 0.0),
    Parameter('mod_rate', 0.2, 12.0, 'log', 'Hz', 0.5),
    Parameter('amplitude', 0.0, 0.5, 'linear', 'linear gain', 0.8),
)
NAMES = tuple(p.name for p in PARAMETERS)
DEFAULT_MAPPING = ('pitch', 'cutoff', 'resonance', 'drive', 'mod_depth',
                   'mod_rate', 'amplitude')
SMOOTH_S = 0.02  # Parameter smoothing time constant (s).


def default_mapping(n: int) -> Tuple[str, ...]:
  """The first ``n`` names of DEFAULT_MAPPING (n = 1..7).

  Raises:
    ValueError: if n is outside 1..7.
  """
  if not 1 <= n <= len(DEFAULT_MAPPING):
    raise ValueError(f'CARL voice has {len(DEFAULT_MAPPING)} parameters; '
                     f'cannot map {n} outputs')
  return DEFAULT_MAPPING[:n]


def parse_mapping(text: str) -> Tuple[str, ...]:
  """``'pitch,cutoff'`` -> ('pitch', 'cutoff'), checked (see CarlVoice)."""
  mapping = tuple(name.strip() for name in text.split(',') if name.strip())
  check_mapping(mapping)
  return mapping


def check_mapping(mapping: Sequence[str]) -> None:
  """Raises ValueError on an unknown or repeated parameter name."""
  for name in mapping:
    if name not in NAMES:
      raise ValueError(f'unknown CARL voice parameter {name!r}; expected '
                       f'one of {", ".join(NAMES)}')
  if len(set(mapping)) != len(mapping):
    raise ValueError(f'CARL voice mapping repeats a parameter: {mapping}')


class CarlVoice:
  """A continuous voice whose parameters are CARL's actor outputs.

  Args:
    sample_rate: Hz.
    mapping: parameter name per actor output (see module docstring); the
      default is ``default_mapping(4)``.

  Raises:
    ValueError: on a bad mapping.
  """

  def __init__(self, sample_rate: int = 44100,
               mapping: Optional[Sequence[str]] = None):
    self.sample_rate = int(sample_rate)
    self.mapping = tuple(mapping) if mapping is not None else (
        default_mapping(4))
    check_mapping(self.mapping)
    self.state = np.zeros(dsp_kernels.CARL_STATE_SIZE)
    self.values = {p.name: p.default for p in PARAMETERS}
    self.targets = np.zeros(dsp_kernels.CARL_N_TARGETS)
    self._smooth = voices.one_pole(SMOOTH_S, self.sample_rate)
    self._pending = []  # (offset, values)
    self._update_targets()

  def _update_targets(self) -> None:
    v = {p.name: p.value(self.values[p.name]) for p in PARAMETERS}
    self.targets[:] = (
        v['pitch'], math.log2(v['cutoff']), voices.damping(v['resonance']),
        v['drive'] - 1.0, v['mod_depth'], v['mod_rate'], v['amplitude'])

  def set_values(self, values: Sequence[float], offset: int = 0) -> None:
    """Queues actor outputs ``[N]`` in [0, 1] to apply ``offset`` samples
    into the next block.

    Raises:
      ValueError: if N differs from the mapping's length.
    """
    values = [float(v) for v in values]
    if len(values) != len(self.mapping):
      raise ValueError(f'CARL voice maps {len(self.mapping)} outputs '
                       f'({", ".join(self.mapping)}); got {len(values)}')
    self._pending.append((int(offset), values))

  def trigger(self, offset: int, velocity: float = 1.0, **unused) -> None:
    del offset, velocity, unused  # Continuous: no notes.

  def set_params(self, params: Dict[str, float]) -> None:
    """Sets parameters by name to an x in [0, 1] (at the next block)."""
    for name, x in params.items():
      check_mapping((name,))
      self.values[name] = min(1.0, max(0.0, float(x)))
    self._update_targets()

  def render(self, out: np.ndarray) -> None:
    """Writes this block ``out [frames]``, changing targets at offsets."""
    n = out.shape[0]
    position = 0
    for offset, values in sorted(self._pending, key=lambda p: p[0]):
      offset = min(max(offset, 0), n)
      self._run(out, position, offset)
      position = offset
      for name, x in zip(self.mapping, values):
        self.values[name] = min(1.0, max(0.0, x))
      self._update_targets()
    self._pending = []
    self._run(out, position, n)

  def _run(self, out, start, stop):
    if stop > start:
      dsp_kernels.render_carl(out, start, stop, self.state, self.targets,
                              float(self.sample_rate), self._smooth)
