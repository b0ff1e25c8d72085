"""An interpolated Kneser-Ney n-gram baseline for the Note RNN, in numpy.

The model (Kneser & Ney 1995; the interpolated form of Chen & Goodman 1998,
"An empirical study of smoothing techniques for language modeling", with one
absolute discount per order):

  P_k(w | h) = max(c_k(h, w) - D_k, 0) / C_k(h)
               + D_k * N_k(h) / C_k(h) * P_{k-1}(w | h')       if C_k(h) > 0
  P_k(w | h) = P_{k-1}(w | h')                                  otherwise
  P_0(w)     = 1 / 38

for orders k = 1..n, where h is the last k - 1 events, h' drops its oldest
event, C_k(h) = sum_w c_k(h, w), N_k(h) = number of w with c_k(h, w) > 0 and
D_k = n1 / (n1 + 2 n2) from the numbers n1, n2 of order-k n-grams with count
1 and 2 (Ney, Essen & Kneser 1994; 0.5 when no n-gram has count 1). The highest order counts n-grams; a lower
order k < n counts continuations, c_k(h, w) = number of distinct events v
with c_{k+1}(v h, w) > 0.

Every melody is preceded by n - 1 begin-of-melody symbols (:data:`BOS`), so
the model knows how melodies start. Symbols are coded as integers in base 39
(38 events + BOS), so an n-gram is one int64 and counting is ``np.unique``;
querying looks up all 38 next events of a batch of contexts at once with
``np.searchsorted``. Orders up to 11 fit in int64 (39**11 < 2**63).
"""

from typing import Dict, Sequence

import numpy as np

from rl_tuner import encoding

NUM_EVENTS = encoding.NUM_CLASSES  # 38 predicted classes.
BOS = NUM_EVENTS  # Begin-of-melody symbol (context only, never predicted).
_BASE = NUM_EVENTS + 1  # 39 symbols.
MAX_ORDER = 11


def _codes(symbols: np.ndarray) -> np.ndarray:
  """int ``[..., k]`` symbols -> int64 ``[...]`` base-39 codes."""
  k = symbols.shape[-1]
  weights = _BASE ** np.arange(k - 1, -1, -1, dtype=np.int64)
  return symbols.astype(np.int64) @ weights


def _lookup(keys: np.ndarray, table_keys: np.ndarray,
            table_values: np.ndarray) -> np.ndarray:
  """Values of ``keys`` in a sorted table; 0 where a key is absent."""
  if len(table_keys) == 0:
    return np.zeros(keys.shape, table_values.dtype)
  idx = np.minimum(np.searchsorted(table_keys, keys), len(table_keys) - 1)
  return np.where(table_keys[idx] == keys, table_values[idx], 0)


