r"""Upper bounds for bench/carl_learning_bench.py: oracle-ish learners.

Both know what no CARL learner knows: that the target is LINEAR in the input
(a ``[input_size + 1, 4]`` matrix theta; 12 numbers for the XY musician),
and they choose what the player hears. They get the same information as
CARL: one like/dislike per reward interval from the same player
(bench/carl_player.py), at the same inputs. No TF.

* ``LinearEs``: mirrored evolution strategies. Each interval it plays
  clip([x, 1] (theta + e)) for a held perturbation e ~ N(0, sigma^2) of the
  matrix (every second interval -e, the antithetic partner), and after the
  reward r moves theta += alpha * r * e.
* ``LinearBayes``: a particle posterior over theta (uniform prior: slopes in
  [-1.2, 1.2], offsets in [-0.2, 1.2]). It knows the player's rule exactly
  (Player.reference), so every reward, including a comparison with a
  median of older judgements, is a likelihood over hypotheses: each particle
  recomputes the distances of everything played so far to ITS target, the
  reference the player would have used and the probability of the reward
  given (a steep logistic of the margin). It plays its posterior mean plus
  +-sigma along the direction in which the posterior of the target at this
  input is widest (active learning), the mirrored one at the next interval
  at the same input. Its estimate is the posterior mean.
"""

import numpy as np


def _features(x: np.ndarray) -> np.ndarray:
  """``[N, in] -> [N, in + 1]``: the input and a 1."""
  x = np.atleast_2d(x)
  return np.concatenate([x, np.ones((len(x), 1))], axis=1)


class LinearEs:
  """Mirrored ES on a linear map (module docstring).

  Args:
    input_size, output_size: sizes; sigma: perturbation scale; alpha: step
      per reward; seed: numpy seed.
  """

  def __init__(self, input_size: int, output_size: int, sigma: float = 0.2,
               alpha: float = 0.05, seed: int = 0):
    self._rng = np.random.default_rng(seed)
    self.theta = np.zeros((input_size + 1, output_size))
    self.theta[-1] = 0.5
    self.sigma, self.alpha = sigma, alpha
    self._e = None
    self._mirror = False

  def __call__(self, x: np.ndarray) -> np.ndarray:
    """The estimate ``[N, in] -> [N, out]`` in [0, 1]."""
    return np.clip(_features(x) @ self.theta, 0.0, 1.0)

  def play(self, x: np.ndarray) -> np.ndarray:
    """What the player hears this interval at input x ``[out]``."""
    if self._mirror:
      self._e = -self._e
    else:
      self._e = self._rng.normal(0.0, self.sigma, self.theta.shape)
    self._mirror = not self._mirror
    return np.clip(_features(x)[0] @ (self.theta + self._e), 0.0, 1.0)

  def learn(self, reward) -> None:
    """Takes the reward (or None) for the last interval played."""
    if reward is not None:
      self.theta += self.alpha * reward * self._e


class LinearBayes:
  """A particle posterior over the linear map (module docstring).

  Args:
    player: the bench player (its rule is the likelihood).
    sigma: distance of the two played sounds from the posterior mean.
    particles: hypotheses; sharpness: slope of the logistic likelihood.
    seed: numpy seed.
  """

  def __init__(self, player, sigma: float = 0.15, particles: int = 20000,
               sharpness: float = 100.0, seed: int = 0):
    self._rng = np.random.default_rng(seed)
    self.player = player
    n, k, m = particles, player.input_size + 1, player.output_size
    self._p = np.empty((n, k, m))
    self._p[:, :-1] = self._rng.uniform(-1.2, 1.2, (n, k - 1, m))
    self._p[:, -1] = self._rng.uniform(-0.2, 1.2, (n, m))
    self._logw = np.zeros(n)
    self.sigma, self.sharpness = sigma, sharpness
    self._inputs, self._played = [], []
    self._last_x, self._last_u = None, None

  def _weights(self) -> np.ndarray:
    w = np.exp(self._logw - self._logw.max())
    return w / w.sum()

  def mean(self) -> np.ndarray:
    """The posterior mean theta ``[in + 1, out]``."""
    return np.einsum('n,nij->ij', self._weights(), self._p)

  def __call__(self, x: np.ndarray) -> np.ndarray:
    return np.clip(_features(x) @ self.mean(), 0.0, 1.0)

  def play(self, x: np.ndarray) -> np.ndarray:
    fx = _features(x)[0]
    centre = np.clip(fx @ self.mean(), 0.0, 1.0)
    same = self._last_x is not None and np.array_equal(x, self._last_x)
    if same and self._last_u is not None:
      u, self._last_u = -self._last_u, None  # the mirrored partner.
    else:
      targets = np.einsum('j,njk->nk', fx, self._p)
      cov = np.cov(targets.T, aweights=self._weights())
      u = np.linalg.eigh(cov)[1][:, -1] * self._rng.choice([-1.0, 1.0])
      self._last_u = u
    self._last_x = np.array(x)
    out = np.clip(centre + self.sigma * u, 0.0, 1.0)
    self._inputs.append(np.array(x, np.float64))
    self._played.append(out)
    return out

  def learn(self, reward) -> None:
    if reward is None:
      return
    inputs = np.array(self._inputs)
    targets = np.einsum('tj,njk->ntk', _features(inputs), self._p)
    d = np.linalg.norm(targets - np.array(self._played)[None], axis=2)
    ref = self.player.reference(self._inputs, d)
    margin = ref - d[:, -1]  # > 0: the player would say +1.
    self._logw -= np.logaddexp(0.0, -self.sharpness * reward * margin)
    w = self._weights()
    if 1.0 / np.sum(w ** 2) < len(w) / 3:  # resample and jitter.
      idx = self._rng.choice(len(w), len(w), p=w)
      self._p = self._p[idx] + self._rng.normal(0.0, 0.01, self._p.shape)
      self._logw = np.zeros(len(w))


ORACLES = ('linear_es', 'linear_bayes')


def make(name: str, player, seed: int, sigma: float, alpha: float):
  """An oracle by name (ORACLES).

  Raises:
    ValueError: for an unknown name.
  """
  if name == 'linear_es':
    return LinearEs(player.input_size, player.output_size, sigma, alpha,
                    seed)
  if name == 'linear_bayes':
    return LinearBayes(player, sigma, seed=seed)
  raise ValueError(f'oracle must be one of {ORACLES}, got {name!r}')
