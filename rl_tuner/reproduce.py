r"""Reproduces the paper's Table 1 end to end from the shipped Note RNN.

  bazel run //rl_tuner:reproduce -- --output_dir=out/reproduce
  bazel run //rl_tuner:reproduce -- --seeds=0,1,2   # spread across seeds

Trains Q, Psi and G for --num_steps (paper: 1,000,000) with the paper's
settings (rl_tuner_hparams.CONFIGS['paper']: discount 0.5, minibatch 32 every
5 steps, target rate 0.01, reward_scaler 2 = 1/c with c = 0.5, epsilon 1.0 ->
0.1 over half the run; training compositions primed with a random note like
the evaluation's), evaluates --num_compositions (paper: 100,000) sampled
compositions of each and of the untuned Note RNN, and writes the table (with
the command and the date) to --table_path (default docs/rl_tuner_table_1.md).
With several --seeds, every algorithm is trained once per seed (OUT/q for the
first seed, OUT/q_seed1 ... for the others); the main table shows the first
seed and a section below it gives each target's mean, min-max and the number
of seeds meeting it. Training runs resume if interrupted (run the same
command again).
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
from rl_tuner import flag_checks
from rl_tuner import midi_io
from rl_tuner import paths
from rl_tuner import rl_tuner as rl_tuner_lib
from rl_tuner import rl_tuner_hparams
from rl_tuner import rl_tuner_runner
from rl_tuner import run_state

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
_SEEDS = flags.DEFINE_list('seeds', ['0'], 'Training seeds; the first also '
                           'seeds the evaluation\'s sampling.')


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
    seeds = [int(s) for s in _SEEDS.value]
  except ValueError as e:
    raise app.UsageError(f'--hparams/--algorithms/--seeds: {e}') from e
  if not seeds or len(set(seeds)) != len(seeds):
    raise app.UsageError(f'--seeds must be distinct integers, got '
                         f'{_SEEDS.value}')
  flag_checks.int_in_range(_NUM_STEPS.name, _NUM_STEPS.value, 1)
  flag_checks.int_in_range(_NUM_COMPOSITIONS.name, _NUM_COMPOSITIONS.value, 1,
                           100_000_000)
  out = flag_checks.output_dir(_OUTPUT_DIR.name, _OUTPUT_DIR.value)
  table_path = flag_checks.output_file(_TABLE_PATH.name, _TABLE_PATH.value,
                                       ('.md',))
  note_rnn_dir = flag_checks.input_path(_NOTE_RNN_DIR.name,
                                        _NOTE_RNN_DIR.value, 'dir')
  try:
    primer = (midi_io.load_primer_actions(flag_checks.input_path(
        _MIDI_PRIMER.name, _MIDI_PRIMER.value))
              if base.priming == 'midi' else None)
  except (OSError, ValueError) as e:
    raise app.UsageError(f'--midi_primer: {e}') from e
  for seed in seeds:  # Refuse before training anything, not half-way.
    for algorithm in _ALGORITHMS.value:
      name = algorithm if seed == seeds[0] else f'{algorithm}_seed{seed}'
      hparams = rl_tuner_hparams.parse_hparams(
          f'algorithm={algorithm},seed={seed}', base=base)
      if run_state.stored_differences(os.path.join(out, name),
                                      hparams.to_dict()):
        run_state.check_hparams(os.path.join(out, name), hparams.to_dict())
  checkpoints = {'note_rnn': note_rnn_dir}
  for seed in seeds:
    for algorithm in _ALGORITHMS.value:
      name = algorithm if seed == seeds[0] else f'{algorithm}_seed{seed}'
      checkpoints[name] = _train(base, algorithm, seed, note_rnn_dir, primer,
                                 os.path.join(out, name))
  results = evaluation.evaluate_checkpoints(
      checkpoints, _NUM_COMPOSITIONS.value, seeds[0])
  command = ' '.join(['reproduce'] + sys.argv[1:])
  written = evaluation.write_outputs(
      results, os.path.join(out, 'eval'), command=command,
      table_models=['note_rnn'] + list(_ALGORITHMS.value))
  with open(written['table']) as f:
    table = f.read()
  evaluation.write_text(table_path, table)
  print(table)


def _train(base, algorithm: str, seed: int, note_rnn_dir: str, primer,
           run_dir: str) -> str:
  """Trains (or resumes) one algorithm with one seed; returns run_dir."""
  start = time.time()
  hparams = rl_tuner_hparams.parse_hparams(
      f'algorithm={algorithm},seed={seed}', base=base)
  agent = rl_tuner_lib.RLTuner.from_note_rnn_checkpoint(
      hparams, note_rnn_dir, primer)
  steps = _NUM_STEPS.value
  config = rl_tuner_runner.RunnerConfig(
      num_steps=steps, log_every=max(steps // 10, 1),
      summary_every=max(steps // 100, 1), eval_every=max(steps // 5, 1),
      checkpoint_every=max(steps // 5, 1))
  rl_tuner_runner.RLTunerRunner(agent, run_dir, config).run()
  logging.info('%s (seed %d) trained in %.0f s', algorithm, seed,
               time.time() - start)
  return run_dir


if __name__ == '__main__':
  flag_checks.run(main, errors=(run_state.HParamsChangedError,))
