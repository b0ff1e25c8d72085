"""Tests for the melody pipeline (no TensorFlow)."""

import os
from unittest import mock

from absl.testing import absltest
import note_seq
import numpy as np

from rl_tuner.note_rnn import abc_reader
from rl_tuner.note_rnn import melody_pipeline as mp

# L:1/8 at 4 steps per quarter: an eighth is 2 steps, '2' a quarter (4 steps).
TUNE_C = """X:1
T:Tiny in C
M:4/4
L:1/8
K:C
C2 D E z2 G2 | c4 z4 |]
"""
# The same tune in D major (F is sharp): transposing to C gives TUNE_C.
TUNE_D = """X:2
T:Tiny in D
M:4/4
L:1/8
K:D
D2 E F z2 A2 | d4 z4 |]
"""
# C4 (action 14) 4 steps, D4 (16) 2, E4 (18) 2, rest 4 (NOTE_OFF + 3 holds),
# G4 (21) 4, C5 (26) 8; the final rest ends the melody (note_seq drops it).
EXPECTED_C = [14, 1, 1, 1, 16, 1, 18, 1, 0, 1, 1, 1, 21, 1, 1, 1,
              26, 1, 1, 1, 1, 1, 1, 1]


def _write(path, text):
  with open(path, 'w') as f:
    f.write(text)
  return path


def _write_midi(path):
  """C4 for a quarter, E4 an eighth, an eighth rest, G4 a half (120 qpm)."""
  seq = note_seq.NoteSequence()
  seq.tempos.add(qpm=120)
  for pitch, start, end in [(60, 0.0, 0.5), (64, 0.5, 0.75), (67, 1.0, 2.0)]:
    seq.notes.add(pitch=pitch, start_time=start, end_time=end, velocity=80)
  seq.total_time = 2.0
  note_seq.sequence_proto_to_midi_file(seq, path)
  return path


# 0.5 s = a quarter = 4 steps: C4 4 steps, E4 2, rest 2, G4 8.
EXPECTED_MIDI = [14, 1, 1, 1, 18, 1, 0, 1, 21, 1, 1, 1, 1, 1, 1, 1]


class AbcTest(absltest.TestCase):

  def test_rests_become_placeholders_only_in_music_lines(self):
    text = 'T: zz top\nK:G\n"Gz" z2 x A | !fz! [M:3/4] z/2 % z comment\n'
    out = abc_reader.preprocess_abc(text)
    self.assertEqual(out.splitlines(), [
        'T: zz top', 'K:G',
        '"Gz" C,,,,2 C,,,, A | !fz! [M:3/4] C,,,,/2 % z comment'])

  def test_triplets_grace_notes_and_backquotes(self):
    # (3 notes last 2/3 of their written length; z/2 in a triplet -> 1/3.
    out = abc_reader.preprocess_abc('(3cde {g}f`g (3z/2B,,3/2^c2 "(3ab" |')
    self.assertEqual(out,
                     'c2/3d2/3e2/3 fg C,,,,1/3B,,1/1^c4/3 "(3ab" |')

  def test_triplet_durations_after_quantization(self):
    path = _write(os.path.join(self.create_tempdir().full_path, 't.abc'),
                  'X:1\nT:t\nM:4/4\nL:1/8\nK:C\n(3cde c2 (3zGA c4 |]\n')
    tunes, _ = mp.read_abc_file(path)
    melody = mp.extract_melodies(tunes[0][1], mp.PipelineConfig(
        transpose_to_key=None, min_melody_steps=2))[0]
    # Triplet eighths last 4/3 steps: onsets 0, 4/3, 8/3 round to 0, 1, 3.
    # C5 26, D5 28, E5 30; c2 at 4; rest at 8, G4 (21) at 9, A4 (23) at 11;
    # C5 at 12 for 8 steps.
    self.assertEqual(melody.tolist(), [26, 28, 1, 30, 26, 1, 1, 1,
                                       0, 21, 1, 23, 26, 1, 1, 1, 1, 1, 1, 1])

  def test_tiny_tune_exact_actions(self):
    path = _write(os.path.join(self.create_tempdir().full_path, 't.abc'),
                  TUNE_C)
    tunes, failed = mp.read_abc_file(path)
    self.assertEqual(failed, 0)
    self.assertLen(tunes, 1)
    melodies = mp.extract_melodies(tunes[0][1])
    self.assertLen(melodies, 1)
    self.assertEqual(melodies[0].tolist(), EXPECTED_C)

  def test_transposes_to_c_major(self):
    path = _write(os.path.join(self.create_tempdir().full_path, 'd.abc'),
                  TUNE_D)
    tunes, _ = mp.read_abc_file(path)
    self.assertEqual(mp.extract_melodies(tunes[0][1])[0].tolist(), EXPECTED_C)
    # Without transposition D4 is action 16 (62 - 46).
    kept = mp.extract_melodies(tunes[0][1],
                               mp.PipelineConfig(transpose_to_key=None))
    self.assertEqual(kept[0][0], 16)