class KneserNeyModel:
  """Interpolated Kneser-Ney n-gram model over the 38 melody events.

  Args:
    order: n, the n-gram length (context of n - 1 events), 1..11.

  Raises:
    ValueError: if order is out of range.
  """

  def __init__(self, order: int = 5):
    if not 1 <= order <= MAX_ORDER:
      raise ValueError(f'KneserNeyModel order must be in [1, {MAX_ORDER}], '
                       f'got {order}')
    self.order = order
    # Per order k (index k - 1): sorted n-gram codes and their counts, sorted
    # context codes with C_k(h) and N_k(h), and the discount D_k.
    self._ngrams = []
    self._counts = []
    self._contexts = []
    self._context_totals = []
    self._context_types = []
    self.discounts = []

  def fit(self, melodies: Sequence[np.ndarray]) -> 'KneserNeyModel':
    """Counts the n-grams of int action melodies ``[steps]`` (0..37).

    Raises:
      ValueError: if a melody holds an event outside 0..37 or there is none.
    """
    n = self.order
    grams = []
    for m in melodies:
      m = np.asarray(m, np.int64)
      if len(m) and (m.min() < 0 or m.max() >= NUM_EVENTS):
        raise ValueError(f'KneserNeyModel.fit: events must be in [0, '
                         f'{NUM_EVENTS - 1}], got {m.min()}..{m.max()}')
      padded = np.concatenate([np.full([n - 1], BOS, np.int64), m])
      if len(m):
        grams.append(_codes(np.lib.stride_tricks.sliding_window_view(
            padded, n)))
    if not grams:
      raise ValueError('KneserNeyModel.fit: no events to count')
    keys, counts = np.unique(np.concatenate(grams), return_counts=True)
    by_order = {n: (keys, counts)}
    for k in range(n - 1, 0, -1):
      # Distinct (k+1)-grams, oldest symbol dropped: continuation counts.
      higher = by_order[k + 1][0]
      by_order[k] = np.unique(higher % _BASE ** k, return_counts=True)
    for k in range(1, n + 1):
      keys, counts = by_order[k]
      contexts, first = np.unique(keys // _BASE, return_index=True)
      totals = np.add.reduceat(counts, first)
      types = np.diff(np.append(first, len(keys)))
      n1, n2 = np.sum(counts == 1), np.sum(counts == 2)
      self.discounts.append(float(n1 / (n1 + 2 * n2)) if n1 else 0.5)
      self._ngrams.append(keys)
      self._counts.append(counts.astype(np.float64))
      self._contexts.append(contexts)
      self._context_totals.append(totals.astype(np.float64))
      self._context_types.append(types.astype(np.float64))
    return self

  def probs(self, contexts: np.ndarray) -> np.ndarray:
    """Next-event distributions for a batch of contexts.

    Args:
      contexts: int ``[N, order - 1]`` preceding symbols, oldest first
        (:data:`BOS` before a melody's start).

    Returns:
      float64 ``[N, 38]``, each row summing to 1.

    Raises:
      ValueError: if the model is not fitted or contexts has the wrong shape.
    """
    if not self._ngrams:
      raise ValueError('KneserNeyModel.probs: call fit() first')
    contexts = np.asarray(contexts, np.int64)
    if contexts.ndim != 2 or contexts.shape[1] != self.order - 1:
      raise ValueError(f'KneserNeyModel.probs: contexts must be [N, '
                       f'{self.order - 1}], got {contexts.shape}')
    events = np.arange(NUM_EVENTS, dtype=np.int64)
    p = np.full([len(contexts), NUM_EVENTS], 1.0 / NUM_EVENTS)
    for k in range(1, self.order + 1):
      i = k - 1
      h = (_codes(contexts[:, self.order - k:]) if k > 1 else
           np.zeros([len(contexts)], np.int64))
      total = _lookup(h, self._contexts[i], self._context_totals[i])
      types = _lookup(h, self._contexts[i], self._context_types[i])
      c = _lookup(h[:, None] * _BASE + events[None, :], self._ngrams[i],
                  self._counts[i])
      d = self.discounts[i]
      seen = total > 0
      safe = np.where(seen, total, 1.0)[:, None]
      interp = (np.maximum(c - d, 0.0) + d * types[:, None] * p) / safe
      p = np.where(seen[:, None], interp, p)
    return p

  def melody_contexts(self, melody: np.ndarray) -> np.ndarray:
    """Contexts of every prediction of a melody after its first event.

    Args:
      melody: int actions ``[steps]``.

    Returns:
      int64 ``[steps - 1, order - 1]``: row t is the context of event t + 1
      (events 0..t, BOS-padded on the left).
    """
    n = self.order
    padded = np.concatenate([np.full([n - 1], BOS, np.int64),
                             np.asarray(melody, np.int64)])
    if n == 1:
      return np.zeros([max(len(melody) - 1, 0), 0], np.int64)
    windows = np.lib.stride_tricks.sliding_window_view(padded, n - 1)
    return windows[1:len(melody)]

  def melody_log_probs(self, melodies: Sequence[np.ndarray],
                       chunk: int = 50000) -> np.ndarray:
    """log p(. | events so far) of every step after the first, all melodies.

    Args:
      melodies: int action arrays ``[steps]``.
      chunk: contexts scored per batch (memory: chunk x 38 x 8 bytes x 3).

    Returns:
      float64 ``[sum(steps - 1), 38]`` natural logs, melodies in order.
    """
    contexts = [self.melody_contexts(m) for m in melodies]
    contexts = (np.concatenate(contexts) if contexts else
                np.zeros([0, self.order - 1], np.int64))
    return np.concatenate(
        [np.log(self.probs(contexts[i:i + chunk]))
         for i in range(0, len(contexts), chunk)] or
        [np.zeros([0, NUM_EVENTS])])

  def summary(self) -> Dict[str, object]:
    """Order, discounts and number of n-grams per order (for records)."""
    return {'order': self.order,
            'discounts': [round(d, 4) for d in self.discounts],
            'ngrams': [int(len(g)) for g in self._ngrams]}
