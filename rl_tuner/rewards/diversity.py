"""Diversity and fidelity of compositions beside Table 1 (numpy only).

The Table 1 rules can be met by music that is narrow: a C-E-G loop meets the
paper's targets. These metrics say how varied a model's compositions are and
how close they are to real melodies. ``DiversityAccumulator`` collects, over
batches of compositions (``int [N, 32]`` events of ``rl_tuner.encoding``):

  pitch_class_entropy_bits   entropy (bits, log base 2) of the pitch-class
      histogram of all onsets (pitch events) of all compositions; at most
      log2(12) = 3.58; a C-E-G loop has log2(3) = 1.58.
  distinct_pitches_per_composition   mean number of distinct MIDI pitches in a
      composition.
  onsets_pct                 100 x onsets / events (real melodies: ~38%; a
      model that writes runs of sixteenths: ~80%).
  top_opening_pct            100 x compositions whose first OPENING_STEPS (4)
      events equal the most common opening / compositions; ``top_opening``
      names it (e.g. 'C4 - - -').
  overlap_pitch_class, overlap_pitch_range, overlap_ioi   overlapping area
      (OA, in [0, 1]; 1 = indistinguishable) of Yang & Lerch 2018 ("On the
      evaluation of generative models in music", Neural Computing and
      Applications; their mgeval toolbox), computed here in numpy against a
      reference set of real melodies: per composition a feature (its 12-bin
      pitch-class histogram of onsets, normalised; its pitch range in
      semitones; its mean inter-onset interval in steps), then the
      distribution of distances between real compositions (intra-set) and
      between generated and real ones (inter-set), each smoothed by a
      Gaussian kernel density estimate (Scott's bandwidth), and OA = the
      integral of the smaller of the two densities. Compositions without a
      feature (no onset; fewer than two onsets for the IOI) are left out.
"""

import collections
import math
from typing import Dict, Optional

import numpy as np

from rl_tuner import encoding

OPENING_STEPS = 4
_FIRST_PITCH = encoding.NUM_SPECIAL_EVENTS  # Action 2.
_EVENT_NAMES = {encoding.NOTE_OFF: 'off', encoding.NO_EVENT: '-'}
_PITCH_NAMES = ('C', 'C#', 'D', 'Eb', 'E', 'F', 'F#', 'G', 'Ab', 'A', 'Bb',
                'B')
FEATURES = ('pitch_class', 'pitch_range', 'ioi')


def _pitches(x: np.ndarray) -> np.ndarray:
  """MIDI pitch per event, -1 for rests and holds."""
  return np.where(x >= _FIRST_PITCH, x + encoding.PITCH_OFFSET, -1)


def event_name(action: int) -> str:
  """'C4', 'off' (NOTE_OFF) or '-' (hold) for one action."""
  if action in _EVENT_NAMES:
    return _EVENT_NAMES[action]
  pitch = int(action) + encoding.PITCH_OFFSET
  return f'{_PITCH_NAMES[pitch % 12]}{pitch // 12 - 1}'


def pitch_class_counts(compositions) -> np.ndarray:
  """Onsets per pitch class (0 = C) of each composition: float64 ``[N, 12]``.

  Args:
    compositions: int ``[N, T]`` events (T may be 0).
  """
  pitch = _pitches(np.asarray(compositions, np.int64))
  onset = pitch >= 0
  counts = np.zeros([len(pitch), 12])
  rows, cols = np.nonzero(onset)
  np.add.at(counts, (rows, pitch[rows, cols] % 12), 1.0)
  return counts


def entropy_bits(counts) -> np.ndarray:
  """Shannon entropy (bits) of counts along the last axis, 0 where they sum
  to 0. E.g. [2, 1, 1] -> 1.5 bits; [[1, 1], [0, 0]] -> [1, 0]."""
  counts = np.asarray(counts, np.float64)
  total = counts.sum(axis=-1, keepdims=True)
  p = np.divide(counts, total, out=np.zeros_like(counts), where=total > 0)
  logs = np.log2(p, out=np.zeros_like(p), where=p > 0)
  return -(p * logs).sum(axis=-1)


