"""Hyperparameters of the beat-prediction agent: a frozen, validated dataclass.

Defaults follow the public "Rubber Gosling" drum script and
../shared/SPEC.md section 2: 8 ticks per bar, source history 8 (language
mode; the tutorial uses 1), network Dense(state, tanh) -> Dropout 0.2 ->
Dense(n, tanh) for n in [32, 16, 8] -> Dense(2), replay memory 128, batches of
up to 32, discount 0 (a contextual bandit). The learning rate 0.005 and
epsilon 0.1 are ours: with one Adam step per tick a one-bar pattern is learned
within a few bars, and exploring costs nothing audible (in learn mode the
written pattern is what is heard) while a greedy agent (epsilon 0) got stuck
at 6 of 8 ticks on one of five seeds (tests/drums/teaching_test.py pins the
outcome).
"""

import dataclasses
from typing import Dict, Tuple

from rl_tuner import hparams_overrides

MODES = ('learn', 'predict', 'off')


@dataclasses.dataclass(frozen=True)
class BeatAgentHParams:
  """Beat agent hyperparameters (validated on construction).

  Attributes:
    structure: hidden Dense(tanh) widths after the input layer.
    ticks_per_bar: length of the tick one-hot (8 eighth notes).
    source_history: source hits in the state (8 language mode, 1 tutorial).
    action_memory: the agent's own last actions in the state (0 = off).
    dropout: dropout rate after the input layer (0.2).
    replay_size: FIFO replay memory capacity (64 or 128).
    batch_size: transitions sampled per learning step, without replacement.
    learning_rate: Adam learning rate.
    epsilon: probability of a random action while learning.
    discount: gamma of the TD target (0 = the public script's bandit).
    seed: seed of the weights, dropout, exploration and replay sampling.
  """
  structure: Tuple[int, ...] = (32, 16, 8)
  ticks_per_bar: int = 8
  source_history: int = 8
  action_memory: int = 0
  dropout: float = 0.2
  replay_size: int = 128
  batch_size: int = 32
  learning_rate: float = 0.005
  epsilon: float = 0.1
  discount: float = 0.0
  seed: int = 0

  def __post_init__(self):
    object.__setattr__(self, 'structure', tuple(int(n) for n in
                                                self.structure))
    hparams_overrides.check_numbers(self, {
        'learning_rate': 1.0, 'structure': 65_536, 'replay_size': 1_000_000,
        'batch_size': 65_536, 'ticks_per_bar': 1024, 'source_history': 1024,
        'action_memory': 1024})
    if not self.structure or min(self.structure) < 1:
      raise ValueError(f'BeatAgentHParams.structure must be non-empty '
                       f'positive widths, got {self.structure!r}')
    for name in ('ticks_per_bar', 'source_history', 'replay_size',
                 'batch_size'):
      if getattr(self, name) < 1:
        raise ValueError(f'BeatAgentHParams.{name} must be >= 1, got '
                         f'{getattr(self, name)!r}')
    if self.action_memory < 0:
      raise ValueError(f'BeatAgentHParams.action_memory must be >= 0, got '
                       f'{self.action_memory!r}')
    if not self.learning_rate > 0:
      raise ValueError(f'BeatAgentHParams.learning_rate must be > 0, got '
                       f'{self.learning_rate!r}')
    for name in ('dropout', 'epsilon', 'discount'):
      if not 0.0 <= getattr(self, name) <= 1.0:
        raise ValueError(f'BeatAgentHParams.{name} must be in [0, 1], got '
                         f'{getattr(self, name)!r}')
    if self.dropout >= 1.0:
      raise ValueError(f'BeatAgentHParams.dropout must be < 1, got '
                       f'{self.dropout!r}')

  @property
  def state_size(self) -> int:
    """ticks_per_bar + source_history + action_memory."""
    return self.ticks_per_bar + self.source_history + self.action_memory

  def to_dict(self) -> Dict[str, object]:
    return dataclasses.asdict(self)


def _convert(name: str, text: str, field_type):
  if name == 'structure':
    try:
      return tuple(int(n) for n in text.split('/'))
    except ValueError:
      raise ValueError(f'hparam structure: expected widths like 32/16/8, got '
                       f'{text!r}') from None
  return hparams_overrides.convert_value(name, text, field_type)


def parse_hparams(overrides: str, base: BeatAgentHParams = BeatAgentHParams()
                  ) -> BeatAgentHParams:
  """``"a=1,b=2"`` applied to ``base``; ``structure=32/16/8`` for widths.

  Raises:
    ValueError: naming an unknown field, a malformed pair or a bad value.
  """
  return hparams_overrides.parse_overrides(overrides, base, _convert)


CONFIGS: Dict[str, BeatAgentHParams] = {
    # The language mode: 8 source hits of history, replay 128.
    'language': BeatAgentHParams(),
    # The first tutorial: only the current source hit, replay 64.
    'tutorial': BeatAgentHParams(source_history=1, replay_size=64),
}
