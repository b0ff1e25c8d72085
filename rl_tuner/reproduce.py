r"""Reproduces the paper's Table 1 end to end from the shipped Note RNN.

  bazel run //rl_tuner:reproduce -- --output_dir=out/reproduce

Trains Q, Psi and G for --num_steps (paper: 1,000,000) with the paper's
settings (rl_tuner_hparams.CONFIGS['paper']: discount 0.5, minibatch 32 every
5 steps, target rate 0.01, reward_scaler 2 = 1/c with c = 0.5, epsilon 1.0 ->
0.1 over half the run; training compositions primed with a random note like
the evaluation's), evaluates --num_compositions (paper: 100,000) sampled
compositions of each and of the untuned Note RNN, and writes the table (with
the command and the date) to --table_path (default docs/rl_tuner_table_1.md).
Training runs resume if interrupted (run the same command again).
"""

import os
import sys
import time

# Run as a script (python rl_tuner/X.py, or bazel run), Python puts rl_tuner/
# (symlinks resolved) first on sys.path, where rl_tuner/rl_tuner.py would
# shadow the rl_tuner package; drop that entry (the repository root comes from
# PYTHONPATH or the Bazel runfiles).
if sys.path and os.path.realpath(sys.path[0]) == os.path.dirname(
    os.path.realpath(__file__)):
  sys.path.pop(0)

from absl import app
from absl import flags
from absl import logging

from rl_tuner import evaluation
from rl_tuner import midi_io
from rl_tuner import paths
from rl_tuner import rl_tuner as rl_tuner_lib
from rl_tuner import rl_tuner_hparams
from rl_tuner import rl_tuner_runner

_NOTE_RNN_DIR = flags.DEFINE_string(
    'note_rnn_checkpoint_dir', paths.DEFAULT_NOTE_RNN_CHECKPOINT_DIR,
    'Trained Note RNN checkpoint directory.')
_MIDI_PRIMER = flags.DEFINE_string('midi_primer', paths.DEFAULT_MIDI_PRIMER,
                                   'MIDI primer for training compositions.')
_ALGORITHMS = flags.DEFINE_list('algorithms', ['q', 'psi', 'g'],
                                'Algorithms to train and evaluate.')
_NUM_STEPS = flags.DEFINE_integer('num_steps', 1_000_000,
                                  'Training steps per algorithm.')
_NUM_COMPOSITIONS = flags.DEFINE_integer('num_compositions', 100_000,
                                         'Evaluated compositions per model.')
_HPARAMS = flags.DEFINE_string('hparams', '', 'RLTunerHParams overrides.')
_OUTPUT_DIR = flags.DEFINE_string(
    'output_dir', 'output/reproduce',
    'Runs go to OUT/<algorithm>, eval to OUT/eval.')
_TABLE_PATH = flags.DEFINE_string(
    'table_path', 'docs/rl_tuner_table_1.md',
    'Where the Markdown table is written (relative to the working dir: the '
    'repository root under bazel run from it).')
_SEED = flags.DEFINE_integer('seed', 0, 'Random seed.')


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'Unexpected arguments: {argv[1:]}')
  try:
    # Training compositions are primed like the evaluation's (a random
    # note); epsilon anneals over half the run, as in the paper.
    base = rl_tuner_hparams.parse_hparams(
        f'priming=random,exploration_period={max(_NUM_STEPS.value // 2, 1)}')
    base = rl_tuner_hparams.parse_hparams(_HPARAMS.value, base=base)
    for algorithm in _ALGORITHMS.value:
      rl_tuner_hparams.parse_hparams(f'algorithm={algorithm}', base=base)
  except ValueError as e:
    raise app.UsageError(f'--hparams/--algorithms: {e}') from e
  out = paths.resolve_user_path(_OUTPUT_DIR.value)
  note_rnn_dir = paths.resolve_user_path(_NOTE_RNN_DIR.value)
  primer = (midi_io.load_primer_actions(
      paths.resolve_user_path(_MIDI_PRIMER.value))
            if base.priming == 'midi' else None)
  checkpoints = {'note_rnn': note_rnn_dir}
  for algorithm in _ALGORITHMS.value:
    start = time.time()
    hparams = rl_tuner_hparams.parse_hparams(
        f'algorithm={algorithm},seed={_SEED.value}', base=base)
    agent = rl_tuner_lib.RLTuner.from_note_rnn_checkpoint(
        hparams, note_rnn_dir, primer)
    steps = _NUM_STEPS.value
    config = rl_tuner_runner.RunnerConfig(
        num_steps=steps, log_every=max(steps // 10, 1),
        summary_every=max(steps // 100, 1), eval_every=max(steps // 5, 1),
        checkpoint_every=max(steps // 5, 1))
    rl_tuner_runner.RLTunerRunner(agent, os.path.join(out, algorithm),
                                  config).run()
    logging.info('%s trained in %.0f s', algorithm, time.time() - start)
    checkpoints[algorithm] = os.path.join(out, algorithm)
  results = evaluation.evaluate_checkpoints(
      checkpoints, _NUM_COMPOSITIONS.value, _SEED.value)
  command = ' '.join(['reproduce'] + sys.argv[1:])
  written = evaluation.write_outputs(results, os.path.join(out, 'eval'),
                                     command=command)
  with open(written['table']) as f:
    table = f.read()
  evaluation.write_text(paths.resolve_user_path(_TABLE_PATH.value), table)
  print(table)


if __name__ == '__main__':
  app.run(main)
