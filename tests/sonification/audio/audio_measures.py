"""Measures of rendered audio for tests: level, brightness, onsets, pitch.

Small numpy functions over mono float signals ``[frames]`` that tests use to
say what a listener hears: the level in dB, the spectral centroid (Hz; a
lower cutoff makes it fall), the energy share of a frequency band, where
onsets are, and the fundamental of a held note.
"""

import numpy as np


def rms(x: np.ndarray) -> float:
  """Root mean square of ``x`` (float64 accumulation)."""
  x = np.asarray(x, np.float64)
  return float(np.sqrt(np.mean(np.square(x)))) if x.size else 0.0


def db(ratio: float) -> float:
  """20 log10 of an amplitude ratio (-inf for 0)."""
  return float(20.0 * np.log10(ratio)) if ratio > 0 else float('-inf')


def spectral_centroid(x: np.ndarray, sample_rate: int) -> float:
  """Power-weighted mean frequency of ``x``, Hz (0 for silence)."""
  power = np.abs(np.fft.rfft(np.asarray(x, np.float64))) ** 2
  freqs = np.fft.rfftfreq(len(x), 1.0 / sample_rate)
  total = power.sum()
  return float((power * freqs).sum() / total) if total > 0 else 0.0


def band_share(x: np.ndarray, sample_rate: int, low_hz: float,
               high_hz: float) -> float:
  """Share of ``x``'s power between ``low_hz`` and ``high_hz`` (0-1)."""
  power = np.abs(np.fft.rfft(np.asarray(x, np.float64))) ** 2
  freqs = np.fft.rfftfreq(len(x), 1.0 / sample_rate)
  total = power.sum()
  band = power[(freqs >= low_hz) & (freqs < high_hz)].sum()
  return float(band / total) if total > 0 else 0.0


def high_pass(x: np.ndarray, sample_rate: int, cutoff_hz: float) -> np.ndarray:
  """``x`` with every FFT bin below ``cutoff_hz`` removed (offline, exact
  enough to tell a snare's or hat's hiss from a kick's thump)."""
  spectrum = np.fft.rfft(np.asarray(x, np.float64))
  spectrum[np.fft.rfftfreq(len(x), 1.0 / sample_rate) < cutoff_hz] = 0.0
  return np.fft.irfft(spectrum, len(x))


def onsets(x: np.ndarray, sample_rate: int, threshold: float = 0.02,
           hop_s: float = 0.005, window_s: float = 0.03, rise: float = 1.8,
           min_gap_s: float = 0.05) -> np.ndarray:
  """Onset times of ``x`` in seconds.

  The envelope at hop i is the peak of ``|x|`` over the ``window_s`` that
  ends with hop i (longer than a period of a kick's or bass's fundamental,
  so it does not ripple); an onset is a hop whose envelope exceeds
  ``threshold`` and ``rise`` times the previous hop's, at least
  ``min_gap_s`` after the last onset.

  Returns:
    float ``[onsets]``: the start of each onset's hop (accurate to
    ``hop_s``).
  """
  hop = max(1, int(round(hop_s * sample_rate)))
  count = len(x) // hop
  peaks = np.abs(np.asarray(x[:count * hop])).reshape(count, hop).max(axis=1)
  span = max(1, int(round(window_s / hop_s)))
  envelope = np.array([peaks[max(0, i - span + 1):i + 1].max()
                       for i in range(count)])
  times, last = [], -np.inf
  for i in range(count):
    before = envelope[i - 1] if i > 0 else 0.0
    t = i * hop / sample_rate
    if envelope[i] > threshold and envelope[i] > rise * before and (
        t - last >= min_gap_s):
      times.append(t)
      last = t
  return np.array(times)


def fundamental_hz(x: np.ndarray, sample_rate: int, low_hz: float = 20.0,
                   high_hz: float = 1000.0) -> float:
  """The fundamental of a steady tone: the lag of the autocorrelation's
  highest peak between ``1 / high_hz`` and ``1 / low_hz`` seconds, Hz."""
  x = np.asarray(x, np.float64) - np.mean(x)
  n = len(x)
  spectrum = np.fft.rfft(x, 2 * n)
  corr = np.fft.irfft(np.abs(spectrum) ** 2)[:n]
  low = int(sample_rate / high_hz)
  high = min(n - 1, int(sample_rate / low_hz))
  lag = low + int(np.argmax(corr[low:high]))
  return sample_rate / lag
