"""Property tests of every OSC handler (issue 12): random arguments for every
address of osc_control.ADDRESS_TABLE, through validation and the live
runtime's router into a drum session and a CARL session. No exception
escapes (only the documented KeyError/TypeError/ValueError from validate,
and handler errors are counted, never raised); no non-finite or
out-of-range value is ever stored."""

import math
import os
import tempfile

from absl.testing import absltest
import hypothesis
from hypothesis import strategies as st
import numpy as np

from sonification import agent_bridge
from sonification import live_session
from sonification import osc_control
from tests.sonification import runtime_testing

NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-20, max_value=20),
    st.integers(min_value=-2**31, max_value=2**31 - 1),
    st.sampled_from([0, 1, -1, 1e30, -1e308, 2**31 - 1, 1000, 10, 10.0001]))
WORDS = st.one_of(st.text(max_size=30),
                  st.sampled_from(['snare', 'kick', 'learn', 'predict', 'off',
                                   'mousex', 'mousey', 'tom;', 'kick*4;',
                                   'bpm 75; learn snare*2;']))
ARGUMENT = st.one_of(NUMBERS, WORDS, st.booleans(), st.binary(max_size=8))
ARGUMENTS = st.lists(ARGUMENT, max_size=6)
_KINDS = {'s': WORDS, 'f': st.one_of(st.floats(0, 1), NUMBERS),
          'i': st.one_of(st.integers(-3, 3), NUMBERS)}


def shaped(address: str):
  """Arguments of the address's signature kinds (so most reach a handler),
  with random values."""
  signature = osc_control.ADDRESS_TABLE[address].signature
  kinds = signature.rstrip('+?')
  parts = [_KINDS[k] for k in kinds]
  if signature.endswith('+'):
    return st.lists(_KINDS[kinds[-1]], min_size=1, max_size=5)
  return st.tuples(*parts).map(list)


def address_and_arguments(shape: bool):
  return st.sampled_from(sorted(osc_control.ADDRESS_TABLE)).flatmap(
      lambda a: st.tuples(st.just(a), shaped(a) if shape else ARGUMENTS))
SAFE_PATH_ADDRESSES = ('/drums/save', '/drums/load', '/carl/save',
                       '/carl/load', '/agent/save', '/agent/load')


class OscHandlersPropertyTest(absltest.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.tmp = tempfile.mkdtemp(prefix='osc_property_')
    cls.drum_clock = runtime_testing.fake_clock()
    cls.drums, cls.drum_live = runtime_testing.make_drum_live(
        cls.drum_clock, threaded_jobs=False)
    cls.carl_clock = runtime_testing.fake_clock()
    cls.carl, cls.carl_live = runtime_testing.make_carl_live(
        cls.carl_clock, state_dir=cls.tmp)
    cls.bridge_clock = runtime_testing.fake_clock()
    cls.bridge = agent_bridge.AgentBridgeApp(runtime_testing.EchoBeatAgent)
    cls.bridge_live = live_session.LiveSession(cls.bridge, cls.bridge_clock,
                                               threaded_jobs=False)

  def _run(self, live, clock, address, args):
    if address in SAFE_PATH_ADDRESSES:
      # Never write outside the temp dir: paths become names in it.
      args = [os.path.join(self.tmp, ''.join(c for c in str(a)
                                             if c.isalnum())[:20] or 'x')
              if isinstance(a, str) else a for a in args]
    try:
      command = osc_control.validate(address, tuple(args))
    except (KeyError, TypeError, ValueError):
      return
    for value in command.args:  # what passes the edge is finite.
      if isinstance(value, float):
        self.assertTrue(math.isfinite(value), (address, args))
    if command.name == 'stop':
      return
    live.router.dispatch(command)
    clock.run(num_ticks=1)  # commits at the tick boundary.
    live.jobs.run_commits(float('inf'))

  def _check_state(self):
    carl = self.carl
    self.assertTrue(np.isfinite(carl.input).all())
    self.assertLessEqual(np.abs(carl.input).max(), osc_control.INPUT_LIMIT)
    memory = carl.memory.get_state()
    for values in memory.values():
      self.assertTrue(np.isfinite(values).all())
    if len(memory['rewards']):
      self.assertLessEqual(np.abs(memory['rewards']).max(),
                           osc_control.REWARD_LIMIT *
                           osc_control.REWARD_SCALE_RANGE[1])
    self.assertTrue(0 < carl.reward_scale <= 100)
    self.assertTrue(0 <= carl.noise.sigma <= 1)
    self.assertTrue(1 <= carl.optimise_every <= 10**6)
    self.assertIn(self.bridge.mode, osc_control.DRUM_MODES)
    self.assertGreaterEqual(self.bridge.step, 0)
    for value in self.drums.controls.values():
      self.assertTrue(0 <= value <= 1)
    low, high = osc_control.TEMPO_RANGE
    for clock in (self.drum_clock, self.carl_clock):
      self.assertTrue(low <= clock.bpm <= high or clock.bpm == 150.0)

  @hypothesis.settings(max_examples=300, deadline=None, derandomize=True)
  @hypothesis.given(message=address_and_arguments(shape=False))
  def test_random_arguments_for_every_address(self, message):
    address, args = message
    self._run(self.drum_live, self.drum_clock, address, args)
    self._run(self.carl_live, self.carl_clock, address, args)
    self._run(self.bridge_live, self.bridge_clock, address, args)
    self._check_state()

  @hypothesis.settings(max_examples=300, deadline=None, derandomize=True)
  @hypothesis.given(message=address_and_arguments(shape=True))
  def test_random_values_of_the_right_kinds(self, message):
    address, args = message
    self._run(self.drum_live, self.drum_clock, address, args)
    self._run(self.carl_live, self.carl_clock, address, args)
    self._run(self.bridge_live, self.bridge_clock, address, args)
    self._check_state()

  @hypothesis.settings(max_examples=100, deadline=None, derandomize=True)
  @hypothesis.given(
      address=st.sampled_from(sorted(osc_control.ADDRESS_TABLE)),
      args=st.lists(NUMBERS, min_size=1, max_size=4))
  def test_random_numbers_for_every_address(self, address, args):
    self._run(self.drum_live, self.drum_clock, address, args)
    self._run(self.carl_live, self.carl_clock, address, args)
    self._run(self.bridge_live, self.bridge_clock, address, args)
    self._check_state()

  def test_zz_handlers_were_reached(self):
    # Most shaped messages pass the edge and run (a test that never reached
    # a handler could not fail).
    for live in (self.drum_live, self.carl_live, self.bridge_live):
      self.assertGreater(live.router.stats['handled'], 20, live.router.stats)

  def test_the_sessions_still_work_afterwards(self):
    self.carl.set_input(0.1, 0.2, 0.3)
    self.carl.reward(1.0)
    self.assertGreater(len(self.carl.memory), 0)
    self.drum_clock.run(num_ticks=2)
    self.assertEqual(self.drums.records[-1].index + 1,
                     self.drum_clock.next_index)


if __name__ == '__main__':
  absltest.main()
