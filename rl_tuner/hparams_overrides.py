"""``--hparams "a=1,b=2"`` overrides for frozen hyperparameter dataclasses.

One parser for every hparams dataclass in the project (RL Tuner, drum beat
agent); each passes its own converter for fields that need one.
"""

import dataclasses
import math
import typing
from typing import Callable, Dict, Optional, TypeVar

T = TypeVar('T')


def convert_value(name: str, text: str, field_type):
  """Converts override text to a field's type (bool, int, float, tuple, str).

  Ints accept scientific notation of whole numbers (``1e6``); bools accept
  1/0, true/false, yes/no; ``Tuple[int, ...]`` fields take colon-separated
  items (``layer_sizes=256:256``), each converted to the item type.

  Raises:
    ValueError: naming the field, the expected type and the text.
  """
  if typing.get_origin(field_type) is tuple:
    item_type = (typing.get_args(field_type) or (str,))[0]
    return tuple(convert_value(name, item.strip(), item_type)
                 for item in text.split(':'))
  if field_type is bool:
    if text.lower() in ('1', 'true', 'yes'):
      return True
    if text.lower() in ('0', 'false', 'no'):
      return False
    raise ValueError(f'hparam {name}: expected a boolean, got {text!r}')
  try:
    if field_type is int:
      value = float(text)
      if not math.isfinite(value) or value != int(value):
        raise ValueError
      return int(value)
    if field_type is float:
      return float(text)
  except ValueError:
    raise ValueError(f'hparam {name}: expected {field_type.__name__}, got '
                     f'{text!r}') from None
  return text


def parse_overrides(overrides: str, base: T,
                    convert: Callable[[str, str, type], object] = convert_value
                    ) -> T:
  """Applies comma-separated ``name=value`` pairs to a dataclass instance.

  Args:
    overrides: e.g. ``"discount=0.9,minibatch_size=64"``; empty: no change.
    base: the frozen dataclass to start from (its ``__post_init__`` validates
      the result).
    convert: ``(name, text, field_type) -> value``.

  Returns:
    A new instance of ``type(base)``.

  Raises:
    ValueError: naming an unknown field, a malformed pair or a bad value.
  """
  hints = typing.get_type_hints(type(base))
  changes = {}
  for pair in filter(None, (p.strip() for p in (overrides or '').split(','))):
    if '=' not in pair:
      raise ValueError(f'hparams: expected name=value, got {pair!r}')
    name, text = (s.strip() for s in pair.split('=', 1))
    if name not in hints:
      raise ValueError(f'hparams: unknown hyperparameter {name!r}; known: '
                       f'{sorted(hints)}')
    changes[name] = convert(name, text, hints[name])
  return dataclasses.replace(base, **changes)


def check_numbers(instance, upper: Optional[Dict[str, float]] = None) -> None:
  """Every number of a hparams dataclass is finite; some are bounded above.

  Called first in each hparams class's ``__post_init__`` (RL Tuner, Note RNN,
  drum beat agent, toggle DQN, CARL), before its own range checks, so that
  ``--hparams reward_scaler=nan`` or ``learning_rate=inf`` fails at once
  instead of at the first gradient step (issue 12, item 10). NaN compares
  false with everything, so a check such as ``x < 0`` alone lets it through.

  Args:
    instance: the dataclass instance; its int and float fields (bools
      excluded) and the items of its tuple fields are checked.
    upper: field name -> inclusive upper bound.

  Raises:
    ValueError: naming the class, the field and the value.
  """
  cls = type(instance).__name__
  for field in dataclasses.fields(instance):
    value = getattr(instance, field.name)
    items = value if isinstance(value, tuple) else (value,)
    for item in items:
      if isinstance(item, bool) or not isinstance(item, (int, float)):
        continue
      if not math.isfinite(item):
        raise ValueError(f'{cls}.{field.name} must be a finite number, got '
                         f'{value!r}')
      if upper and field.name in upper and item > upper[field.name]:
        raise ValueError(f'{cls}.{field.name} must be <= '
                         f'{upper[field.name]:g}, got {value!r}')
