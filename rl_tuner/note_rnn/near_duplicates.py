"""Near-duplicate tunes across a train/validation split (numpy + scipy).

Folk collections hold many variants of one tune (Essen especially): the same
melody with a few notes changed, another rhythm or another ending. A
validation tune that is a variant of a training tune measures memory, not
generalisation, so the split moves such tunes to training.

The rule (:func:`near_duplicate_mask`): a tune is reduced to its sequence of
onset pitches (actions 2..37 in order, holds and rests dropped, so rhythm
does not matter; all tunes are already transposed to C) and to the set of
its distinct ``n``-grams of them (default n = 6). Two tunes are near-
duplicates when the number of n-grams they share is at least ``threshold``
(default 0.5) times the size of the smaller of the two sets. The sets of
all validation and all training tunes are sparse binary matrices; their
product counts the shared n-grams of every pair at once.
"""

from typing import List, Sequence

import numpy as np
from scipy import sparse

from rl_tuner import encoding

_FIRST_PITCH_ACTION = encoding.NUM_SPECIAL_EVENTS  # 2
_NUM_PITCHES = encoding.NUM_CLASSES - _FIRST_PITCH_ACTION  # 36


def onset_ngrams(melodies: Sequence[np.ndarray], n: int) -> np.ndarray:
  """Distinct n-grams of onset pitches of one tune, as int64 codes.

  Args:
    melodies: the tune's int action arrays ``[steps]``.
    n: n-gram length (onsets), 1 <= n <= 12 (36**12 < 2**63).

  Returns:
    Sorted unique int64 codes ``[k]``, code = sum_i (pitch_i - 2) * 36**i
    over the n onset actions of each n-gram; empty for tunes of fewer than
    n onsets.

  Raises:
    ValueError: if n is out of range.
  """
  if not 1 <= n <= 12:
    raise ValueError(f'onset_ngrams: n must be in [1, 12], got {n}')
  weights = _NUM_PITCHES ** np.arange(n, dtype=np.int64)
  codes = []
  for m in melodies:
    onsets = np.asarray(m, np.int64)
    onsets = onsets[onsets >= _FIRST_PITCH_ACTION] - _FIRST_PITCH_ACTION
    if len(onsets) >= n:
      windows = np.lib.stride_tricks.sliding_window_view(onsets, n)
      codes.append(windows @ weights)
  return (np.unique(np.concatenate(codes)) if codes else
          np.zeros([0], np.int64))


def _incidence(tunes: List[np.ndarray], vocab: np.ndarray):
  """Binary CSR ``[len(tunes), len(vocab)]`` of n-gram membership."""
  lengths = np.array([len(t) for t in tunes], np.int64)
  cols = np.searchsorted(vocab, np.concatenate(tunes)) if len(tunes) else []
  indptr = np.concatenate([[0], np.cumsum(lengths)])
  return sparse.csr_matrix(
      (np.ones(int(lengths.sum()), np.float32), cols, indptr),
      shape=(len(tunes), len(vocab))), lengths


def near_duplicate_mask(candidates: Sequence[Sequence[np.ndarray]],
                        reference: Sequence[Sequence[np.ndarray]],
                        n: int = 6, threshold: float = 0.5) -> np.ndarray:
  """Which candidate tunes are near-duplicates of some reference tune.

  Args:
    candidates: tunes (each a list of int action arrays), e.g. validation.
    reference: tunes, e.g. training.
    n: n-gram length in onsets.
    threshold: shared n-grams / size of the smaller n-gram set at or above
      which two tunes are near-duplicates, in (0, 1].

  Returns:
    bool ``[len(candidates)]``. A tune with no n-gram (fewer than n onsets)
    is never a near-duplicate.

  Raises:
    ValueError: if threshold is not in (0, 1] or n is out of range.
  """
  if not 0 < threshold <= 1:
    raise ValueError(f'near_duplicate_mask: threshold must be in (0, 1], '
                     f'got {threshold}')
  cand = [onset_ngrams(t, n) for t in candidates]
  ref = [onset_ngrams(t, n) for t in reference]
  if not cand or not ref:
    return np.zeros([len(cand)], bool)
  vocab = np.unique(np.concatenate(cand + ref))
  c_mat, c_len = _incidence(cand, vocab)
  r_mat, r_len = _incidence(ref, vocab)
  shared = (c_mat @ r_mat.T).tocoo()  # Only pairs sharing >= 1 n-gram.
  smaller = np.minimum(c_len[shared.row], r_len[shared.col])
  hit = shared.data >= threshold * smaller
  mask = np.zeros([len(cand)], bool)
  mask[shared.row[hit]] = True
  return mask
