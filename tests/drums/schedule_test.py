"""Tests of drums.schedule: exact onsets, latching, note cycling."""

from fractions import Fraction as F

from absl.testing import absltest
from absl.testing import parameterized

from drums import language
from drums import schedule


def phases(text, bar=0):
  (s,) = language.parse(text).statements
  return [o.phase for o in schedule.onsets(s.speed, s.offset, s.ratios, bar)]


class OnsetsTest(parameterized.TestCase):

  @parameterized.parameters(
      # The SPEC's examples, one bar = phase 0..1.
      ('kick;', [0]),
      ('kick*4;', [0, F(1, 4), F(1, 2), F(3, 4)]),
      ('snare*2+0.5;', [F(1, 4), F(3, 4)]),
      ('closedhat*1 3,3,2;', [0, F(3, 8), F(6, 8)]),
      ('kick*2 3,3,2;', [0, F(3, 16), F(6, 16), F(1, 2), F(11, 16),
                         F(14, 16)]),
      ('openhat*2 1,1,2 (amp:0.7, hpf:4000);',
       [0, F(1, 8), F(1, 4), F(1, 2), F(5, 8), F(3, 4)]),
      ('bass*2 3,3,2 36,43,48;', [0, F(3, 16), F(6, 16), F(1, 2), F(11, 16),
                                  F(14, 16)]),
      ('lead*4 1 60,64,67;', [0, F(1, 4), F(1, 2), F(3, 4)]),
      # An offset shifts the whole cycle; the tail wraps: parts at 0 and 1/2
      # of a half-bar cycle, shifted by 3/4 cycle = 3/8 bar -> 3/8, 5/8 and
      # the wrapped 5/8 + 1/2 - 1 = 1/8, 7/8.
      ('snare*2+0.75 1,1;', [F(1, 8), F(3, 8), F(5, 8), F(7, 8)]),
  )
  def test_exact_onsets(self, text, expected):
    self.assertEqual(phases(text), expected)
    self.assertEqual(phases(text, bar=5), expected)  # Whole-bar cycles.

  def test_fractional_speed_spans_bars(self):
    # 1.5 cycles per bar: onsets every 2/3 bar at 0, 2/3, 4/3, 2, ...
    self.assertEqual(phases('kick*1.5;', 0), [0, F(2, 3)])
    self.assertEqual(phases('kick*1.5;', 1), [F(1, 3)])
    self.assertEqual(phases('kick*1.5;', 2), [0, F(2, 3)])

  def test_bad_pattern_raises(self):
    with self.assertRaisesRegex(ValueError, 'speed'):
      schedule.onsets(F(0), F(0), [F(1)])


class LatchTest(absltest.TestCase):

  def test_hits_between_ticks_latch_to_their_tick(self):
    # kick*2 3,3,2: 0, 3/16, 3/8, 1/2, 11/16, 7/8 -> x8: 0, 1.5, 3, 4, 5.5,
    # 7 -> ticks 0, 1, 3, 4, 5, 7 (3/16 and 11/16 latch, none dropped).
    self.assertEqual(schedule.latch(phases('kick*2 3,3,2;')),
                     (1, 1, 0, 1, 1, 1, 0, 1))
    self.assertEqual(schedule.tick_of(F(3, 16)), 1)
    self.assertEqual(schedule.tick_of(F(15, 16)), 7)

  def test_two_hits_in_one_tick_become_one(self):
    # closedhat*16: two hits per tick, each tick hit once.
    self.assertEqual(schedule.latch(phases('closedhat*16;')), (1,) * 8)


class ProgramScheduleTest(absltest.TestCase):

  def test_note_cycling_across_onsets_and_bars(self):
    program = language.parse('bass*2 3,3,2 36,43,48; lead*4 1 60,64,67;')
    sched = schedule.ProgramSchedule(program)
    bass = lambda b: [n.pitch for n in sched.bar(b).synth_notes
                      if n.synth == 'bass']
    lead = lambda b: [n.pitch for n in sched.bar(b).synth_notes
                      if n.synth == 'lead']
    self.assertEqual(bass(0), [36, 43, 48, 36, 43, 48])
    self.assertEqual(lead(0), [60, 64, 67, 60])
    self.assertEqual(lead(1), [64, 67, 60, 64])  # Continues across bars.

  def test_synth_note_fields(self):
    program = language.parse('bass*2 3,3,2 36,43,48 cut40 res70 env30 '
                             '(dist:3, lpf:400);')
    first = schedule.ProgramSchedule(program).bar(0).synth_notes[1]
    self.assertEqual(first.phase, F(3, 16))
    self.assertEqual(first.tick, 1)
    self.assertEqual(first.duration, F(3, 16))  # 3/8 of a half-bar cycle.
    self.assertEqual((first.cut, first.res, first.env), (40.0, 70.0, 30.0))
    self.assertEqual(first.effects, (('dist', 3.0), ('lpf', 400.0)))

  def test_grids_roles_and_velocity(self):
    program = language.parse('source kick*2 3,3,2; learn snare*2+0.5; '
                             'closedhat*4 1,1,2 (amp:0.6, hpf:5000);')
    bar = schedule.ProgramSchedule(program).bar(3)
    self.assertEqual(bar.source_grid(), (1, 1, 0, 1, 1, 1, 0, 1))
    self.assertEqual(bar.grid('snare'), (0, 0, 1, 0, 0, 0, 1, 0))
    self.assertEqual(bar.grid('snare', ('predict',)), (0,) * 8)
    # closedhat*4 1,1,2: 0, 1/16, 1/8, 1/4, ... -> ticks 0, 0, 1, 2, 2, 3, ...
    self.assertEqual(bar.grid('closedhat'), (1, 1, 1, 1, 1, 1, 1, 1))
    hats = [h for h in bar.drum_hits if h.instrument == 'closedhat']
    self.assertEqual({h.velocity for h in hats}, {60})  # amp 0.6 x 100.
    # Tick 2 = [1/4, 3/8): snare 1/4, closedhat 1/4 and 5/16 (both latched
    # there; the session plays one closedhat hit).
    self.assertEqual([(h.instrument, h.phase) for h in bar.hits_at(2)],
                     [('snare', F(1, 4)), ('closedhat', F(1, 4)),
                      ('closedhat', F(5, 16))])

  def test_velocity_of(self):
    self.assertEqual(schedule.velocity_of(()), 100)
    self.assertEqual(schedule.velocity_of((('amp', 0.5), ('amp', 0.5))), 25)
    self.assertEqual(schedule.velocity_of((('amp', 3.0),)), 127)

  def test_gm_drum_notes_and_tick_length(self):
    self.assertEqual(schedule.GM_DRUM_NOTES,
                     {'kick': 36, 'snare': 38, 'closedhat': 42, 'openhat': 46})
    self.assertAlmostEqual(schedule.tick_seconds(150), 0.2)  # 60/150*4/8.


if __name__ == '__main__':
  absltest.main()
