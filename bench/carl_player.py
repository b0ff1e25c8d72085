r"""Simulated CARL players for bench/carl_learning_bench.py (issue 11 item 4).

A player has a hidden target mapping from the input to CARL's 4 parameters
(each in [0, 1]), moves the input now and then, and once per reward interval
says like (+1) or dislike (-1) about what it heard. No TF.

``musician`` (the default, what a player of the studio's XY pad does):

  * input: the XY pad, (x, y) in [0, 1]^2, moved to a new random point every
    2 s (the bench's --move_s);
  * target: p0 = x, p1 = 1 - y (input-dependent), p2 = 0.3, p3 = 0.7
    (constant: the player also wants those two settled);
  * each second it judges d = the mean distance, over the ticks since its
    last judgement, of the parameters it heard to its target (what it heard
    during the last second, exploration noise included);
  * reference: its most recent judgement, among its last
    :data:`RECENT` ones, made within :data:`RADIUS` of the current input
    (in practice the previous second at the same pad position: "was that
    better than a moment ago?"); failing that (the first second at a new
    position) the median of its last :data:`RECENT` judgements, a "good
    enough" that tightens as the sound improves;
  * +1 if d < reference, -1 otherwise; no reward for its very first
    judgement (nothing to compare with).

``previous3d`` (issue 11's first bench, kept so nothing is hidden): input
(x, y, z) in [0, 1]^3; target p0 = x, p1 = 1 - y, p2 = 0.5,
p3 = (x + z) / 2; judges only the last tick's parameters, +1 if closer than
at its previous judgement (half the time at another input: a coin toss).
``median3d``: the same, compared with the median of its last 9 judgements.
"""

from typing import List, Optional, Sequence

import numpy as np

RADIUS = 0.1  # musician: "the same place" on the pad, in pad units.
RECENT = 10  # musician: judgements it remembers.
MEDIAN_WINDOW = 9  # median3d: judgements in its running median.


class Player:
  """Base class: a hidden target, a judging rule and the judgements so far.

  Attributes:
    input_size: input dimensions; output_size: parameters (4).
    dependent: indices of the input-dependent parameters.
    inputs, distances: the inputs and distances judged so far.
  """
  input_size = 2
  output_size = 4
  dependent = (0, 1)
  judge_last_tick_only = False

  def __init__(self):
    self.inputs: List[np.ndarray] = []
    self.distances: List[float] = []

  def target(self, x: np.ndarray) -> np.ndarray:
    """The hidden mapping ``[N, input_size] -> [N, 4]``."""
    raise NotImplementedError

  def reference(self, inputs: Sequence[np.ndarray], distances: np.ndarray
                ) -> Optional[np.ndarray]:
    """The distance the newest judgement is compared with.

    Args:
      inputs: ``t + 1`` inputs judged, the newest last.
      distances: ``[..., t + 1]`` their distances (a leading axis lets a
        Bayesian learner evaluate the rule for many hypotheses at once).

    Returns:
      ``[...]`` reference distances, or None if there is none (no reward).
    """
    raise NotImplementedError

  def judge(self, x: np.ndarray, heard: np.ndarray) -> Optional[float]:
    """+1 / -1 about the parameters heard ``[n, 4]`` at input x, or None."""
    heard = np.atleast_2d(heard)
    if self.judge_last_tick_only:
      heard = heard[-1:]
    want = self.target(np.asarray(x)[None])[0]
    d = float(np.mean(np.linalg.norm(heard - want, axis=1)))
    self.inputs.append(np.array(x, np.float64))
    self.distances.append(d)
    ref = self.reference(self.inputs, np.array(self.distances))
    if ref is None:
      return None
    return 1.0 if d < float(ref) else -1.0


class Musician(Player):
  """The XY-pad musician (module docstring)."""

  def target(self, x):
    x = np.atleast_2d(x)
    n = len(x)
    return np.stack([x[:, 0], 1 - x[:, 1], np.full(n, 0.3), np.full(n, 0.7)],
                    axis=1)

  def reference(self, inputs, distances):
    t = len(inputs) - 1
    if t == 0:
      return None
    for j in range(t - 1, max(-1, t - 1 - RECENT), -1):
      if np.linalg.norm(inputs[j] - inputs[t]) < RADIUS:
        return distances[..., j]
    return np.median(distances[..., max(0, t - RECENT):t], axis=-1)


class Previous3d(Player):
  """Issue 11's first player: 3-D input, the previous judgement."""
  input_size = 3
  dependent = (0, 1, 3)
  judge_last_tick_only = True

  def target(self, x):
    x = np.atleast_2d(x)
    return np.stack([x[:, 0], 1 - x[:, 1], np.full(len(x), 0.5),
                     (x[:, 0] + x[:, 2]) / 2], axis=1)

  def reference(self, inputs, distances):
    return None if len(inputs) < 2 else distances[..., -2]


class Median3d(Previous3d):
  """3-D input, the median of the last MEDIAN_WINDOW judgements."""

  def reference(self, inputs, distances):
    t = len(inputs) - 1
    if t == 0:
      return None
    return np.median(distances[..., max(0, t - MEDIAN_WINDOW):t], axis=-1)


PLAYERS = {'musician': Musician, 'previous3d': Previous3d,
           'median3d': Median3d}


def evaluate(player: Player, policy, probe: np.ndarray):
  """Mean distance to the target and per-dependent-output correlations.

  Args:
    player: gives the target and the dependent outputs.
    policy: maps ``[N, input_size]`` to ``[N, 4]``.
    probe: ``[N, input_size]`` inputs.

  Returns:
    (mean Euclidean distance, [correlation per dependent output]); a
    constant output has correlation 0.
  """
  out, want = policy(probe), player.target(probe)
  distance = float(np.mean(np.linalg.norm(out - want, axis=1)))
  corr = [float(np.corrcoef(out[:, j], want[:, j])[0, 1])
          if np.std(out[:, j]) > 1e-9 else 0.0 for j in player.dependent]
  return distance, corr


def probe_inputs(player: Player, n: int = 256) -> np.ndarray:
  """``[n, input_size]`` fixed uniform probe inputs (seed 1234)."""
  return np.random.default_rng(1234).uniform(size=(n, player.input_size))
