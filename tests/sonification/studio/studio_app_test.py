"""Tests for sonification/studio/studio_app.py (fake agents, no TF)."""

import collections
import json
import os

from absl.testing import absltest

from sonification import clock
from sonification import jobs
from sonification import live_session
from sonification import osc_control
from sonification import sinks
from sonification.studio import studio_app

Result = collections.namedtuple('Result', 'action reward loss q_values')


class FakeAgent:
  """Plays the source hit; a learning tick's loss is 0.5 (tick 0: 0.1)."""

  def __init__(self, hparams):
    self.hparams = hparams
    self.resets = 0

  def tick(self, tick, source, target, mode):
    del target
    if mode == 'off':
      return Result(None, None, None, None)
    loss = (0.1 if tick == 0 else 0.5) if mode == 'learn' else None
    return Result(int(source), None, loss, None)

  def reset(self):
    self.resets += 1

  def close(self):
    self.closed = True


class FakeCarl:
  """Counts steps and rewards (the CarlSession interface the app uses)."""

  reward_scale, optimise_every = 1.0, 1
  noise = collections.namedtuple('Noise', 'sigma')(0.1)
  input, last_action = (0.5, 0.5), (0.0,)

  def __init__(self):
    self.ticks, self.rewards = 0, []

  def status(self):
    return dict(memory=0, rewards=len(self.rewards), optimisations=0)

  def on_tick(self, tick):
    del tick
    self.ticks += 1

  def handlers(self):
    return {'carl/reward': self.rewards.append}


class CountingSink(sinks.Sink):

  def __init__(self):
    self.notes = []

  def note_on(self, pitch, velocity=100, channel=0, time_s=0.0):
    self.notes.append(pitch)


def factory_fn(built, agents=None):
  def factory(hparams):
    def make(instrument):
      built.append((instrument, hparams))
      agent = FakeAgent(hparams)
      if agents is not None:
        agents.append(agent)
      return agent
    return make
  return factory


