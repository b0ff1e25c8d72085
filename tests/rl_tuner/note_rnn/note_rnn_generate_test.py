"""Tests for melody generation: the library and a smoke test of the binary."""

import os

from absl import app
from absl import flags
from absl.testing import flagsaver
import numpy as np
import tensorflow as tf

from rl_tuner import encoding
from rl_tuner import midi_io
from rl_tuner.note_rnn import melody_generator
from rl_tuner.note_rnn import note_rnn_generate
from rl_tuner.note_rnn import note_rnn_model
from rl_tuner.note_rnn import note_rnn_trainer

FLAGS = flags.FLAGS


class MelodyGeneratorTest(tf.test.TestCase):

  def setUp(self):
    super().setUp()
    tf.keras.utils.set_random_seed(1)
    self.model = note_rnn_model.NoteRNN(note_rnn_model.NoteRNNConfig((8,)))

  def test_shapes_probabilities_and_seed(self):
    primers = np.array([[14, 1], [21, 1], [0, 1]])
    actions, probs = melody_generator.generate(self.model, primers, 6, seed=3)
    self.assertEqual(actions.shape, (3, 6))
    self.assertEqual(probs.shape, (3, 6, 38))
    self.assertAllClose(probs.sum(-1), np.ones([3, 6]), atol=1e-5)
    again, _ = melody_generator.generate(self.model, primers, 6, seed=3)
    self.assertAllEqual(actions, again)

  def test_temperature_zero_is_argmax_of_step(self):
    primers = np.array([[14]])
    actions, _ = melody_generator.generate(self.model, primers, 3,
                                           temperature=0.0)
    state = self.model.initial_state(1)
    logits, state = self.model.step(tf.one_hot([14], 38), state)
    for t in range(3):  # Greedy decoding by hand through model.step.
      a = int(np.argmax(logits[0]))
      self.assertEqual(actions[0, t], a)
      logits, state = self.model.step(tf.one_hot([a], 38), state)

  def test_random_primers_cover_all_pitches(self):
    p = melody_generator.random_primers(2000, np.random.default_rng(0))
    self.assertEqual(p.shape, (2000, 1))
    # 36 pitch actions 2..37, the last one included.
    self.assertEqual(set(p[:, 0].tolist()), set(range(2, 38)))

  def test_event_names(self):
    names = melody_generator.event_names()
    self.assertLen(names, 38)
    self.assertEqual((names[0], names[1], names[2], names[14], names[37]),
                     ('NOTE_OFF', 'NO_EVENT', 'C3', 'C4', 'B5'))

  def test_bad_arguments(self):
    with self.assertRaisesRegex(ValueError, 'temperature'):
      melody_generator.generate(self.model, [[14]], 3, temperature=-1.0)
    with self.assertRaisesRegex(ValueError, 'primers'):
      melody_generator.generate(self.model, np.zeros([2, 0]), 3)


class GenerateBinaryTest(tf.test.TestCase):

  def setUp(self):
    super().setUp()
    self.ckpt = os.path.join(self.get_temp_dir(), 'ckpt')
    note_rnn_trainer.export_model(
        note_rnn_model.NoteRNN(note_rnn_model.NoteRNNConfig((8,))), self.ckpt)

  def test_writes_midi_and_figures(self):
    out = os.path.join(self.get_temp_dir(), 'out')
    with flagsaver.flagsaver(checkpoint_dir=self.ckpt, output_dir=out,
                             num_melodies=3, num_steps=8, seed=0,
                             visualize_probs=True):
      note_rnn_generate.main([])
    self.assertCountEqual(os.listdir(out), [
        f'melody_0{i}{s}' for i in range(3) for s in ('.mid', '_probs.png')])
    primer = midi_io.load_primer_actions(FLAGS.midi_primer, max_steps=None)
    melody = midi_io.load_primer_actions(os.path.join(out, 'melody_00.mid'),
                                         max_steps=None)
    self.assertAllEqual(melody[:len(primer)], primer)

  def test_random_primer(self):
    out = os.path.join(self.get_temp_dir(), 'random')
    with flagsaver.flagsaver(checkpoint_dir=self.ckpt, output_dir=out,
                             primer='random', num_melodies=2, num_steps=4):
      note_rnn_generate.main([])
    self.assertLen(os.listdir(out), 2)

  def test_unreadable_primer_names_the_file(self):
    bad = os.path.join(self.get_temp_dir(), 'bad_primer.mid')
    with open(bad, 'w') as f:
      f.write('not midi')
    with flagsaver.flagsaver(checkpoint_dir=self.ckpt, midi_primer=bad,
                             output_dir=self.get_temp_dir()):
      with self.assertRaisesRegex(app.UsageError, 'bad_primer.mid'):
        note_rnn_generate.main([])

  def test_missing_checkpoint_names_the_flag(self):
    with flagsaver.flagsaver(checkpoint_dir=os.path.join(self.ckpt, 'nope'),
                             output_dir=self.get_temp_dir()):
      with self.assertRaisesRegex(app.UsageError, 'checkpoint_dir.*nope'):
        note_rnn_generate.main([])


if __name__ == '__main__':
  tf.test.main()
