"""The engine's voices: drum samplers and the 303-style subtractive synth.

A voice renders mono float32 blocks into a buffer the track owns and reacts
to events at sample offsets inside the block. Parameter units are the
language's (../../shared/SPEC.md section 5):

  * ``cut`` 0-100 -> cutoff ``CUT_LOW_HZ * (CUT_HIGH_HZ / CUT_LOW_HZ) **
    (cut / 100)``: a log scale, 40 Hz at 0, 800 Hz at 50, 16 kHz at 100.
  * ``res`` 0-100 -> SVF damping ``0.707 * 0.02 ** (res / 100)``: a flat
    (Butterworth) response at 0, a peak of about +27 dB (Q = 1 / (2 R) = 35)
    at 100, close to self-oscillation.
  * ``env`` 0-100 -> filter envelope: the cutoff starts ``5 * env / 100``
    octaves higher at each note and falls back with a decay time of
    ``0.05 + 0.45 * env / 100`` seconds.
  * notes are MIDI pitches (0-127; the tutorial's 20-60 included).

Cutoff and resonance are smoothed per sample (10 ms one-pole), so a mouse
moving them makes no zipper noise.
"""

import math
from typing import Dict, Optional

import numpy as np

from sonification.audio import dsp_kernels
from sonification.audio import drum_samples

CUT_LOW_HZ, CUT_HIGH_HZ = 40.0, 16000.0
DRUM_LEVEL = 0.5  # Peak of a drum hit at amp 1: -6 dBFS of headroom.
SYNTH_LEVEL = 0.35  # Synth amplitude at velocity 1 before the tanh.
SMOOTH_S = 0.01  # Parameter smoothing time constant (s).
ATTACK_S, RELEASE_S = 0.002, 0.03  # Synth amplitude envelope (s).
WAVES = {'saw': 0, 'square': 1}
SYNTH_PARAMS = ('cut', 'res', 'env')


def cutoff_hz(cut: float) -> float:
  """Cutoff in Hz of ``cut`` 0-100 (log scale, see module docstring)."""
  return CUT_LOW_HZ * (CUT_HIGH_HZ / CUT_LOW_HZ) ** (float(cut) / 100.0)


def damping(res: float) -> float:
  """SVF damping R of ``res`` 0-100 (0.707 .. 0.0141; Q = 1 / (2 R))."""
  return 0.707 * 0.02 ** (float(res) / 100.0)


def envelope(env: float, sample_rate: int):
  """(depth in octaves, per-sample decay factor) of ``env`` 0-100."""
  env = float(env) / 100.0
  decay_s = 0.05 + 0.45 * env
  return 5.0 * env, math.exp(-1.0 / (decay_s * sample_rate))


def one_pole(time_s: float, sample_rate: int) -> float:
  """Coefficient a of ``y += a (x - y)`` with time constant ``time_s``."""
  return 1.0 - math.exp(-1.0 / (time_s * sample_rate))


def midi_to_hz(pitch: float) -> float:
  return 440.0 * 2.0 ** ((float(pitch) - 69.0) / 12.0)


def _check_0_100(name: str, value: float) -> float:
  value = float(value)
  if not 0.0 <= value <= 100.0:
    raise ValueError(f'synth parameter {name}={value} out of range [0, 100]')
  return value


class DrumVoice:
  """Plays one of the four drum samples; overlapping hits add up.

  Args:
    instrument: 'kick', 'snare', 'closedhat' or 'openhat'.
    sample_rate: Hz.

  Raises:
    ValueError: on an unknown instrument.
  """

  def __init__(self, instrument: str, sample_rate: int = 44100):
    samples = drum_samples.sample_set(sample_rate)
    if instrument not in samples:
      raise ValueError(f'unknown drum instrument {instrument!r}; expected '
                       f'one of {", ".join(drum_samples.INSTRUMENTS)}')
    self.instrument = instrument
    self.sample = samples[instrument]
    self._playing = []  # [position in sample, gain]

  def trigger(self, offset: int, velocity: float = 1.0, **unused) -> None:
    """Starts a hit ``offset`` samples into the next rendered block."""
    del unused
    self._playing.append([-int(offset), DRUM_LEVEL * float(velocity)])

  def set_params(self, params: Dict[str, float]) -> None:
    del params  # Drum samples have no parameters; effects shape them.

  def render(self, out: np.ndarray) -> None:
    """Adds this block's hits into ``out [frames]`` (zeroed by the track)."""
    n = out.shape[0]
    size = self.sample.shape[0]
    still = []
    for hit in self._playing:
      position, gain = hit
      start = max(0, -position)
      first = max(0, position)
      count = min(n - start, size - first)
      if count > 0:
        out[start:start + count] += gain * self.sample[first:first + count]
      hit[0] = position + n
      if hit[0] < size:
        still.append(hit)
    self._playing = still


