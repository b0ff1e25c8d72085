"""Tests for sonification/studio/studio_app.py (fake agents, no TF)."""

import collections
import json
import os
import threading
import time

from absl.testing import absltest

from drums import language
from sonification import clock
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


class CountingSink(sinks.Sink):

  def __init__(self):
    self.notes = []

  def note_on(self, pitch, velocity=100, channel=0, time_s=0.0):
    self.notes.append(pitch)


def factory_fn(built):
  def factory(hparams):
    def make(instrument):
      built.append((instrument, hparams))
      return FakeAgent(hparams)
    return make
  return factory


def tick(i, bpm=120.0):
  return clock.Tick(i, i // 8, i % 8, (i % 8) / 8, 0.0, 0.0, bpm)


class StudioAppTest(absltest.TestCase):

  def make(self, program='source kick*2; learn snare*2;'):
    self.built, self.bpms, self.sink = [], [], CountingSink()
    return studio_app.StudioApp(program, self.sink,
                                agent_factory_fn=factory_fn(self.built),
                                set_bpm=self.bpms.append, background=False)

  def test_pattern_and_loss_per_bar(self):
    app = self.make()
    for i in range(17):
      app.on_tick(tick(i))
    s = app.snapshot()
    self.assertEqual((s['tick'], s['bar'], s['step']), (16, 2, 0))
    # kick*2 and snare*2 hit ticks 0 and 4; the fake predicts the source.
    self.assertEqual(s['pattern']['source'], [1, 0, 0, 0, 1, 0, 0, 0])
    self.assertEqual(s['pattern']['target'], {'snare': [1, 0, 0, 0] * 2})
    self.assertEqual(s['pattern']['predicted'], {'snare': [1, 0, 0, 0] * 2})
    # Mean loss per bar: (0.1 + 7 x 0.5) / 8 = 0.45 for bars 0 and 1.
    self.assertEqual(list(s['loss']), ['snare'])
    self.assertEqual([b for b, _ in s['loss']['snare']], [0, 1])
    for _, loss in s['loss']['snare']:
      self.assertAlmostEqual(loss, 0.45)
    self.assertEqual(s['modes'], {'snare': 'learn'})
    self.assertIsNone(s['carl'])

  def test_new_agents_are_built_before_the_program_applies(self):
    app = self.make()
    self.assertEqual([b[0] for b in self.built], ['snare'])
    app.handlers()['drums/program']('bpm 90; source kick; learn closedhat;')
    self.assertEqual([b[0] for b in self.built], ['snare', 'closedhat'])
    # The published snapshot changes at the next tick.
    app.on_tick(tick(0))  # installed at the tick boundary.
    self.assertEqual(app.drums.session.modes, {'closedhat': 'learn'})
    self.assertEqual(self.bpms, [90.0])
    self.assertEqual(app.program_text, 'bpm 90; source kick; learn closedhat;')

  def test_a_later_program_wins_over_a_slower_build(self):
    app = self.make()
    app._background = True  # pylint: disable=protected-access
    release = threading.Event()
    slow = factory_fn(self.built)

    def blocking(hparams):
      make = slow(hparams)
      def wait_then_make(instrument):
        release.wait(10)
        return make(instrument)
      return wait_then_make

    app._factory_fn = blocking  # pylint: disable=protected-access
    app.set_program('source kick; learn openhat;')  # builds in a thread.
    self.assertTrue(app.building)
    app.set_program('source kick*4; learn snare*4;')  # no new agent: now.
    release.set()
    for _ in range(200):
      if not app.building:
        break
      time.sleep(0.01)
    app.on_tick(tick(0))
    self.assertEqual(app.program_text, 'source kick*4; learn snare*4;')

  def test_parse_error_keeps_the_old_program(self):
    app = self.make()
    with self.assertRaises(language.ParseError) as e:
      app.set_program('source kick;\nlern snare;')
    self.assertEqual((e.exception.line, e.exception.column), (2, 1))
    self.assertEqual(app.program_text, 'source kick*2; learn snare*2;')

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
    app.on_tick(tick(4))
    self.assertLen(self.sink.notes, 2)

  def test_hparams_reset_the_agents_and_keep_modes(self):
    app = self.make()
    app.handlers()['drums/mode']('snare', 'predict')
    app.handlers()['drums/hparams']('structure=16/4,epsilon=0.2')
    app.on_tick(tick(0))
    self.assertEqual(self.built[-1][1].structure, (16, 4))
    self.assertEqual(app.snapshot()['hparams']['structure'], [16, 4])
    self.assertEqual(app.snapshot()['hparams']['epsilon'], 0.2)
    self.assertEqual(app.drums.session.modes, {'snare': 'predict'})
    with self.assertRaisesRegex(ValueError, 'epsilon'):
      app.set_hparams('epsilon=3')

  def test_export_then_import(self):
    app = self.make('bpm 100; source kick*2;')
    app.on_tick(tick(0, bpm=100.0))
    path = os.path.join(self.create_tempdir().full_path, 's.json')
    app.handlers()['studio/export'](path)
    with open(path) as f:
      data = json.load(f)
    self.assertEqual(data['program'], 'bpm 100; source kick*2;')
    self.assertEqual(data['settings']['bpm'], 100.0)
    self.assertIsNone(data['agents_npz_base64'])
    app.set_program('kick*4;')
    app.handlers()['studio/import'](path)
    app.on_tick(tick(1))
    self.assertEqual(app.program_text, 'bpm 100; source kick*2;')
    self.assertEqual(self.bpms[-1], 100.0)


if __name__ == '__main__':
  absltest.main()
