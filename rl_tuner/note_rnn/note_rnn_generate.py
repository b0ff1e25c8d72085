r"""Generates melodies with a trained Note RNN and writes them as MIDI.

  bazel run //rl_tuner/note_rnn:note_rnn_generate -- \
    --output_dir=out/melodies --num_melodies=8 --num_steps=64 \
    --visualize_probs

Defaults: the shipped checkpoint (rl_tuner/note_rnn/pretrained) primed with
the shipped primer (rl_tuner/data/primer.mid). ``--primer=random`` primes each
melody with its own random note instead. Writes OUTPUT_DIR/melody_NN.mid
(primer + generated events, 4 steps per quarter, --qpm) and, with
--visualize_probs, OUTPUT_DIR/melody_NN_probs.png.
"""

import os

from absl import app
from absl import flags
from absl import logging
import numpy as np

from rl_tuner import encoding
from rl_tuner import flag_checks
from rl_tuner import midi_io
from rl_tuner import paths
from rl_tuner.note_rnn import melody_generator
from rl_tuner.note_rnn import note_rnn_loader

FLAGS = flags.FLAGS
flags.DEFINE_string('checkpoint_dir', paths.DEFAULT_NOTE_RNN_CHECKPOINT_DIR,
                    'Note RNN checkpoint directory (default: the shipped one).')
flags.DEFINE_string('output_dir', 'note_rnn_melodies',
                    'Where MIDI files and figures go.')
flags.DEFINE_enum('primer', 'midi', ['midi', 'random'],
                  'midi: prime with --midi_primer; random: a random note per '
                  'melody.')
flags.DEFINE_string('midi_primer', paths.DEFAULT_MIDI_PRIMER,
                    'MIDI file whose melody primes the generation.')
flags.DEFINE_integer('num_melodies', 4, 'Melodies to generate.', lower_bound=1)
flags.DEFINE_integer('num_steps', 64, 'Generated steps per melody (sixteenths).',
                     lower_bound=1)
flags.DEFINE_float('temperature', 1.0, 'Sampling temperature (0 = argmax).',
                   lower_bound=0.0)
flags.DEFINE_float('qpm', encoding.DEFAULT_QPM, 'Tempo of the MIDI files.',
                   lower_bound=1.0)
flags.DEFINE_integer('seed', None, 'Sampling seed.')
flags.DEFINE_boolean('visualize_probs', False,
                     'Also save a note-probability heat map per melody.')


def main(argv):
  del argv
  flag_checks.int_in_range('num_melodies', FLAGS.num_melodies, 1, 10_000)
  flag_checks.int_in_range('num_steps', FLAGS.num_steps, 1, 100_000)
  flag_checks.float_in_range('temperature', FLAGS.temperature, 0.0, 100.0)
  flag_checks.float_in_range('qpm', FLAGS.qpm, 1.0, 1000.0)
  out = flag_checks.output_dir('output_dir', FLAGS.output_dir)
  checkpoint_dir = flag_checks.input_path('checkpoint_dir',
                                          FLAGS.checkpoint_dir, 'dir')
  rng = np.random.default_rng(FLAGS.seed)
  if FLAGS.primer == 'random':
    primers = melody_generator.random_primers(FLAGS.num_melodies, rng)
  else:
    try:
      primer = midi_io.load_primer_actions(
          flag_checks.input_path('midi_primer', FLAGS.midi_primer),
          max_steps=None)
    except (FileNotFoundError, ValueError) as e:
      raise app.UsageError(f'--midi_primer: {e}')
    primers = np.tile(primer, [FLAGS.num_melodies, 1])
  try:
    model = note_rnn_loader.NoteRNNLoader(checkpoint_dir).load('note_rnn')
  except (FileNotFoundError, ValueError) as e:
    raise app.UsageError(f'--checkpoint_dir: {e}')
  actions, probs = melody_generator.generate(
      model, primers, FLAGS.num_steps, FLAGS.temperature,
      seed=int(rng.integers(2**31)))
  for i in range(FLAGS.num_melodies):
    path = midi_io.write_composition_midi(
        os.path.join(out, f'melody_{i:02d}.mid'), actions[i], primers[i],
        qpm=FLAGS.qpm)
    logging.info('Wrote %s', path)
    if FLAGS.visualize_probs:
      melody_generator.plot_probabilities(
          probs[i], actions[i], os.path.join(out, f'melody_{i:02d}_probs.png'),
          title=f'Note RNN melody {i} (temperature {FLAGS.temperature})')


if __name__ == '__main__':
  flag_checks.run(main)
