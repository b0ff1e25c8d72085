"""Smoke test of the drums_session binary: MIDI, PNG, WAV, summary, agents."""

import json
import os
import shutil

from absl.testing import flagsaver
import note_seq
import tensorflow as tf

from drums import beat_agent_hparams
from drums import drums_session
from drums import session_output

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), 'drums', 'examples')


class DrumsSessionBinaryTest(tf.test.TestCase):

  def test_every_example_parses(self):
    from drums import language  # pylint: disable=g-import-not-at-top
    names = sorted(os.listdir(EXAMPLES))
    self.assertContainsSubset(['learn_snare.gos', 'tresillo.gos'], names)
    for name in names:
      with open(os.path.join(EXAMPLES, name)) as f:
        language.parse(f.read())

  def test_run_writes_outputs(self):
    out = self.get_temp_dir()
    wav = bool(shutil.which('fluidsynth')) and os.path.exists(
        session_output.DEFAULT_SOUNDFONT)
    summary = drums_session.run(
        os.path.join(EXAMPLES, 'learn_snare.gos'), 2, out, wav,
        beat_agent_hparams.BeatAgentHParams(), session_output.DEFAULT_SOUNDFONT,
        load=None, save=os.path.join(out, 'agents.npz'))
    self.assertTrue(os.path.exists(os.path.join(out, 'session.mid')))
    self.assertTrue(os.path.exists(os.path.join(out, 'patterns.png')))
    self.assertTrue(os.path.exists(os.path.join(out, 'agents.npz')))
    self.assertEqual(os.path.exists(os.path.join(out, 'session.wav')), wav)
    sequence = note_seq.midi_file_to_note_sequence(
        os.path.join(out, 'session.mid'))
    self.assertAlmostEqual(sequence.tempos[0].qpm, 132, places=3)
    self.assertEqual({n.pitch for n in sequence.notes}, {36, 38, 42})
    with open(os.path.join(out, 'summary.json')) as f:
      self.assertEqual(json.load(f)['per_bar'], summary['per_bar'])
    self.assertLen(summary['per_bar'], 2)
    self.assertEqual(summary['per_bar'][0]['snare']['mode'], 'learn')
    # Load the agents and predict.
    again = drums_session.run(
        os.path.join(EXAMPLES, 'predict_snare.gos'), 1,
        os.path.join(out, 'second'), False,
        beat_agent_hparams.BeatAgentHParams(), '', load=os.path.join(
            out, 'agents.npz'), save=None)
    self.assertEqual(again['per_bar'][0]['snare']['mode'], 'predict')

  def test_main_with_flags_and_bad_program(self):
    out = self.get_temp_dir()
    bad = os.path.join(out, 'bad.gos')
    with open(bad, 'w') as f:
      f.write('bpm 120;\nkick *2;\n')
    with flagsaver.flagsaver(program=bad, output_dir=out, bars=1):
      with self.assertRaisesRegex(Exception, r'line 2, column 6'):
        drums_session.main([])
    with flagsaver.flagsaver(program=os.path.join(EXAMPLES, 'synths.gos'),
                             output_dir=os.path.join(out, 'synths'), bars=1):
      drums_session.main([])
    self.assertTrue(os.path.exists(os.path.join(out, 'synths', 'session.mid')))

  def test_bad_flags_fail_before_work(self):
    out = self.get_temp_dir()
    program = os.path.join(EXAMPLES, 'tresillo.gos')
    garbage = os.path.join(out, 'garbage.npz')
    with open(garbage, 'wb') as f:
      f.write(b'PK\x03\x04 not really a zip')
    cases = [
        ({'config': 'nope'}, r"--config: unknown config 'nope'"),
        ({'hparams': 'learning_rate=nan'}, '--hparams: .*learning_rate'),
        ({'hparams': 'bogus=1'}, "--hparams: .*unknown hyperparameter 'bogus'"),
        ({'load': os.path.join(out, 'missing.npz')}, '--load: .*does not '
         'exist'),
        ({'load': garbage}, '--load: .*garbage.npz: not a saved beat agent'),
        ({'bars': 10**6}, r'--bars: must be an integer in \[1, 100000\]'),
        ({'output_dir': ''}, '--program and --output_dir are required'),
        ({'save': os.path.join(out, 'agents.txt')}, r'--save: .*\.npz'),
    ]
    for changes, message in cases:
      target = os.path.join(out, 'never')
      flags = dict(program=program, output_dir=target, bars=1)
      flags.update(changes)
      with flagsaver.flagsaver(**flags):
        with self.assertRaisesRegex(Exception, message):
          drums_session.main([])
      self.assertFalse(os.path.exists(os.path.join(target, 'session.mid')))


if __name__ == '__main__':
  tf.test.main()