def composition_features(compositions: np.ndarray) -> Dict[str, np.ndarray]:
  """Per-composition features of the overlapping-area metric.

  Args:
    compositions: int ``[N, T]`` events.

  Returns:
    {'pitch_class': float ``[N, 12]`` onset pitch-class histogram (sums to 1;
     NaN rows without onsets), 'pitch_range': float ``[N]`` highest minus
     lowest pitch in semitones (NaN without onsets), 'ioi': float ``[N]`` mean
     steps between consecutive onsets (NaN with fewer than two onsets)}.
  """
  x = np.asarray(compositions, np.int64)
  pitch = _pitches(x)
  onset = pitch >= 0
  num = onset.sum(1)
  with np.errstate(invalid='ignore', divide='ignore'):
    pc = pitch_class_counts(x) / num[:, None]
  high = np.where(onset, pitch, -1).max(1)
  low = np.where(onset, pitch, 1000).min(1)
  pitch_range = np.where(num > 0, high - low, np.nan).astype(np.float64)
  steps = np.arange(x.shape[1])
  first = np.where(onset, steps, x.shape[1]).min(1)
  last = np.where(onset, steps, -1).max(1)
  with np.errstate(invalid='ignore', divide='ignore'):
    ioi = np.where(num >= 2, (last - first) / (num - 1), np.nan)
  return {'pitch_class': pc, 'pitch_range': pitch_range, 'ioi': ioi}


