"""The engine's drum samples: kick, snare, closed hat, open hat.

The samples are synthesized here, once, when a sample set is first needed
(a few milliseconds), so the project ships them as code under its own
Apache-2.0 licence: no soundfont or sample file of another licence is
involved. (The GM soundfont the ``--synth=gm`` path uses, TimGM6mb, is
GPL-2: see docs/audio.md.) Every sample is deterministic (a fixed noise
seed), mono float32 ``[frames]`` with peak 1.0; voices scale them.

Recipes (classic analogue drum-machine designs, e.g. the TR-808 family):
  * kick: a sine whose pitch falls from 160 Hz to 48 Hz (exponential, 40 ms)
    with a 300 ms amplitude decay, plus a 4 ms noise click.
  * snare: two damped sine modes (185 Hz, 330 Hz; 80 ms) plus high-passed
    noise (band-passed 1.2-6 kHz, 160 ms decay).
  * closedhat / openhat: six square-wave partials at inharmonic ratios
    (the 808's metallic cluster around 4-8 kHz) plus noise, high-passed at
    6 kHz; decay 45 ms (closed) and 320 ms (open).
"""

import functools
from typing import Dict

import numpy as np
from scipy import signal

INSTRUMENTS = ('kick', 'snare', 'closedhat', 'openhat')
_NOISE_SEED = 20240  # Fixed: the samples are part of the program's sound.
# Square partial frequencies of the 808 cymbal/hat oscillator bank (Hz).
_HAT_PARTIALS = (205.3, 304.4, 369.6, 522.7, 540.0, 800.0)


def _noise(n: int, salt: int) -> np.ndarray:
  rng = np.random.default_rng(_NOISE_SEED + salt)
  return rng.random(n) * 2.0 - 1.0


def _normalise(x: np.ndarray, fade_s: float, sample_rate: int) -> np.ndarray:
  fade = int(fade_s * sample_rate)
  if fade:
    x[-fade:] *= np.linspace(1.0, 0.0, fade)
  return (x / np.max(np.abs(x))).astype(np.float32)


def _kick(sr: int) -> np.ndarray:
  t = np.arange(int(0.5 * sr)) / sr
  freq = 48.0 + (160.0 - 48.0) * np.exp(-t / 0.04)
  phase = 2 * np.pi * np.cumsum(freq) / sr
  body = np.sin(phase) * np.exp(-t / 0.3)
  click = _noise(t.size, 0) * np.exp(-t / 0.004) * 0.5
  sos = signal.butter(2, 3000, 'lowpass', fs=sr, output='sos')
  return _normalise(body + signal.sosfilt(sos, click), 0.02, sr)


def _snare(sr: int) -> np.ndarray:
  t = np.arange(int(0.35 * sr)) / sr
  tone = (np.sin(2 * np.pi * 185 * t) + 0.6 * np.sin(2 * np.pi * 330 * t))
  tone *= np.exp(-t / 0.08)
  sos = signal.butter(2, (1200, 6000), 'bandpass', fs=sr, output='sos')
  noise = signal.sosfilt(sos, _noise(t.size, 1)) * np.exp(-t / 0.16)
  return _normalise(0.5 * tone + noise, 0.02, sr)


def _hat(sr: int, decay_s: float, length_s: float, salt: int) -> np.ndarray:
  t = np.arange(int(length_s * sr)) / sr
  metal = sum(np.sign(np.sin(2 * np.pi * f * t)) for f in _HAT_PARTIALS)
  x = metal / len(_HAT_PARTIALS) + 0.8 * _noise(t.size, salt)
  sos = signal.butter(4, 6000, 'highpass', fs=sr, output='sos')
  x = signal.sosfilt(sos, x) * np.exp(-t / decay_s)
  return _normalise(x, 0.01, sr)


@functools.lru_cache(maxsize=4)
def sample_set(sample_rate: int = 44100) -> Dict[str, np.ndarray]:
  """The four samples at ``sample_rate`` Hz: name -> float32 ``[frames]``.

  Cached: every voice of an engine shares the arrays (read-only).
  """
  sr = int(sample_rate)
  samples = {
      'kick': _kick(sr),
      'snare': _snare(sr),
      'closedhat': _hat(sr, 0.045, 0.15, 2),
      'openhat': _hat(sr, 0.32, 0.8, 3),
  }
  for array in samples.values():
    array.setflags(write=False)
  return samples
