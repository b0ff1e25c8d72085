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
of seeds meeting it.

Training goes through the sweep machinery (rl_tuner/sweeps/, Ray Tune): the
algorithms x seeds are trials in OUT/trials/<algorithm>_seed<seed>, run
--max_concurrent at a time (default: one per core), on a Ray cluster with
--ray_address; the sweep's own table and figure land in OUT/results.*.
Interrupted runs resume (run the same command again): finished trials are
not retrained.
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
from rl_tuner import rl_tuner_hparams
from rl_tuner import run_state
from rl_tuner.sweeps import sweep_spec
from rl_tuner.sweeps import trial as trial_lib
from rl_tuner.sweeps import tune_sweep

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
_CONFIG = flags.DEFINE_enum(
    'config', 'paper', sorted(rl_tuner_hparams.CONFIGS),
    'Named RLTunerHParams config (rl_tuner_hparams.CONFIGS) the trainings '
    'start from: \'paper\' (the paper\'s method) or e.g. \'quality\' (the '
    'issue 14 search\'s options); --hparams apply on top.')
_HPARAMS = flags.DEFINE_string('hparams', '', 'RLTunerHParams overrides.')
_OUTPUT_DIR = flags.DEFINE_string(
    'output_dir', 'output/reproduce',
    'Runs go to OUT/trials/<algorithm>_seed<seed>, eval to OUT/eval.')
_TABLE_PATH = flags.DEFINE_string(
    'table_path', 'docs/rl_tuner_table_1.md',
    'Where the Markdown table is written (relative to the working dir: the '
    'repository root under bazel run from it).')
_SEEDS = flags.DEFINE_list('seeds', ['0'], 'Training seeds; the first also '
                           'seeds the evaluation\'s sampling.')
_MAX_CONCURRENT = flags.DEFINE_integer(
    'max_concurrent', 0, 'Trainings at once (0: one per core).')
_RAY_ADDRESS = flags.DEFINE_string(
    'ray_address', '', 'HOST:PORT of a Ray cluster (default: Ray embedded '
    'on this machine).')


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'Unexpected arguments: {argv[1:]}')
  try:
    # Training compositions are primed like the evaluation's (a random
    # note); epsilon anneals over half the run, as in the paper.
    overrides = ','.join(filter(None, (
        rl_tuner_hparams.config_overrides(_CONFIG.value), _HPARAMS.value)))
    base = rl_tuner_hparams.parse_hparams(
        f'priming=random,exploration_period={max(_NUM_STEPS.value // 2, 1)}')
    base = rl_tuner_hparams.parse_hparams(overrides, base=base)
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
  midi_primer = flag_checks.input_path(_MIDI_PRIMER.name, _MIDI_PRIMER.value)
  if base.priming == 'midi':
    try:
      midi_io.load_primer_actions(midi_primer)
    except (OSError, ValueError) as e:
      raise app.UsageError(f'--midi_primer: {e}') from e
  try:
    spec = sweep_spec.SweepSpec(
        algorithms=tuple(_ALGORITHMS.value), seeds=tuple(seeds),
        hparams=overrides, num_steps=_NUM_STEPS.value,
        eval_every=max(_NUM_STEPS.value // 5, 1),
        checkpoint_every=max(_NUM_STEPS.value // 5, 1),
        max_concurrent=_MAX_CONCURRENT.value, midi_primer=midi_primer)
  except ValueError as e:
    raise app.UsageError(f'reproduce: {e}') from e
  for t in spec.trials():  # Refuse before training anything, not half-way.
    hparams = rl_tuner_hparams.parse_hparams(t.hparams)
    run_dir = trial_lib.trial_dir(out, t.name)
    if run_state.stored_differences(run_dir, hparams.to_dict()):
      run_state.check_hparams(run_dir, hparams.to_dict())
  start = time.time()
  tune_sweep.run_sweep(spec, out, note_rnn_dir,
                       ray_address=_RAY_ADDRESS.value or None,
                       title='reproduce: Table 1 trainings')
  logging.info('Trained %d runs in %.0f s', len(spec.trials()),
               time.time() - start)
  checkpoints = {'note_rnn': note_rnn_dir}
  for t in spec.trials():
    if trial_lib.read_result(out, t.name) is None:
      raise RuntimeError(f'reproduce: training {t.name} did not finish (see '
                         f'{trial_lib.trial_dir(out, t.name)}); run the same '
                         f'command again to resume it')
    name = t.algorithm if t.seed == seeds[0] else f'{t.algorithm}_seed{t.seed}'
    checkpoints[name] = trial_lib.trial_dir(out, t.name)
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


if __name__ == '__main__':
  flag_checks.run(main, errors=(run_state.HParamsChangedError,))