def _pairwise(a: np.ndarray, b: np.ndarray, same: bool) -> np.ndarray:
  """Euclidean distances between rows of a and b (off-diagonal if same)."""
  a = a.reshape(len(a), -1)
  b = b.reshape(len(b), -1)
  d = np.sqrt(np.maximum(
      (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2 * a @ b.T, 0.0))
  if same:
    return d[~np.eye(len(a), dtype=bool)]
  return d.ravel()


def _kde(samples: np.ndarray, grid: np.ndarray) -> np.ndarray:
  """Gaussian KDE with Scott's bandwidth (std x n^-1/5) on an even grid.

  The samples are first binned onto the grid points (binned KDE, exact to
  within half a grid step), so the cost is grid^2, not grid x samples.
  """
  n = len(samples)
  bandwidth = max(float(np.std(samples)) * n ** -0.2, 1e-3)
  step = grid[1] - grid[0]
  edges = np.concatenate([grid - step / 2, [grid[-1] + step / 2]])
  counts, _ = np.histogram(samples, edges)
  z = (grid[:, None] - grid[None, :]) / bandwidth
  density = np.exp(-0.5 * z * z) @ counts
  return density / (n * bandwidth * math.sqrt(2 * math.pi))


def overlapping_area(a: np.ndarray, b: np.ndarray,
                     grid_points: int = 512) -> float:
  """OA of the KDE densities of two 1-D samples, in [0, 1].

  Args:
    a, b: float samples (NaNs dropped).
    grid_points: integration grid size.

  Returns:
    The integral of min(density_a, density_b) (trapezoid rule over both
    samples' range +- 3 bandwidths); NaN if a sample is empty.
  """
  a = np.asarray(a, np.float64)
  b = np.asarray(b, np.float64)
  a, b = a[np.isfinite(a)], b[np.isfinite(b)]
  if not len(a) or not len(b):
    return math.nan
  pad = 3 * max(float(np.std(np.concatenate([a, b]))), 1e-3)
  grid = np.linspace(min(a.min(), b.min()) - pad,
                     max(a.max(), b.max()) + pad, grid_points)
  overlap = np.minimum(_kde(a, grid), _kde(b, grid))
  return float(min(np.sum((overlap[1:] + overlap[:-1]) / 2 * np.diff(grid)),
                   1.0))


def feature_overlaps(generated: np.ndarray, reference: np.ndarray
                     ) -> Dict[str, float]:
  """OA of intra-reference vs generated-to-reference feature distances.

  Args:
    generated: int ``[N, T]`` generated compositions.
    reference: int ``[M, T']`` real compositions.

  Returns:
    {'overlap_pitch_class', 'overlap_pitch_range', 'overlap_ioi'}: floats
    in [0, 1] (NaN where a set has no valid feature).
  """
  gen = composition_features(generated)
  ref = composition_features(reference)
  out = {}
  for name in FEATURES:
    g, r = gen[name], ref[name]
    g = g[np.all(np.isfinite(g.reshape(len(g), -1)), 1)]
    r = r[np.all(np.isfinite(r.reshape(len(r), -1)), 1)]
    if len(g) < 1 or len(r) < 2:
      out[f'overlap_{name}'] = math.nan
      continue
    out[f'overlap_{name}'] = overlapping_area(_pairwise(r, r, True),
                                              _pairwise(g, r, False))
  return out


class DiversityAccumulator:
  """Diversity metrics over batches, and OA against a reference set.

  Args:
    reference: optional int ``[M, T]`` real compositions (e.g. 32-step
      segments of held-out melodies) for the overlapping-area metrics.
    max_samples: generated (and reference) compositions kept for the OA
      metrics (the first ones added; pairwise distances cost M x N).
  """

  def __init__(self, reference: Optional[np.ndarray] = None,
               max_samples: int = 1000):
    self.reference = (None if reference is None else
                      np.asarray(reference, np.int64)[:max_samples])
    self.max_samples = max_samples
    self._pitch_classes = np.zeros([12], np.int64)
    self._distinct_sum = 0
    self._count = 0
    self._events = 0
    self._openings = collections.Counter()
    self._samples = []
    self._num_samples = 0

  def add(self, compositions) -> None:
    """Adds int ``[N, T]`` compositions (T >= OPENING_STEPS).

    Raises:
      ValueError: on a bad shape or events outside [0, 37].
    """
    x = np.asarray(compositions, np.int64)
    if x.ndim != 2 or x.shape[1] < OPENING_STEPS:
      raise ValueError(f'DiversityAccumulator.add: compositions must be int '
                       f'[N, >= {OPENING_STEPS}], got shape {x.shape}')
    if x.size and (x.min() < 0 or x.max() >= encoding.NUM_CLASSES):
      raise ValueError(f'DiversityAccumulator.add: events must be in [0, '
                       f'{encoding.NUM_CLASSES - 1}]')
    pitch = _pitches(x)
    self._pitch_classes += np.bincount(pitch[pitch >= 0] % 12, minlength=12)
    ordered = np.sort(pitch, 1)
    distinct = (ordered >= 0) & np.concatenate(
        [np.ones([len(x), 1], bool), ordered[:, 1:] != ordered[:, :-1]], 1)
    self._distinct_sum += int(distinct.sum())
    self._count += len(x)
    self._events += x.size
    weights = encoding.NUM_CLASSES ** np.arange(OPENING_STEPS - 1, -1, -1)
    codes, counts = np.unique(x[:, :OPENING_STEPS] @ weights,
                              return_counts=True)
    self._openings.update(dict(zip(codes.tolist(), counts.tolist())))
    if self._num_samples < self.max_samples:
      keep = x[:self.max_samples - self._num_samples]
      self._samples.append(keep)
      self._num_samples += len(keep)

  def result(self) -> Dict[str, object]:
    """The metrics of the module docstring (OA only with a reference)."""
    total = self._pitch_classes.sum()
    out = {
        'pitch_class_entropy_bits': float(entropy_bits(self._pitch_classes))
                                    if total else math.nan,
        'distinct_pitches_per_composition':
            self._distinct_sum / self._count if self._count else math.nan,
        'onsets_pct': 100.0 * total / self._events if self._events else
                      math.nan,
    }
    if self._openings:
      code, count = self._openings.most_common(1)[0]
      events = [(code // encoding.NUM_CLASSES ** k) % encoding.NUM_CLASSES
                for k in range(OPENING_STEPS - 1, -1, -1)]
      out['top_opening_pct'] = 100.0 * count / self._count
      out['top_opening'] = ' '.join(event_name(e) for e in events)
    if self.reference is not None and self._samples:
      out.update(feature_overlaps(np.concatenate(self._samples),
                                  self.reference))
    return out
