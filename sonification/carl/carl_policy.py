"""CARL's hot path without TF: a numpy copy of the actor, and OU noise.

The TF actor is trained in a worker thread; after each optimisation its
weights are copied into a :class:`NumpyActor`, which the clock thread runs
(a [3, 10, 12, 4] MLP is a few microseconds in numpy, with no TF call,
tracing or GIL-held graph execution on the hot path).
"""

from typing import List, Optional, Sequence

import numpy as np

_ACTIVATIONS = {
    'relu': lambda x: np.maximum(x, 0.0),
    'sigmoid': lambda x: 1.0 / (1.0 + np.exp(-x)),
    'linear': lambda x: x,
}


class NumpyActor:
  """A dense MLP in numpy: ReLU hidden layers, sigmoid output.

  Args:
    weights: ``[W0, b0, W1, b1, ...]`` as returned by Keras
      ``get_weights()`` (W: ``[in, out]``, b: ``[out]``).
    hidden_activation, output_activation: names in 'relu', 'sigmoid',
      'linear'.

  Raises:
    ValueError: on an odd number of arrays or mismatched shapes.
  """

  def __init__(self, weights: Sequence[np.ndarray],
               hidden_activation: str = 'relu',
               output_activation: str = 'sigmoid'):
    self._hidden = _ACTIVATIONS[hidden_activation]
    self._output = _ACTIVATIONS[output_activation]
    self._layers = self._check(weights)

  @staticmethod
  def _check(weights):
    if len(weights) % 2 or not weights:
      raise ValueError(f'NumpyActor needs [W0, b0, ...], got {len(weights)} '
                       'arrays')
    layers = []
    for i in range(0, len(weights), 2):
      w = np.array(weights[i], dtype=np.float64)
      b = np.array(weights[i + 1], dtype=np.float64)
      if w.ndim != 2 or b.shape != (w.shape[1],):
        raise ValueError(f'layer {i // 2}: kernel {w.shape} and bias '
                         f'{b.shape} do not match')
      if layers and layers[-1][0].shape[1] != w.shape[0]:
        raise ValueError(f'layer {i // 2}: input {w.shape[0]} != previous '
                         f'output {layers[-1][0].shape[1]}')
      layers.append((w, b))
    return tuple(layers)

  @property
  def input_size(self) -> int:
    return self._layers[0][0].shape[0]

  @property
  def output_size(self) -> int:
    return self._layers[-1][0].shape[1]

  def set_weights(self, weights: Sequence[np.ndarray]) -> None:
    """Swaps in new weights (from the learner thread; one reference swap)."""
    layers = self._check(weights)
    if (layers[0][0].shape[0] != self.input_size or
        layers[-1][0].shape[1] != self.output_size):
      raise ValueError('NumpyActor.set_weights: input/output sizes changed')
    self._layers = layers  # atomic under the GIL.

  def get_weights(self) -> List[np.ndarray]:
    return [a.copy() for layer in self._layers for a in layer]

  def __call__(self, x: np.ndarray) -> np.ndarray:
    """mu(x): ``[in]`` -> ``[out]`` or ``[B, in]`` -> ``[B, out]``."""
    layers = self._layers
    h = np.asarray(x, dtype=np.float64)
    for w, b in layers[:-1]:
      h = self._hidden(h @ w + b)
    w, b = layers[-1]
    return self._output(h @ w + b)


class OrnsteinUhlenbeckNoise:
  """Ornstein-Uhlenbeck exploration noise, one step per tick.

  x <- x + theta * (mu - x) + sigma * N(0, 1) (dt = one tick), the
  temporally correlated noise of DDPG (Lillicrap et al. 2016, theta 0.15).

  Args:
    size: number of dimensions.
    sigma: noise scale (0 = no exploration).
    theta: mean reversion per step, in [0, 1].
    mu: the mean.
    seed: numpy seed.
  """

  def __init__(self, size: int, sigma: float = 0.1, theta: float = 0.15,
               mu: float = 0.0, seed: Optional[int] = None):
    if size < 1 or sigma < 0 or not 0 <= theta <= 1:
      raise ValueError(f'OU noise: size {size} >= 1, sigma {sigma} >= 0, '
                       f'theta {theta} in [0, 1] required')
    self.size = size
    self.sigma = float(sigma)
    self.theta = float(theta)
    self.mu = float(mu)
    self._rng = np.random.default_rng(seed)
    self.state = np.full(size, self.mu)

  def reset(self) -> None:
    self.state = np.full(self.size, self.mu)

  def on_reward(self) -> None:
    """A reward arrived: nothing changes (the process runs on per tick)."""

  def __call__(self) -> np.ndarray:
    """The next noise sample ``[size]``."""
    self.state = (self.state + self.theta * (self.mu - self.state) +
                  self.sigma * self._rng.standard_normal(self.size))
    return self.state


class HeldNoise:
  """Gaussian exploration noise held from one reward to the next.

  ``sigma * z`` with z ~ N(0, I), the same z every tick until
  :meth:`on_reward`, which draws a new one: every like or dislike then
  judges one consistent perturbation of the actor (the player judged what
  it heard since its last judgement; CarlHParams.noise_mode 'held').
  Mirrored (noise_mode 'mirrored', antithetic sampling): every other draw
  is the previous z negated, so each pair of judgements compares mu + e with
  mu - e.

  Args:
    size: number of dimensions.
    sigma: noise scale (0 = no exploration); may be changed at any time
      (the player's noise control) and takes effect at the next tick.
    mirrored: negate every second draw.
    seed: numpy seed.

  Raises:
    ValueError: if size < 1 or sigma < 0.
  """

  def __init__(self, size: int, sigma: float = 0.1, mirrored: bool = False,
               seed: Optional[int] = None):
    if size < 1 or sigma < 0:
      raise ValueError(f'held noise: size {size} >= 1, sigma {sigma} >= 0 '
                       'required')
    self.size = size
    self.sigma = float(sigma)
    self.mirrored = mirrored
    self._rng = np.random.default_rng(seed)
    self._z = self._rng.standard_normal(size)
    self._mirror_next = mirrored

  def reset(self) -> None:
    self._z = self._rng.standard_normal(self.size)
    self._mirror_next = self.mirrored

  def on_reward(self) -> None:
    """Draws the next held sample (or mirrors the last one)."""
    if self._mirror_next:
      self._z = -self._z
    else:
      self._z = self._rng.standard_normal(self.size)
    self._mirror_next = self.mirrored and not self._mirror_next

  def __call__(self) -> np.ndarray:
    """The held sample ``sigma * z`` ``[size]``."""
    return self.sigma * self._z


def make_noise(mode: str, size: int, sigma: float, theta: float,
               seed: Optional[int] = None):
  """The exploration noise named by CarlHParams.noise_mode.

  Args:
    mode: 'ou' (Ornstein-Uhlenbeck per tick, SPEC section 3), 'held' or
      'mirrored' (:class:`HeldNoise`).
    size, sigma, seed: as the classes; theta: OU mean reversion per tick.

  Raises:
    ValueError: for an unknown mode.
  """
  if mode == 'ou':
    return OrnsteinUhlenbeckNoise(size, sigma, theta, seed=seed)
  if mode in ('held', 'mirrored'):
    return HeldNoise(size, sigma, mirrored=mode == 'mirrored', seed=seed)
  raise ValueError(f'noise mode must be ou, held or mirrored, got {mode!r}')


def explore(actor_output: np.ndarray, noise: np.ndarray) -> np.ndarray:
  """Adds noise and keeps the parameters in [0, 1] (clipping)."""
  return np.clip(actor_output + noise, 0.0, 1.0)