class SubtractiveVoice:
  """A monophonic 303-style synth: saw/square -> resonant low-pass -> amp.

  Args:
    sample_rate: Hz.
    wave: 'saw' or 'square'.
    cut, res, env: 0-100 (see module docstring).

  Raises:
    ValueError: on an unknown wave or a parameter out of range.
  """

  def __init__(self, sample_rate: int = 44100, wave: str = 'saw',
               cut: float = 100.0, res: float = 0.0, env: float = 0.0):
    if wave not in WAVES:
      raise ValueError(f'unknown wave {wave!r}; expected saw or square')
    self.sample_rate = int(sample_rate)
    self.wave = WAVES[wave]
    self.state = np.zeros(dsp_kernels.SYNTH_STATE_SIZE)
    self.freq_hz = midi_to_hz(48)
    self.velocity = 0.0
    self._smooth = one_pole(SMOOTH_S, self.sample_rate)
    self._attack = one_pole(ATTACK_S, self.sample_rate)
    self._release = 1.0 - one_pole(RELEASE_S, self.sample_rate)
    self._pending = []  # (offset, pitch, duration, velocity)
    self.set_params({'cut': cut, 'res': res, 'env': env})

  def set_params(self, params: Dict[str, float]) -> None:
    """Sets any of cut/res/env (0-100); takes effect smoothly."""
    for name, value in params.items():
      if name not in SYNTH_PARAMS:
        raise ValueError(f'unknown synth parameter {name!r}; expected one of '
                         f'{", ".join(SYNTH_PARAMS)}')
      value = _check_0_100(name, value)
      if name == 'cut':
        self.cut_log2 = math.log2(cutoff_hz(value))
      elif name == 'res':
        self.damping = damping(value)
      else:
        self.env_octaves, self.env_coef = envelope(value, self.sample_rate)

  def trigger(self, offset: int, velocity: float = 1.0,
              pitch: Optional[float] = None, duration: int = 0) -> None:
    """A note: MIDI ``pitch`` for ``duration`` samples from ``offset``."""
    if pitch is None or not 0 <= float(pitch) <= 127:
      raise ValueError(f'synth note needs a MIDI pitch in [0, 127], got '
                       f'{pitch}')
    self._pending.append((int(offset), float(pitch), int(duration),
                          float(velocity)))

  def release(self, offset: int) -> None:
    """Closes the gate ``offset`` samples into the next block (note off)."""
    self._pending.append((int(offset), None, 0, 0.0))

  def render(self, out: np.ndarray) -> None:
    """Writes this block ``out [frames]``, starting notes at their offsets."""
    n = out.shape[0]
    position = 0
    for offset, pitch, duration, velocity in sorted(
        self._pending, key=lambda p: (p[0], p[1] is not None)):
      offset = min(max(offset, 0), n)
      self._run(out, position, offset)
      position = offset
      if pitch is None:  # A release.
        self.state[dsp_kernels.S_GATE] = 0.0
        continue
      self.freq_hz = midi_to_hz(pitch)
      self.velocity = SYNTH_LEVEL * velocity
      self.state[dsp_kernels.S_FENV] = 1.0
      self.state[dsp_kernels.S_GATE] = max(1, duration)
    self._pending = []
    self._run(out, position, n)

  def _run(self, out, start, stop):
    if stop > start:
      dsp_kernels.render_synth(
          out, start, stop, self.state, self.freq_hz, self.wave,
          self.cut_log2, self.damping, self.env_octaves, self.env_coef,
          self.velocity, float(self.sample_rate), self._smooth, self._attack,
          self._release)
