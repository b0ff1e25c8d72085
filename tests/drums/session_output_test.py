"""Tests of drums.session_output: NoteSequence/MIDI, WAV, figure."""

import os
import shutil

from absl.testing import absltest
import note_seq

from drums import session_output
from tests.drums import testing_utils


def records(program, bars=1):
  session, _ = testing_utils.make_session(program)
  return session, session.run(bars)


class SessionOutputTest(absltest.TestCase):

  def test_note_sequence_drum_track(self):
    session, recs = records('bpm 150; kick*2 3,3,2; snare*2+0.5 (amp:0.8);')
    sequence = session_output.to_note_sequence(recs, session.bpm)
    self.assertEqual(sequence.tempos[0].qpm, 150)
    drums = [(n.pitch, round(n.start_time, 4), n.velocity, n.is_drum,
              n.instrument) for n in sequence.notes]
    # A bar at 150 qpm is 4 * 0.4 s = 1.6 s; kick at 0, 3/16, 3/8 bar = 0,
    # 0.3, 0.6 s (exact written times, not the latched ticks); snare 1/4 bar
    # = 0.4 s at velocity 80.
    self.assertEqual(sorted(drums)[:3], [(36, 0.0, 100, True, 9),
                                         (36, 0.3, 100, True, 9),
                                         (36, 0.6, 100, True, 9)])
    self.assertIn((38, 0.4, 80, True, 9), drums)
    self.assertAlmostEqual(sequence.total_time, 1.6)

  def test_predicted_hits_at_their_tick_and_synths(self):
    session, recs = records('bpm 120; source kick*2 3,3,2; predict snare; '
                            'bass*2 1 36,43;')
    sequence = session_output.to_note_sequence(recs, session.bpm)
    snare = sorted(round(n.start_time, 4) for n in sequence.notes
                   if n.pitch == 38)
    # Echo agent: snare at ticks 0 1 3 4 5 7; a tick is 2 s / 8 = 0.25 s.
    self.assertEqual(snare, [0.0, 0.25, 0.75, 1.0, 1.25, 1.75])
    bass = [(n.pitch, n.start_time, n.end_time, n.is_drum, n.program)
            for n in sequence.notes if not n.is_drum]
    self.assertEqual(bass, [(36, 0.0, 1.0, False, 38),
                            (43, 1.0, 2.0, False, 38)])

  def test_midi_round_trip(self):
    session, recs = records('kick*4;', bars=2)
    path = os.path.join(self.create_tempdir().full_path, 'out.mid')
    session_output.write_midi(
        path, session_output.to_note_sequence(recs, session.bpm))
    loaded = note_seq.midi_file_to_note_sequence(path)
    self.assertLen(loaded.notes, 8)
    self.assertTrue(all(n.is_drum and n.pitch == 36 for n in loaded.notes))

  def test_figure(self):
    _, recs = records(testing_utils.PROGRAM, bars=2)
    grids = session_output.pattern_grids(recs)
    self.assertEqual(grids['snare']['target'].tolist()[:8],
                     [0, 0, 1, 0, 0, 0, 1, 0])
    self.assertEqual(grids['snare']['predicted'].tolist()[:8],
                     [1, 1, 0, 1, 1, 1, 0, 1])
    path = os.path.join(self.create_tempdir().full_path, 'p.png')
    session_output.plot_patterns(recs, path)
    with open(path, 'rb') as f:
      self.assertEqual(f.read(4), b'\x89PNG')

  @absltest.skipIf(shutil.which('fluidsynth') is None or not os.path.exists(
      session_output.DEFAULT_SOUNDFONT), 'fluidsynth or soundfont missing')
  def test_wav(self):
    session, recs = records('bpm 150; kick*4; snare*2+0.5;')
    midi = session_output.write_midi(
        os.path.join(self.create_tempdir().full_path, 'w.mid'),
        session_output.to_note_sequence(recs, session.bpm))
    out = self.create_tempdir().full_path
    wav = session_output.render_wav(midi, os.path.join(out, 'w.wav'))
    import soundfile  # pylint: disable=g-import-not-at-top
    audio, rate = soundfile.read(wav)
    self.assertEqual(rate, 44100)
    self.assertGreater(len(audio), rate)  # At least the 1.6 s bar.
    self.assertGreater(abs(audio).max(), 0.01)

  def test_wav_missing_soundfont(self):
    with self.assertRaisesRegex(FileNotFoundError, 'nope.sf2'):
      session_output.render_wav(
          'x.mid', os.path.join(self.create_tempdir().full_path, 'x.wav'),
          '/nope.sf2')


if __name__ == '__main__':
  absltest.main()
