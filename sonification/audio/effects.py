"""Per-statement effect chains: dist, amp, lpf, hpf, applied in written order.

A program statement such as ``kick (dist:3, lpf:400);`` owns one
:class:`EffectChain`; two statements with the same effects own two
independent chains (each its own filter state). A chain processes mono
blocks ``[frames]`` float32 and carries its state from block to block, so a
stream cut into blocks of any size sounds the same as one long block.

Effects (../../shared/SPEC.md section 5; units as in the language):
  * ``dist`` (drive >= 1): a tanh waveshaper ``y = tanh(k x) / tanh(k)``
    with ``k = drive - 1``; drive 1 is the identity (the limit k -> 0) and a
    full-scale input keeps its peak, so drive adds harmonics, not level.
  * ``amp`` (linear gain, 1 = 100%, 0.5 = -6.02 dB).
  * ``lpf`` / ``hpf`` (cutoff in Hz, 20-20000): Butterworth low/high pass of
    order FILTER_ORDER (24 dB per octave) from ``scipy.signal.butter`` as
    second-order sections, run with the state ``zi`` carried across blocks
    by dsp_kernels.sosfilt (scipy.signal.sosfilt's recursion without its
    per-call overhead; tested equal to it). The cutoff is clipped below
    Nyquist.

Building a chain designs its filters (about 0.1 ms each): do it off the audio
thread and swap the chain in at a block boundary (see engine.Engine).
"""

import math
from typing import List, Optional, Sequence, Tuple

import numpy as np
from scipy import signal

from sonification.audio import dsp_kernels

EFFECT_NAMES = ('dist', 'amp', 'lpf', 'hpf')
FILTER_ORDER = 4  # Butterworth order of lpf/hpf: 4 -> 24 dB/octave.
_RANGES = {'dist': (1.0, None), 'amp': (0.0, None), 'lpf': (20.0, 20000.0),
           'hpf': (20.0, 20000.0)}


class Effect:
  """One effect of a chain; ``process`` maps a mono block to a mono block."""

  name = ''

  def process(self, x: np.ndarray) -> np.ndarray:
    raise NotImplementedError

  def reset(self) -> None:
    """Forgets the state (filters ring out from silence)."""


class Dist(Effect):
  """Waveshaping distortion, ``tanh((drive - 1) x) / tanh(drive - 1)``."""

  name = 'dist'

  def __init__(self, drive: float):
    self.drive = float(drive)
    self._k = self.drive - 1.0
    self._norm = 1.0 / math.tanh(self._k) if self._k > 0 else 1.0

  def process(self, x):
    if self._k <= 0:
      return x
    return (np.tanh(self._k * x) * self._norm).astype(np.float32, copy=False)


class Amp(Effect):
  """Linear gain (1 = 100%)."""

  name = 'amp'

  def __init__(self, gain: float):
    self.gain = np.float32(gain)

  def process(self, x):
    return x * self.gain


class Filter(Effect):
  """Butterworth low or high pass with state carried across blocks.

  Args:
    kind: 'lpf' or 'hpf'.
    cutoff_hz: -3 dB frequency in Hz; clipped to [20, 0.45 * sample_rate].
    sample_rate: Hz.
    order: Butterworth order (even: order / 2 second-order sections).
  """

  def __init__(self, kind: str, cutoff_hz: float, sample_rate: int,
               order: int = FILTER_ORDER):
    self.name = kind
    self.cutoff_hz = float(cutoff_hz)
    nyquist_safe = 0.45 * sample_rate
    fc = min(max(self.cutoff_hz, 20.0), nyquist_safe)
    btype = 'lowpass' if kind == 'lpf' else 'highpass'
    self.sos = signal.butter(order, fc, btype=btype, fs=sample_rate,
                             output='sos')
    self.zi = np.zeros((self.sos.shape[0], 2))

  def process(self, x):
    y = np.empty_like(x)
    dsp_kernels.sosfilt(self.sos, x, self.zi, y)
    return y

  def reset(self):
    self.zi = np.zeros_like(self.zi)


def check_effects(effects: Sequence[Tuple[str, float]]) -> None:
  """Raises ValueError naming the first unknown or out-of-range effect."""
  for name, value in effects:
    if name not in _RANGES:
      raise ValueError(f'unknown effect {name!r}; expected one of '
                       f'{", ".join(EFFECT_NAMES)}')
    low, high = _RANGES[name]
    if float(value) < low or (high is not None and float(value) > high):
      raise ValueError(f'effect {name}:{float(value):g} out of range '
                       f'[{low:g}, {high if high is not None else "inf"}]')


def make_effect(name: str, value: float, sample_rate: int) -> Effect:
  """One effect from its language name and value (see module docstring)."""
  check_effects(((name, value),))
  if name == 'dist':
    return Dist(value)
  if name == 'amp':
    return Amp(value)
  return Filter(name, value, sample_rate)


class EffectChain:
  """Effects applied in order to mono blocks ``[frames]`` float32.

  Args:
    effects: ``(name, value)`` pairs in the written order, e.g.
      ``(('dist', 3), ('lpf', 400))``.
    sample_rate: Hz.

  Raises:
    ValueError: on an unknown effect or a value out of range.
  """

  def __init__(self, effects: Sequence[Tuple[str, float]] = (),
               sample_rate: int = 44100):
    self.spec = tuple((str(n), float(v)) for n, v in effects)
    self.sample_rate = int(sample_rate)
    self.effects: List[Effect] = [make_effect(n, v, self.sample_rate)
                                  for n, v in self.spec]

  def process(self, x: np.ndarray) -> np.ndarray:
    """Runs ``x [frames]`` through every effect; returns ``[frames]``."""
    for effect in self.effects:
      x = effect.process(x)
    return x

  def adopt_state(self, old: Optional['EffectChain']) -> None:
    """Takes over the filter state of ``old`` where the effect kinds match
    position by position (a live re-run that changes ``lpf:400`` to
    ``lpf:800`` glides instead of restarting the filter from silence)."""
    if old is None:
      return
    for new, previous in zip(self.effects, old.effects):
      if new.name != previous.name:
        break
      if isinstance(new, Filter) and isinstance(previous, Filter):
        new.zi = previous.zi.copy()

  def reset(self) -> None:
    for effect in self.effects:
      effect.reset()
