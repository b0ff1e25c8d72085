"""What a sweep runs: algorithms x seeds x an hparams grid (no Ray here).

A :class:`SweepSpec` comes from flags or a YAML file (``sweeps/*.yaml``) with
the same keys::

  algorithms: [q, psi, g]
  seeds: [0, 1, 2]
  grid: {reward_scaler: [0.5, 1, 2, 4]}   # any RLTunerHParams fields
  hparams: ''                             # fixed overrides for every trial
  num_steps: 1000000
  eval_every: 200000
  num_eval_compositions: 1000
  max_concurrent: 2

:meth:`SweepSpec.trials` expands it into :class:`TrialSpec` s, one per
(algorithm, seed, grid point), each with a stable name that is also its run
directory under ``OUT/trials/``; a rerun of the same sweep finds its trials'
run dirs there (see rl_tuner/sweeps/trial.py).
"""

import dataclasses
import itertools
import os
import re
from typing import Any, Dict, List, Tuple

from rl_tuner import rl_tuner_hparams


@dataclasses.dataclass(frozen=True)
class TrialSpec:
  """One training run of a sweep.

  Attributes:
    name: stable trial name, e.g. 'q_seed0' or 'q_seed0_reward_scaler-2'
      (the run dir's name; letters, digits and '_.+-' only, so that it is
      also a model name for ``rl_tuner_eval --checkpoints=name=dir``).
    algorithm: 'q', 'psi', 'g' or 'pure_rl'.
    seed: training seed.
    grid: the grid point, hparams name -> value.
    hparams: the full override string passed to ``parse_hparams`` (the
      sweep's fixed overrides, then the grid point, algorithm and seed).
  """
  name: str
  algorithm: str
  seed: int
  grid: Tuple[Tuple[str, Any], ...]
  hparams: str

  @property
  def config_name(self) -> str:
    """The trial's name without the seed: seeds of one config share it."""
    return '_'.join([self.algorithm] +
                    [grid_name(k, v) for k, v in self.grid])


def grid_name(name: str, value) -> str:
  """A grid point's part of a trial name: 'reward_scaler-2'.

  Characters other than letters, digits and '_.+-' become '_' ('=' and ','
  would break ``name=dir,...`` lists such as rl_tuner_eval's --checkpoints).
  """
  return re.sub(r'[^A-Za-z0-9_.+-]', '_', f'{name}-{value}')


def _parse_value(text: str):
  """'2' -> 2, '0.5' -> 0.5, 'true' -> True, else the string."""
  low = text.strip().lower()
  if low in ('true', 'false'):
    return low == 'true'
  for cast in (int, float):
    try:
      return cast(text)
    except ValueError:
      pass
  return text.strip()


def parse_grid(spec: str) -> Dict[str, List[Any]]:
  """Parses ``'name=v1:v2:...;name2=...'`` (';' or ',' between names).

  Raises:
    ValueError: naming the malformed entry.
  """
  grid = {}
  for part in [p for p in spec.replace(';', ',').split(',') if p.strip()]:
    if '=' not in part:
      raise ValueError(f'--grid entry {part!r} is not name=v1:v2:...')
    name, values = part.split('=', 1)
    name = name.strip()
    values = [_parse_value(v) for v in values.split(':') if v.strip()]
    if not name or not values:
      raise ValueError(f'--grid entry {part!r} has no name or no values')
    if name in grid:
      raise ValueError(f'--grid names {name!r} twice')
    grid[name] = values
  return grid


