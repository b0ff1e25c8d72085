r"""Tunes a trained Note RNN with the RL Tuner (Q, Psi, G or pure RL).

  bazel run //rl_tuner:rl_tuner_train -- --algorithm=q --output_dir=out/q

Every flag has a built-in default: the shipped Note RNN checkpoint and MIDI
primer, the paper's hyperparameters (rl_tuner_hparams.CONFIGS['paper'];
epsilon anneals over half the run) with the paper's protocol (every training
composition is primed with a random note, as the paper's evaluation is;
--hparams=priming=midi primes them with --midi_primer instead), and a run
length (500,000 steps) that finishes in about a minute on a 2-core CPU. At the
end it prints the music-theory reward before and after tuning and a short
Table-1 summary of --table1_compositions sampled compositions (paper
protocol, evaluation.summary_table) of the untuned Note RNN and the tuned
model. Running again with the
same --output_dir resumes from the newest complete checkpoint; with other
hparams it refuses (naming them) unless --overwrite or --resume_with_changes.
Bad flags or paths: one line on stderr and exit status 2, before any work.
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
from absl import logging

from rl_tuner import evaluation
from rl_tuner import flag_checks
from rl_tuner import midi_io
from rl_tuner import paths
from rl_tuner import rl_tuner as rl_tuner_lib
from rl_tuner import rl_tuner_hparams
from rl_tuner import rl_tuner_runner

# About a minute on a free 2-core CPU (~14,000 steps/s, bench/rl_tuner_bench.py)
# and r_MT rises well above the untuned Note RNN's; the paper ran 1,000,000.
DEFAULT_NUM_STEPS = 500_000

_NOTE_RNN_DIR = flags.DEFINE_string(
    'note_rnn_checkpoint_dir', paths.DEFAULT_NOTE_RNN_CHECKPOINT_DIR,
    'Trained Note RNN checkpoint directory (default: the shipped one).')
_MIDI_PRIMER = flags.DEFINE_string(
    'midi_primer', paths.DEFAULT_MIDI_PRIMER,
    'MIDI file whose melody primes every composition (priming=midi).')
_ALGORITHM = flags.DEFINE_enum('algorithm', 'q',
                               list(rl_tuner_hparams.ALGORITHMS),
                               'Value-learning algorithm.')
# Not output/rl_tuner: runs there from before random priming became the
# default hold other hparams, and a plain `make run` would refuse them.
_OUTPUT_DIR = flags.DEFINE_string('output_dir', 'output/rl_tuner_paper',
                                  'Where checkpoints, summaries, figures and '
                                  'MIDI go (relative to the working dir).')
_NUM_STEPS = flags.DEFINE_integer(
    'num_steps', DEFAULT_NUM_STEPS,
    'Environment steps (notes) to train for; the paper used 1,000,000. '
    'Epsilon anneals over half of them unless --hparams sets '
    'exploration_period.')
_CONFIG = flags.DEFINE_enum('config', 'paper',
                            sorted(rl_tuner_hparams.CONFIGS),
                            'Named hyperparameter config.')
_HPARAMS = flags.DEFINE_string('hparams', '',
                               'Overrides "name=value,..." of RLTunerHParams.')
_SEED = flags.DEFINE_integer('seed', 0, 'Random seed.')
_EVAL_EVERY = flags.DEFINE_integer('eval_every', 100_000,
                                   'Steps between evaluations.')
_CHECKPOINT_EVERY = flags.DEFINE_integer('checkpoint_every', 100_000,
                                         'Steps between checkpoints.')
_NUM_EVAL = flags.DEFINE_integer('num_eval_compositions', 1000,
                                 'Compositions per evaluation.')
_TABLE1_COMPOSITIONS = flags.DEFINE_integer(
    'table1_compositions', 10_000,
    'Sampled compositions (random-note priming, as in the paper) of the '
    'untuned Note RNN and of the tuned model scored for the Table-1 summary '
    'printed at the end (0: none; the paper used 100,000).')
_NUM_MIDI = flags.DEFINE_integer('num_midi', 3,
                                 'Melodies written as MIDI at the end.')
_OVERWRITE = flags.DEFINE_boolean(
    'overwrite', False, 'If --output_dir holds a run with other hparams, '
    'delete it and start afresh (default: refuse, naming the differences).')
_RESUME_WITH_CHANGES = flags.DEFINE_boolean(
    'resume_with_changes', False, 'If --output_dir holds a run with other '
    'hparams, continue it with the new ones (recorded in '
    'hparams_history.json).')
_NUM_THREADS = flags.DEFINE_integer(
    'num_threads', 1, 'TensorFlow intra/inter-op threads (1: the lowest CPU '
    'time per step, bench/rl_tuner_bench.py; 0: TensorFlow\'s default).')


def build_runner() -> rl_tuner_runner.RLTunerRunner:
  """Validates the flags and builds the agent and runner.

  Raises:
    app.UsageError: naming the bad flag.
  """
  for flag in (_NUM_STEPS, _EVAL_EVERY, _CHECKPOINT_EVERY):
    flag_checks.int_in_range(flag.name, flag.value, 1)
  flag_checks.int_in_range(_NUM_EVAL.name, _NUM_EVAL.value, 1, 1_000_000)
  flag_checks.int_in_range(_TABLE1_COMPOSITIONS.name,
                           _TABLE1_COMPOSITIONS.value, 0, 1_000_000)
  flag_checks.int_in_range(_NUM_MIDI.name, _NUM_MIDI.value, 1, 10_000)
  flag_checks.int_in_range(_NUM_THREADS.name, _NUM_THREADS.value, 0, 1024)
  flag_checks.exclusive((_OVERWRITE.name, _OVERWRITE.value),
                        (_RESUME_WITH_CHANGES.name, _RESUME_WITH_CHANGES.value))
  change = ('overwrite' if _OVERWRITE.value else 'resume_with_changes'
            if _RESUME_WITH_CHANGES.value else 'refuse')
  output_dir = flag_checks.output_dir(_OUTPUT_DIR.name, _OUTPUT_DIR.value)
  note_rnn_dir = flag_checks.input_path(_NOTE_RNN_DIR.name, _NOTE_RNN_DIR.value,
                                        'dir')
  rl_tuner_lib.configure_cpu_threads(_NUM_THREADS.value)
  try:
    # The paper's protocol: training compositions start on a random note.
    hparams = rl_tuner_hparams.parse_hparams(
        f'priming=random,exploration_period={max(_NUM_STEPS.value // 2, 1)}',
        base=rl_tuner_hparams.get_config(_CONFIG.value))
    hparams = rl_tuner_hparams.parse_hparams(_HPARAMS.value, base=hparams)
    hparams = rl_tuner_hparams.parse_hparams(
        f'algorithm={_ALGORITHM.value},seed={_SEED.value}', base=hparams)
  except ValueError as e:
    raise app.UsageError(f'--hparams: {e}') from e
  primer = None
  if hparams.priming == 'midi':
    try:
      primer = midi_io.load_primer_actions(flag_checks.input_path(
          _MIDI_PRIMER.name, _MIDI_PRIMER.value))
    except (OSError, ValueError) as e:
      raise app.UsageError(f'--midi_primer: {e}') from e
  try:
    agent = rl_tuner_lib.RLTuner.from_note_rnn_checkpoint(
        hparams, note_rnn_dir, primer)
  except (OSError, ValueError) as e:
    raise app.UsageError(f'--note_rnn_checkpoint_dir: {e}') from e
  config = rl_tuner_runner.RunnerConfig(
      num_steps=_NUM_STEPS.value, eval_every=_EVAL_EVERY.value,
      checkpoint_every=_CHECKPOINT_EVERY.value,
      log_every=max(_NUM_STEPS.value // 20, 1),
      summary_every=max(_NUM_STEPS.value // 200, 1),
      num_eval_compositions=_NUM_EVAL.value, num_midi=_NUM_MIDI.value)
  logging.info('RL Tuner hparams: %s', hparams)
  try:
    return rl_tuner_runner.RLTunerRunner(agent, output_dir, config,
                                         hparams_change=change)
  except ValueError as e:  # HParamsChangedError, CorruptFileError.
    raise app.UsageError(f'--output_dir: {e}') from e


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'Unexpected arguments: {argv[1:]}')
  runner = build_runner()
  result = runner.run()
  print(f'Music-theory reward per composition (sampled, '
        f'{runner.config.num_eval_compositions} compositions): untuned Note '
        f'RNN {result["note_rnn"]["music_theory_reward"]:.2f} -> tuned '
        f'{runner.agent.hparams.algorithm} '
        f'{result["tuned"]["music_theory_reward"]:.2f}')
  print(f'Log p(a|s) under the Note RNN per composition: '
        f'{result["note_rnn"]["note_rnn_reward"]:.2f} -> '
        f'{result["tuned"]["note_rnn_reward"]:.2f}')
  if _TABLE1_COMPOSITIONS.value:
    n = _TABLE1_COMPOSITIONS.value
    algorithm = runner.agent.hparams.algorithm
    results = evaluation.evaluate_checkpoints(
        {'note_rnn': _NOTE_RNN_DIR.value, algorithm: runner.output_dir}, n,
        seed=_SEED.value, batch_size=min(n, 5000), log=lambda _: None)
    print(f'Table 1, paper protocol ({n} sampled compositions per model, '
          f'each primed with a random note; paper: 100,000):')
    print(evaluation.summary_table(results['note_rnn'], results[algorithm],
                                   f'tuned {algorithm}'), end='')
  print(f'Outputs in {runner.output_dir}')


if __name__ == '__main__':
  flag_checks.run(main)
