"""Language programs through the engine: every setting is heard."""

import os

import numpy as np
from absl.testing import absltest

from drums import language
from sonification.audio import engine as engine_lib
from sonification.audio import program_tracks

SR = 44100


def render(text, bars=1):
  return program_tracks.render_program(engine_lib.Engine(SR, 128),
                                       language.parse(text), bars)


class ProgramTracksTest(absltest.TestCase):

  def test_effects_reach_the_sound(self):
    # Issue 10: these used to render to the same WAV sample for sample.
    pairs = [('kick*2 3,3,2;', 'kick*2 3,3,2 (dist:2, lpf:200);'),
             ('snare;', 'snare (hpf:5000);'),
             ('lead 1 48 cut10 res10;', 'lead 1 48 cut100 res90 env70;')]
    for dry, wet in pairs:
      a, b = render(dry), render(wet)
      self.assertEqual(a.shape, b.shape)
      self.assertGreater(np.max(np.abs(a - b)), 0.05, msg=wet)

  def test_every_example_sounds_under_the_ceiling(self):
    for name in sorted(os.listdir('drums/examples')):
      with open(os.path.join('drums/examples', name)) as f:
        audio = render(f.read(), 2)
      peak = float(np.max(np.abs(audio)))
      self.assertLessEqual(peak, 10 ** (-1 / 20) + 1e-6, msg=name)  # -1 dBFS.
      self.assertGreater(peak, 0.1, msg=name)

  def test_bit_identical(self):
    with open('drums/examples/synths.gos') as f:
      text = f.read()
    self.assertEqual(render(text, 2).tobytes(), render(text, 2).tobytes())

  def test_onsets_at_written_phases(self):
    # bpm 120: a bar is 2 s = 88200 samples; kick*2 3,3,2 hits at 0, 3/16,
    # 3/8, 1/2, 11/16, 7/8 of the bar -> samples 0, 16537.5, 33075, ...
    audio = render('bpm 120; kick*2 3,3,2;')[:, 0]
    delay = engine_lib.Limiter(SR).window - 1
    envelope = np.abs(audio)
    self.assertEqual(int(np.argmax(envelope > 1e-6)), delay)
    for phase in (3 / 16, 3 / 8, 1 / 2, 11 / 16, 7 / 8):
      start = int(round(phase * 88200)) + delay
      self.assertLess(np.max(envelope[start - 200:start - 1]),
                      0.5 * np.max(envelope[start:start + 400]),
                      msg=f'phase {phase}')

  def test_track_settings(self):
    program = language.parse(
        'bass*2 3,3,2 36,43,48 cut40 res70 env30 (dist:3, lpf:400);'
        'lead*4 1 60 cut_mousex res_mousey env90;')
    self.assertEqual(program_tracks.track_settings(program.statements[0]),
                     dict(instrument='bass',
                          effects=(('dist', 3.0), ('lpf', 400.0)),
                          params={'cut': 40.0, 'res': 70.0, 'env': 30.0},
                          bindings={}))
    lead = program_tracks.track_settings(program.statements[1])
    self.assertEqual(lead['bindings'], {'cut': 'mousex', 'res': 'mousey'})
    self.assertEqual(lead['params'], {'cut': 50.0, 'res': 50.0, 'env': 90.0})


if __name__ == '__main__':
  absltest.main()
