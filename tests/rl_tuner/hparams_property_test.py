"""Property tests of every hparams class (issue 12, item 10).

For the RL Tuner, Note RNN trainer, drum beat agent, toggle DQN and CARL
hparams: any value of any numeric field (NaN, +-inf, huge, tiny, negative)
either builds hparams whose every number is finite and within bounds, or
raises ValueError naming the class and the field. ``--hparams`` text such as
``reward_scaler=nan`` is refused the same way.
"""

import dataclasses
import datetime
import math

from absl.testing import absltest
from absl.testing import parameterized
import hypothesis
from hypothesis import strategies as st

from drums import beat_agent_hparams
from drums import toggle_dqn
from rl_tuner import hparams_overrides
from rl_tuner import rl_tuner_hparams
from rl_tuner.note_rnn import note_rnn_trainer
from sonification.carl import carl_hparams

CLASSES = (
    ('rl_tuner', rl_tuner_hparams.RLTunerHParams),
    ('note_rnn', note_rnn_trainer.NoteRNNHParams),
    ('beat_agent', beat_agent_hparams.BeatAgentHParams),
    ('toggle_dqn', toggle_dqn.ToggleDQNHParams),
    ('carl', carl_hparams.CarlHParams),
)
_SETTINGS = hypothesis.settings(
    max_examples=150, derandomize=True, database=None,
    deadline=datetime.timedelta(seconds=2))


def _float_fields(cls):
  return [f.name for f in dataclasses.fields(cls) if f.type in (float, 'float')]


def _numbers(hparams):
  for f in dataclasses.fields(hparams):
    value = getattr(hparams, f.name)
    for item in value if isinstance(value, tuple) else (value,):
      if isinstance(item, (int, float)) and not isinstance(item, bool):
        yield f.name, item


class HParamsPropertyTest(parameterized.TestCase):

  @parameterized.named_parameters(*CLASSES)
  def test_every_float_field_rejects_nan_and_inf(self, cls):
    self.assertNotEmpty(_float_fields(cls))
    for name in _float_fields(cls):
      for bad in (math.nan, math.inf, -math.inf):
        with self.assertRaisesRegex(ValueError, f'{cls.__name__}.{name}'):
          dataclasses.replace(cls(), **{name: bad})
        with self.assertRaisesRegex(ValueError, name):
          hparams_overrides.parse_overrides(f'{name}={bad}', cls())

  @parameterized.named_parameters(*CLASSES)
  def test_random_floats(self, cls):
    fields = _float_fields(cls)

    @_SETTINGS
    @hypothesis.given(st.sampled_from(fields),
                      st.floats(allow_nan=True, allow_infinity=True))
    def check(name, value):
      try:
        hparams = dataclasses.replace(cls(), **{name: value})
      except ValueError as e:
        self.assertIn(f'{cls.__name__}.', str(e))
        return
      for _, number in _numbers(hparams):
        self.assertTrue(math.isfinite(number))

    check()

  @parameterized.named_parameters(*CLASSES)
  def test_random_overrides_of_all_numbers(self, cls):
    names = [name for name, _ in _numbers(cls())
             if not isinstance(getattr(cls(), name), tuple)]

    @_SETTINGS
    @hypothesis.given(st.dictionaries(
        st.sampled_from(names),
        st.one_of(st.floats(), st.integers(-10**15, 10**15),
                  st.sampled_from(['nan', 'inf', '-inf', '1e400', '1e23'])),
        min_size=1))
    def check(changes):
      text = ','.join(f'{k}={v}' for k, v in changes.items())
      try:
        hparams = hparams_overrides.parse_overrides(text, cls())
      except ValueError as e:
        self.assertTrue(any(k in str(e) for k in changes), str(e))
        return
      for _, number in _numbers(hparams):
        self.assertTrue(math.isfinite(number))

    check()

  def test_issue_reproductions(self):
    for text in ('reward_scaler=nan', 'reward_scaler=inf', 'learning_rate=inf',
                 'learning_rate=2'):
      with self.assertRaisesRegex(ValueError, text.split('=')[0]):
        rl_tuner_hparams.parse_hparams(text)

  def test_upper_bound_named(self):
    with self.assertRaisesRegex(
        ValueError, r'CarlHParams.reward_scale must be <= 1000, got 1e\+30'):
      carl_hparams.CarlHParams(reward_scale=1e30)


if __name__ == '__main__':
  absltest.main()