class MidiTest(absltest.TestCase):

  def test_tiny_midi_exact_actions(self):
    path = _write_midi(os.path.join(self.create_tempdir().full_path, 'm.mid'))
    ds = mp.load_dataset([path], mp.PipelineConfig(
        transpose_to_key=None, validation_fraction=0.0))
    self.assertEqual([m.tolist() for m in ds.train], [EXPECTED_MIDI])
    self.assertEqual(ds.stats['tunes'], 1)

  def test_corrupt_midi_in_directory_is_skipped_and_counted(self):
    d = self.create_tempdir().full_path
    _write_midi(os.path.join(d, 'good.mid'))
    _write(os.path.join(d, 'bad.mid'), 'not a midi file')
    with self.assertLogs(level='WARNING') as logs:
      ds = mp.load_dataset([d], mp.PipelineConfig(validation_fraction=0.0))
    self.assertEqual(ds.stats['files_skipped'], 1)
    self.assertEqual(ds.stats['files_read'], 1)
    self.assertIn('bad.mid', '\n'.join(logs.output))

  def test_single_corrupt_midi_raises_naming_it(self):
    bad = _write(os.path.join(self.create_tempdir().full_path, 'bad.mid'),
                 'garbage')
    with self.assertRaisesRegex(mp.CorpusError, 'bad.mid'):
      mp.load_dataset([bad])