@dataclasses.dataclass(frozen=True)
class SweepSpec:
  """A sweep: every (algorithm, seed, grid point) is one trial.

  Attributes:
    algorithms: algorithm names.
    seeds: distinct training seeds.
    grid: hparams name -> list of values (the product is swept).
    hparams: fixed RLTunerHParams overrides 'name=value,...' for every trial.
    num_steps: environment steps per trial (paper: 1,000,000).
    eval_every: steps between evaluations (each one is reported).
    checkpoint_every: steps between checkpoints (what a killed trial loses).
    num_eval_compositions: compositions per evaluation.
    max_concurrent: trials at once (default: one per core).
    num_threads: TensorFlow threads per trial.
    midi_primer: MIDI primer for 'midi' priming (default: the shipped one).

  Raises:
    ValueError: naming the bad field (unknown algorithm or hparams name, a
      bad value, repeated seeds, non-positive sizes).
  """
  algorithms: Tuple[str, ...] = ('q', 'psi', 'g')
  seeds: Tuple[int, ...] = (0,)
  grid: Tuple[Tuple[str, Tuple[Any, ...]], ...] = ()
  hparams: str = ''
  num_steps: int = 1_000_000
  eval_every: int = 200_000
  checkpoint_every: int = 100_000
  num_eval_compositions: int = 1000
  max_concurrent: int = 0
  num_threads: int = 1
  midi_primer: str = ''

  def __post_init__(self):
    for name in ('num_steps', 'eval_every', 'checkpoint_every',
                 'num_eval_compositions'):
      if getattr(self, name) <= 0:
        raise ValueError(f'sweep: {name} must be > 0, got '
                         f'{getattr(self, name)!r}')
    if self.max_concurrent < 0 or self.num_threads < 0:
      raise ValueError('sweep: max_concurrent and num_threads must be >= 0')
    if not self.algorithms or not self.seeds:
      raise ValueError('sweep: needs at least one algorithm and one seed')
    if len(set(self.seeds)) != len(self.seeds):
      raise ValueError(f'sweep: seeds must be distinct, got {self.seeds}')
    for trial in self.trials():  # Every trial's hparams must parse.
      try:
        rl_tuner_hparams.parse_hparams(trial.hparams)
      except ValueError as e:
        raise ValueError(f'sweep: trial {trial.name}: {e}') from e

  @classmethod
  def from_dict(cls, data: Dict[str, Any]) -> 'SweepSpec':
    """From a YAML/flags dict with the field names (lists, grid a dict)."""
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - known)
    if unknown:
      raise ValueError(f'sweep config: unknown keys {unknown}; expected some '
                       f'of {sorted(known)}')
    data = dict(data)
    for key in ('algorithms', 'seeds'):
      if key in data:
        value = data[key]
        if isinstance(value, (str, int)):
          value = [v for v in str(value).split(',') if v.strip()]
        data[key] = tuple(int(v) if key == 'seeds' else str(v).strip()
                          for v in value)
    grid = data.get('grid') or {}
    if isinstance(grid, str):
      grid = parse_grid(grid)
    if not isinstance(grid, dict):
      raise ValueError(f'sweep config: grid must map names to value lists, '
                       f'got {grid!r}')
    data['grid'] = tuple(
        (str(k), tuple(v if isinstance(v, (list, tuple)) else [v]))
        for k, v in grid.items())
    return cls(**data)

  @classmethod
  def from_yaml(cls, path: str) -> 'SweepSpec':
    """Reads a YAML sweep config.

    Raises:
      FileNotFoundError: if ``path`` does not exist.
      ValueError: if it is not a mapping or a field is bad.
    """
    import yaml  # pylint: disable=g-import-not-at-top
    if not os.path.exists(path):
      raise FileNotFoundError(f'No sweep config {path!r}')
    with open(path) as f:
      data = yaml.safe_load(f)
    if not isinstance(data, dict):
      raise ValueError(f'sweep config {path!r} is not a YAML mapping')
    return cls.from_dict(data)

  def trials(self) -> List[TrialSpec]:
    """Every (algorithm, seed, grid point), seeds innermost."""
    names = [k for k, _ in self.grid]
    points = list(itertools.product(*[v for _, v in self.grid]))
    base = (f'exploration_period={max(self.num_steps // 2, 1)},'
            f'priming=random')
    out = []
    for algorithm in self.algorithms:
      for point in points:
        grid = tuple(zip(names, point))
        for seed in self.seeds:
          overrides = [base, self.hparams] + [f'{k}={v}' for k, v in grid] + [
              f'algorithm={algorithm}', f'seed={seed}']
          name = '_'.join([f'{algorithm}_seed{seed}'] +
                          [grid_name(k, v) for k, v in grid])
          out.append(TrialSpec(name, algorithm, seed, grid,
                               ','.join(o for o in overrides if o)))
    return out
