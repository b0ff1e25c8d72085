"""Test helpers for the live runtime: TF-free agents and live sessions.

EchoBeatAgent plays the source and makes its reset weights slowly
(``fresh_weights`` sleeps, like the 97 ms Keras build it replaced) while its
``reset()`` without prepared weights sleeps too: a runtime that resets on
the clock thread stalls visibly. FakeCarlAgent has CarlSession's agent
interface with fixed numpy weights.
"""

import collections
import time

import numpy as np

from drums import session as session_lib
from sonification import clock as clock_lib
from sonification import drum_live
from sonification import live_session
from sonification import sinks
from sonification.carl import carl_hparams
from sonification.carl import carl_session

Result = collections.namedtuple('Result', ['action', 'reward', 'loss',
                                           'q_values'])
SLOW_S = 0.05  # what a slow verb costs the thread that runs it.
PROGRAM = 'bpm 150; source kick*2; learn snare*2+0.5; closedhat*4;'


class EchoBeatAgent:
  """Plays the source hit; 'learns' with loss 0.5; slow reset weights."""

  def __init__(self):
    self.resets = 0
    self.state = {'weight_0': np.zeros(2, np.float32)}

  def tick(self, tick, source, target, mode):
    del tick, target
    if mode == 'off':
      return Result(None, None, None, None)
    return Result(source, None, 0.5 if mode == 'learn' else None, None)

  def fresh_weights(self):
    time.sleep(SLOW_S)
    return [np.ones(2, np.float32)]

  def reset(self, weights=None):
    if weights is None:
      weights = self.fresh_weights()
    self.resets += 1

  def state_dict(self):
    return dict(self.state)

  def check_state_dict(self, arrays):
    if 'weight_0' not in arrays:
      raise ValueError('no weight_0')

  def load_state_dict(self, arrays):
    self.check_state_dict(arrays)
    self.state = dict(arrays)


def make_drum_live(clock, inputs=None, threaded_jobs=True):
  """(DrumSession, LiveSession) of PROGRAM with EchoBeatAgents."""
  session = session_lib.DrumSession(
      PROGRAM, agent_factory=lambda instrument: EchoBeatAgent(),
      build_agents=False, max_records=64)
  app = drum_live.DrumLiveApp(session, sinks.Sink(), warm_up=False)
  live = live_session.LiveSession(app, clock, inputs,
                                  threaded_jobs=threaded_jobs)
  return session, live


class FakeCarlAgent:
  """CarlSession's agent interface in numpy (no TF); steps do nothing."""

  def __init__(self, hparams=carl_hparams.CarlHParams()):
    self.hparams = hparams
    rng = np.random.default_rng(0)
    sizes = ([hparams.input_size] + list(hparams.actor_hidden) +
             [hparams.output_size])
    self._actor = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
      self._actor += [rng.normal(size=(fan_in, fan_out)).astype(np.float32),
                      np.zeros(fan_out, np.float32)]
    self.steps = 0

  def train_step(self, states, actions, rewards, next_states):
    del states, actions, next_states
    self.steps += 1
    skipped = int(not np.isfinite(rewards).all())
    return dict(critic_loss=float(np.mean(np.square(rewards))),
                actor_loss=0.0, skipped=skipped)

  def actor_weights(self):
    return [w.copy() for w in self._actor]

  def randomise_actor(self):
    pass

  def randomise_critic(self):
    pass

  def get_networks(self):
    return {name: self.actor_weights() for name in
            ('actor', 'critic', 'target_actor', 'target_critic')}

  def set_networks(self, networks):
    self._actor = [np.asarray(w, np.float32) for w in networks['actor']]


def make_carl_live(clock, inputs=None, state_dir=None, threaded=False):
  """(CarlSession, LiveSession) on a FakeCarlAgent."""
  session = carl_session.CarlSession(FakeCarlAgent(), sinks.Sink(),
                                     state_dir=state_dir, threaded=threaded)
  session.start()
  live = live_session.LiveSession(session, clock, inputs,
                                  tempo_control=False)
  return session, live


def fake_clock(bpm=150.0):
  """A Clock on clock_lib.FakeTime (no real sleeping)."""
  fake = clock_lib.FakeTime(0.0)
  return clock_lib.Clock(bpm=bpm, time_fn=fake.time, sleep_fn=fake.sleep)