class DatasetTest(absltest.TestCase):

  def _corpus(self, num_tunes=10):
    d = self.create_tempdir().full_path
    body = TUNE_C.split('\n', 1)[1]
    text = '\n'.join(f'X:{i + 1}\n{body}' for i in range(num_tunes))
    _write(os.path.join(d, 'book.abc'), text)
    return d

  def test_split_is_by_tune_and_deterministic(self):
    ids = [f'tune{i}' for i in range(10)]
    train, val = mp.split_tunes(ids, 0.2, seed=3)
    self.assertEqual((train, val), mp.split_tunes(list(reversed(ids)), 0.2, 3))
    self.assertLen(val, 2)  # round(0.2 * 10).
    self.assertEqual(sorted(train + val), sorted(ids))
    self.assertEmpty(set(train) & set(val))

  def test_load_dataset_splits_tunes(self):
    ds = mp.load_dataset([self._corpus()], mp.PipelineConfig(
        validation_fraction=0.2))
    self.assertEqual((ds.stats['train_tunes'], ds.stats['validation_tunes']),
                     (8, 2))
    self.assertLen(ds.train, 8)
    self.assertEqual(ds.stats['train_steps'], 8 * len(EXPECTED_C))

  def test_cache_hit_skips_parsing(self):
    corpus, cache = self._corpus(), self.create_tempdir().full_path
    first = mp.load_dataset([corpus], cache_dir=cache)
    self.assertEqual(first.stats['cache'], 'miss')
    with mock.patch.object(mp, 'read_abc_file',
                           side_effect=AssertionError('parsed again')):
      second = mp.load_dataset([corpus], cache_dir=cache)
    self.assertEqual(second.stats['cache'], 'hit')
    self.assertEqual([m.tolist() for m in second.train],
                     [m.tolist() for m in first.train])
    # Other settings -> another cache entry -> parsed again.
    with mock.patch.object(mp, 'read_abc_file',
                           side_effect=mp.CorpusError('parsed again')):
      with self.assertRaises(mp.CorpusError):
        mp.load_dataset([corpus], mp.PipelineConfig(seed=1), cache_dir=cache)

  def test_empty_corpus_raises(self):
    with self.assertRaisesRegex(mp.CorpusError, 'Empty corpus'):
      mp.load_dataset([])
    empty = self.create_tempdir().full_path
    with self.assertRaisesRegex(mp.CorpusError, 'no ABC or MIDI'):
      mp.load_dataset([empty])
    with self.assertRaisesRegex(mp.CorpusError, 'nosuch'):
      mp.load_dataset(['nosuch'])

  def test_bad_config_names_the_field(self):
    with self.assertRaisesRegex(ValueError, 'validation_fraction'):
      mp.PipelineConfig(validation_fraction=1.5)

  def test_make_windows(self):
    melody = np.arange(100) % 38
    w = mp.make_windows([melody], window_steps=64, window_stride=32)
    # Starts 0, 32 and 64 (36 steps left >= 16); the last is padded after 36.
    self.assertEqual(w.shape, (3, 64))
    self.assertEqual(w[1, 0], 32)
    self.assertEqual(w[2, :36].tolist(), melody[64:].tolist())
    self.assertTrue(np.all(w[2, 36:] == mp.PAD))
    # A 10-step melody gives one padded window; stride = window: no overlap.
    self.assertEqual(mp.make_windows([melody[:10]], 16, 16).shape, (1, 16))
    self.assertEqual(mp.make_windows([melody[:96]], 32, 32).shape, (3, 32))

  def test_window_starts_and_skips(self):
    melody = np.arange(100) % 38
    w, starts = mp.make_windows([melody, melody[:20]], window_steps=64,
                                window_stride=32, return_starts=True)
    # Melody 1: starts 0, 32, 64; melody 2: one window at 0.
    self.assertEqual(starts.tolist(), [0, 32, 64, 0])
    self.assertEqual(w.shape, (4, 64))
    # Windows that open a melody are scored from their first prediction.
    self.assertEqual(mp.window_skips(starts, 8).tolist(), [0, 8, 8, 0])

  def test_near_duplicate_validation_tunes_move_to_training(self):
    d = self.create_tempdir().full_path
    # Ten distinct tunes (each a rising run from its own note) and a variant
    # of every one (one note changed): every pair is a near-duplicate.
    letters = 'CDEFGABcdefgab'
    tunes = []
    for i in range(10):
      run = ' '.join(letters[i:i + 5])
      variant = ' '.join(letters[i:i + 4]) + ' ' + letters[i]
      for k, music in enumerate((run + ' ' + run, run + ' ' + variant)):
        tunes.append(f'X:{2 * i + k + 1}\nT:t\nM:4/4\nL:1/4\nK:C\n'
                     f'{music} |]\n')
    _write(os.path.join(d, 'book.abc'), '\n'.join(tunes))
    plain = mp.load_dataset([d], mp.PipelineConfig(
        validation_fraction=0.3, dedup_threshold=None, min_melody_steps=2))
    dedup = mp.load_dataset([d], mp.PipelineConfig(
        validation_fraction=0.3, min_melody_steps=2))
    self.assertEqual(plain.stats['validation_tunes'], 6)
    moved = dedup.stats['validation_near_duplicates_moved']
    self.assertGreater(moved, 0)
    self.assertEqual(dedup.stats['validation_tunes'], 6 - moved)
    self.assertEqual(dedup.stats['train_tunes'], 14 + moved)
    with self.assertRaisesRegex(ValueError, 'dedup_threshold'):
      mp.PipelineConfig(dedup_threshold=0.0)


if __name__ == '__main__':
  absltest.main()