def tick(i, bpm=120.0):
  return clock.Tick(i, i // 8, i % 8, (i % 8) / 8, 0.0, 0.0, bpm)


class StudioAppTest(absltest.TestCase):

  def make(self, program='source kick*2; learn snare*2;'):
    self.built, self.bpms, self.sink = [], [], CountingSink()
    self.agents = []
    app = studio_app.StudioApp(program, self.sink,
                               agent_factory_fn=factory_fn(self.built,
                                                           self.agents))
    self.jobs = jobs.BackgroundJobs(threaded=False)
    self.errors = []
    router = osc_control.CommandRouter()
    app.attach_runtime(live_session.Runtime(
        self.jobs, self.jobs.errors, self.bpms.append, router))
    return app

  def boundary(self):
    """What LiveSession does at a tick boundary: finished jobs commit."""
    self.jobs.run_commits(budget_s=float('inf'))

  def test_agents_are_built_by_the_runtime_and_added_at_a_tick(self):
    app = self.make()
    self.assertEqual([b[0] for b in self.built], ['snare'])
    self.assertEqual(app.drums.session.agents, {})  # not before a tick.
    self.boundary()
    self.assertEqual(list(app.drums.session.agents), ['snare'])

  def test_pattern_and_loss_per_bar(self):
    app = self.make()
    self.boundary()
    for i in range(9):
      app.on_tick(tick(i))
    s = app.snapshot()
    self.assertEqual(s['pattern']['source'], [1, 0, 0, 0, 1, 0, 0, 0])
    self.assertEqual(s['pattern']['target']['snare'],
                     [1, 0, 0, 0, 1, 0, 0, 0])
    self.assertEqual(s['pattern']['predicted']['snare'],
                     [1, 0, 0, 0, 1, 0, 0, 0])
    # Bar 0: losses 0.1 (tick 0) and 0.5 x 7 -> mean 3.6 / 8 = 0.45.
    self.assertEqual(s['loss']['snare'], [[0, 0.45]])
    self.assertEqual((s['bar'], s['step']), (1, 0))
    self.assertIsNone(s['carl'])

  def test_what_each_line_plays(self):
    # kick*4 on ticks 0, 2, 4, 6; the snare learns snare*2+0.5 (ticks 2, 6)
    # and the fake agent plays the source, so in predict its line plays the
    # source's ticks (0, 4), not the written ones; the bass (line 3) plays
    # 3,3,2: phases 0, 3/8, 6/8 -> ticks 0, 3, 6.
    app = self.make('source kick*2;\npredict snare*2+0.5;\n'
                    'bass 3,3,2 36 cut40;')
    self.boundary()
    for i in range(8):
      app.on_tick(tick(i))
    plays = app.snapshot()['plays']
    self.assertEqual([(r['line'], r['name']) for r in plays],
                     [(1, 'kick'), (2, 'snare'), (3, 'bass')])
    self.assertEqual(plays[0]['hits'], [1, 0, 0, 0, 1, 0, 0, 0])
    self.assertEqual(plays[1]['hits'], [1, 0, 0, 0, 1, 0, 0, 0])
    self.assertEqual(app.snapshot()['pattern']['target']['snare'],
                     [0, 0, 1, 0, 0, 0, 1, 0])
    self.assertEqual(plays[2]['hits'], [1, 0, 0, 1, 0, 0, 1, 0])
    # A new program starts its rows afresh.
    app.set_program('kick*8;')
    self.boundary()
    app.on_tick(tick(8))
    self.assertEqual(app.snapshot()['plays'],
                     [dict(line=1, name='kick', hits=[1] + [0] * 7)])

  def test_the_mouse_controls_are_shown_and_survive_new_agents(self):
    app = self.make()
    self.boundary()
    self.assertEqual(app.snapshot()['controls'],
                     dict(mousex=0.5, mousey=0.5))
    app.handlers()['drums/control']('mousex', 0.9)
    app.on_tick(tick(0))
    self.assertEqual(app.snapshot()['controls']['mousex'], 0.9)
    app.handlers()['drums/hparams']('structure=16')  # a fresh session.
    self.boundary()
    app.on_tick(tick(1))
    self.assertEqual(app.snapshot()['controls'],
                     dict(mousex=0.9, mousey=0.5))

  def test_the_written_part_plays_until_the_agent_is_ready(self):
    app = self.make('learn snare*2;')
    app.on_tick(tick(0))  # no agent yet: the snare plays as written.
    self.assertEqual(self.sink.notes, [38])
    self.assertTrue(app.snapshot()['building'])
    self.boundary()
    app.on_tick(tick(1))
    self.assertFalse(app.snapshot()['building'])

  def test_new_program_switches_at_a_tick_and_builds_its_agents(self):
    app = self.make()
    self.boundary()
    app.handlers()['drums/program']('bpm 90; source kick; learn closedhat;')
    self.assertEqual(app.program_text, 'source kick*2; learn snare*2;')
    self.boundary()  # switched; the closedhat agent is submitted.
    self.assertEqual(app.drums.session.modes, {'closedhat': 'learn'})
    self.assertEqual(set(self.bpms), {90.0})  # the program's tempo.
    self.assertEqual(app.program_text, 'bpm 90; source kick; learn closedhat;')
    self.boundary()
    self.assertEqual([b[0] for b in self.built], ['snare', 'closedhat'])
    self.assertIn('closedhat', app.drums.session.agents)

  def test_an_evaluation_sets_the_programs_tempo(self):
    # bpm 90 playing; the page's tempo box sets 100 (/tempo, straight to the
    # clock); evaluating the same program again brings 90 back.
    app = self.make('bpm 90; kick;')
    self.boundary()
    self.bpms.append(100.0)  # what /tempo did to the clock.
    app.set_program('bpm 90; kick;')
    self.boundary()
    self.assertEqual(self.bpms[-1], 90.0)
    app.set_program('kick;')  # no bpm: the default, 120.
    self.boundary()
    self.assertEqual(self.bpms[-1], 120.0)

  def test_parse_error_keeps_the_old_program(self):
    app = self.make()
    app.set_program('source kick;\nlern snare;')
    self.boundary()
    self.assertEqual(app.program_text, 'source kick*2; learn snare*2;')
    app.on_tick(tick(0))
    self.assertIn('line 2, column 1', app.snapshot()['build_errors'][-1])

  def test_hush_silences_until_the_next_program(self):
    app = self.make('kick*8;')
    app.on_tick(tick(0))
    self.assertLen(self.sink.notes, 1)
    app.handlers()['hush']()
    for i in range(1, 4):
      app.on_tick(tick(i))
    self.assertLen(self.sink.notes, 1)
    self.assertTrue(app.snapshot()['hushed'])
    app.set_program('kick*8;')
    self.boundary()
    app.on_tick(tick(4))
    self.assertLen(self.sink.notes, 2)

  def test_hparams_reset_the_agents_and_keep_modes(self):
    app = self.make()
    self.boundary()
    app.handlers()['drums/mode']('snare', 'predict')
    app.handlers()['drums/hparams']('structure=16/4,epsilon=0.2')
    self.boundary()  # the new session swaps in; its agent is submitted.
    self.boundary()
    app.on_tick(tick(0))
    self.assertEqual(self.built[-1][1].structure, (16, 4))
    self.assertEqual(app.snapshot()['hparams']['structure'], [16, 4])
    self.assertEqual(app.snapshot()['hparams']['epsilon'], 0.2)
    self.assertEqual(app.drums.session.modes, {'snare': 'predict'})
    self.assertIn('snare', app.drums.session.agents)
    self.boundary()  # the old session's agent is closed off the clock.
    old_agents = [a for a in self.agents if a.hparams.structure != (16, 4)]
    self.assertEqual([getattr(a, 'closed', False) for a in old_agents],
                     [True])
    with self.assertRaisesRegex(ValueError, 'epsilon'):
      app.set_hparams('epsilon=3')

  def test_export_then_import(self):
    app = self.make('bpm 100; source kick*2;')
    app.on_tick(tick(0, bpm=100.0))
    path = os.path.join(self.create_tempdir().full_path, 's.json')
    app.handlers()['studio/export'](path)
    self.boundary()
    with open(path) as f:
      data = json.load(f)
    self.assertEqual(data['program'], 'bpm 100; source kick*2;')
    self.assertEqual(data['settings']['bpm'], 100.0)
    self.assertIsNone(data['agents_npz_base64'])
    app.set_program('kick*4;')
    self.boundary()
    self.assertEqual(app.program_text, 'kick*4;')
    app.handlers()['studio/import'](path)
    self.boundary()
    app.on_tick(tick(1))
    self.assertEqual(app.program_text, 'bpm 100; source kick*2;')
    self.assertEqual(self.bpms[-1], 100.0)

  def test_carl_verbs_and_steps_run_on_carls_own_clock(self):
    carl = FakeCarl()
    self.built, self.sink = [], CountingSink()
    app = studio_app.StudioApp('kick*2;', self.sink, carl=carl,
                               agent_factory_fn=factory_fn(self.built))
    app.handlers()['carl/reward'](1.0)
    for i in range(4):
      app.on_tick(tick(i))  # drum ticks do not step CARL.
    self.assertEqual((carl.ticks, carl.rewards), (0, []))
    app.carl_tick(tick(0))
    self.assertEqual((carl.ticks, carl.rewards), (1, [1.0]))


if __name__ == '__main__':
  absltest.main()
