"""Tests for the shared ``--hparams "a=1,b=2"`` parser."""

import dataclasses
from typing import Tuple

from absl.testing import absltest

from rl_tuner import hparams_overrides


@dataclasses.dataclass(frozen=True)
class _HParams:
  steps: int = 10
  rate: float = 0.5
  boltzmann: bool = False
  name: str = 'q'
  layers: Tuple[int, ...] = (100,)


class HParamsOverridesTest(absltest.TestCase):

  def test_types(self):
    h = hparams_overrides.parse_overrides(
        ' steps=1e6, rate=0.25 ,boltzmann=yes,name=psi', _HParams())
    self.assertEqual(h, _HParams(1000000, 0.25, True, 'psi'))

  def test_tuple_items_are_colon_separated(self):
    h = hparams_overrides.parse_overrides('layers=256:128', _HParams())
    self.assertEqual(h.layers, (256, 128))
    with self.assertRaisesRegex(ValueError, 'layers: expected int'):
      hparams_overrides.parse_overrides('layers=256:x', _HParams())

  def test_empty_is_no_change(self):
    self.assertEqual(hparams_overrides.parse_overrides('', _HParams()),
                     _HParams())

  def test_errors_name_the_field(self):
    with self.assertRaisesRegex(ValueError, "unknown hyperparameter 'gamma'"):
      hparams_overrides.parse_overrides('gamma=1', _HParams())
    with self.assertRaisesRegex(ValueError, 'expected name=value'):
      hparams_overrides.parse_overrides('steps', _HParams())
    with self.assertRaisesRegex(ValueError, 'steps: expected int'):
      hparams_overrides.parse_overrides('steps=2.5', _HParams())
    with self.assertRaisesRegex(ValueError, 'boltzmann: expected a boolean'):
      hparams_overrides.parse_overrides('boltzmann=maybe', _HParams())


if __name__ == '__main__':
  absltest.main()
