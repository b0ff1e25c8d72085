r"""Writes melodies from a tuned RL Tuner checkpoint: MIDI + probability figures.

  bazel run //rl_tuner:rl_tuner_generate -- --checkpoint_dir=out/q \
      --output_dir=out/q_melodies --num_melodies=5

Each melody is primed with --midi_primer (or a random note with
--priming=random) and its next events are sampled from the tuned policy's
softmax (--nosample: argmax). Note-probability figures are drawn for the
first --num_figures melodies only (default 5), so thousands of melodies take
seconds, not the ~0.5 s per figure.
"""

import os
import sys

# Run as a script (python rl_tuner/X.py, or bazel run), Python puts rl_tuner/
# (symlinks resolved) first on sys.path, where rl_tuner/rl_tuner.py would
# shadow the rl_tuner package; drop that entry (the repository root comes from
# PYTHONPATH or the Bazel runfiles).
if sys.path and os.path.realpath(sys.path[0]) == os.path.dirname(
    os.path.realpath(__file__)):
  sys.path.pop(0)

from absl import app
from absl import flags

from rl_tuner import flag_checks
from rl_tuner import midi_io
from rl_tuner import paths
from rl_tuner import rl_tuner_runner

_CHECKPOINT_DIR = flags.DEFINE_string(
    'checkpoint_dir', None, 'Output dir (or its checkpoints/) of a tuning run.')
_OUTPUT_DIR = flags.DEFINE_string('output_dir', 'output/rl_tuner_melodies',
                                  'Where midi/ and figures/ are written.')
_NUM_MELODIES = flags.DEFINE_integer('num_melodies', 5, 'Melodies to write.')
_MIDI_PRIMER = flags.DEFINE_string('midi_primer', paths.DEFAULT_MIDI_PRIMER,
                                   'MIDI primer (priming=midi).')
_PRIMING = flags.DEFINE_enum('priming', 'midi', ['midi', 'random'],
                             'Prime with the MIDI primer or a random note.')
_SAMPLE = flags.DEFINE_bool('sample', True,
                            'Sample from the softmax (else argmax).')
_SEED = flags.DEFINE_integer('seed', 0, 'Random seed.')
_NUM_FIGURES = flags.DEFINE_integer(
    'num_figures', 5, 'Note-probability figures for the first N melodies '
    'only (a figure takes ~0.5 s; all MIDI files are written).')


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'Unexpected arguments: {argv[1:]}')
  if not _CHECKPOINT_DIR.value:
    raise app.UsageError('--checkpoint_dir is required: the output dir of a '
                         'tuning run')
  checkpoint_dir = flag_checks.input_path(_CHECKPOINT_DIR.name,
                                          _CHECKPOINT_DIR.value, 'dir')
  flag_checks.int_in_range(_NUM_MELODIES.name, _NUM_MELODIES.value, 1, 10_000)
  out = flag_checks.output_dir(_OUTPUT_DIR.name, _OUTPUT_DIR.value)
  flag_checks.int_in_range(_NUM_FIGURES.name, _NUM_FIGURES.value, 0, 10_000)
  primer = None
  if _PRIMING.value == 'midi':
    try:
      primer = midi_io.load_primer_actions(flag_checks.input_path(
          _MIDI_PRIMER.name, _MIDI_PRIMER.value))
    except (OSError, ValueError) as e:
      raise app.UsageError(f'--midi_primer: {e}') from e
  try:
    agent = rl_tuner_runner.load_tuned_agent(
        checkpoint_dir, primer,
        priming=_PRIMING.value, replay_memory_size=1)
  except (OSError, ValueError) as e:
    raise app.UsageError(f'--checkpoint_dir: {e}') from e
  written = rl_tuner_runner.write_melodies(
      agent, out, _NUM_MELODIES.value, seed=_SEED.value,
      sample=_SAMPLE.value, num_figures=_NUM_FIGURES.value)
  print('\n'.join(written))


if __name__ == '__main__':
  flag_checks.run(main)
