"""Tests of drums.session with a scripted agent (no TensorFlow)."""

import sys

from absl.testing import absltest

from drums import language
from drums import session as session_lib
from tests.drums import testing_utils

PROGRAM = testing_utils.PROGRAM
make = testing_utils.make_session


class DrumSessionTest(absltest.TestCase):

  def test_no_tensorflow_imported(self):
    make()[0].run(1)
    self.assertNotIn('tensorflow', sys.modules)

  def test_learn_plays_written_pattern_and_feeds_agent(self):
    session, agents = make()
    records = session.run(1)
    self.assertEqual(session.bpm, 150)
    # kick*2 3,3,2 latched: ticks 0 1 3 4 5 7; snare*2+0.5: ticks 2 and 6.
    self.assertEqual([r.source for r in records], [1, 1, 0, 1, 1, 1, 0, 1])
    self.assertEqual(agents['snare'].calls[:3], [
        (0, 1, 0, 'learn'), (1, 1, 0, 'learn'), (2, 0, 1, 'learn')])
    snare_ticks = [r.tick for r in records
                   if any(h.instrument == 'snare' for h in r.hits)]
    self.assertEqual(snare_ticks, [2, 6])  # Written pattern heard.
    self.assertEqual(records[2].losses, {'snare': 0.5})
    hats = [h for r in records for h in r.hits if h.instrument == 'closedhat']
    self.assertLen(hats, 4)
    self.assertEqual({h.velocity for h in hats}, {50})

  def test_predict_replaces_written_pattern(self):
    session, _ = make(PROGRAM.replace('learn', 'predict'))
    records = session.run(1)
    # The echo agent plays the snare where the kick is: 0 1 3 4 5 7.
    snare = [(r.tick, h.predicted) for r in records for h in r.hits
             if h.instrument == 'snare']
    self.assertEqual(snare, [(t, True) for t in (0, 1, 3, 4, 5, 7)])
    self.assertEqual(records[0].losses, {})

  def test_hits_carry_their_statement(self):
    # The audio engine plays each hit through its statement's effect chain.
    # PROGRAM.statements: 0 source kick, 1 learn/predict snare, 2 closedhat.
    program = language.parse(PROGRAM)
    index = {s.instrument: i for i, s in enumerate(program.statements)}
    for text in (PROGRAM, PROGRAM.replace('learn', 'predict')):
      session, _ = make(text)
      hits = [h for r in session.run(1) for h in r.hits]
      self.assertNotEmpty(hits)
      for hit in hits:
        self.assertEqual(hit.statement, index[hit.instrument], msg=hit)

  def test_off_plays_written_and_ignores_agent(self):
    session, agents = make()
    session.set_mode('snare', 'off')
    records = session.run(1)
    self.assertEqual([r.tick for r in records for h in r.hits
                      if h.instrument == 'snare'], [2, 6])
    self.assertEqual(records[0].actions, {})
    self.assertEqual(agents['snare'].calls[0][3], 'off')

  def test_set_mode_errors(self):
    session, _ = make()
    with self.assertRaisesRegex(ValueError, 'unknown mode'):
      session.set_mode('snare', 'sing')
    with self.assertRaisesRegex(ValueError, "'openhat' has no learn"):
      session.set_mode('openhat', 'learn')

  def test_set_program_keeps_agents_and_bad_program_keeps_old(self):
    session, agents = make()
    session.run(1)
    session.set_program(PROGRAM.replace('learn', 'predict'))
    session.run(1)
    self.assertLen(agents, 1)  # The same snare agent, now predicting.
    self.assertEqual(agents['snare'].calls[-1][3], 'predict')
    with self.assertRaises(language.ParseError):
      session.set_program('tom;')
    self.assertEqual(session.modes, {'snare': 'predict'})
    session.reset()
    self.assertEqual(agents['snare'].resets, 1)

  def test_on_tick_adapter_contract(self):
    session, _ = make()
    hits = session.on_tick(0)
    self.assertCountEqual(hits, [('kick', 100), ('closedhat', 50)])
    # Tick 1: the kick at 3/16 bar, latched (closedhat*4 hits 0, 1/4, ...).
    self.assertEqual(session.on_tick(1), [('kick', 100)])
    # Tick 10 = bar 1, tick 2: the written snare (learn) and the hat at 1/4.
    self.assertEqual(session.on_tick(10), [('snare', 100), ('closedhat', 50)])

  def test_synth_notes_and_controls(self):
    session, _ = make('lead*4 1 60,64,67 cut_mousex res_mousey env90;')
    records = session.run(2)
    self.assertEqual([n.pitch for r in records for n in r.notes],
                     [60, 64, 67, 60, 64, 67, 60, 64])
    session.set_control('mousex', 0.25)
    self.assertEqual(session.synth_value('mousex'), 25.0)
    self.assertEqual(session.synth_value(40.0), 40.0)
    with self.assertRaisesRegex(ValueError, 'mousez'):
      session.set_control('mousez', 0.5)

  def test_max_records(self):
    session, _ = make(max_records=8)
    session.run(3)
    self.assertLen(session.records, 8)
    self.assertEqual(session.records[0].bar, 2)

  def test_from_program(self):
    session = session_lib.from_program('kick*4;')
    self.assertEqual([h for r in session.run(1) for h in r.hits][0].phase, 0)


if __name__ == '__main__':
  absltest.main()
