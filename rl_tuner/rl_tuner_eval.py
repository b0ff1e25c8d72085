r"""Evaluates models at the paper's scale and writes Table 1 beside the paper's.

  bazel run //rl_tuner:rl_tuner_eval -- \
      --checkpoints=note_rnn=rl_tuner/note_rnn/pretrained,q=out/q,psi=out/psi,g=out/g \
      --num_compositions=100000 --output_dir=out/eval

Each directory is either an untuned Note RNN checkpoint or the output of
rl_tuner_train. Compositions are 32 steps, primed with a random note, the next
event sampled from the model's softmax (for G: softmax of G + log p). Beside
Table 1: pitch-class entropy, distinct pitches, the most common opening's
share, the overlapping area against real held-out melodies (--reference) and
mean log p(a|s); the targets report flags a model that games the rules. Writes
OUT/eval.json, OUT/table.md (ours beside the paper's) and OUT/comparison.png.
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

from rl_tuner import evaluation
from rl_tuner import flag_checks
from rl_tuner import paths

_CHECKPOINTS = flags.DEFINE_string(
    'checkpoints', f'note_rnn={paths.DEFAULT_NOTE_RNN_CHECKPOINT_DIR}',
    'Comma list name=dir (Note RNN or tuned RL Tuner directories).')
_NUM_COMPOSITIONS = flags.DEFINE_integer(
    'num_compositions', 100_000, 'Compositions per model (paper: 100,000).')
_OUTPUT_DIR = flags.DEFINE_string(
    'output_dir', 'output/rl_tuner_eval',
    'Where eval.json, table.md and the figure go.')
_BATCH_SIZE = flags.DEFINE_integer('batch_size', 5000,
                                   'Compositions generated per compiled call.')
_SEED = flags.DEFINE_integer('seed', 0, 'Random seed.')
_REFERENCE = flags.DEFINE_string(
    'reference', evaluation.DEFAULT_REFERENCE_PATH,
    '.npz of real 32-step compositions ("compositions", int [M, 32]) for the '
    'overlapping-area metrics (default: held-out melodies of the shipped '
    'Note RNN\'s validation split).')


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'Unexpected arguments: {argv[1:]}')
  for flag in (_NUM_COMPOSITIONS, _BATCH_SIZE):
    flag_checks.int_in_range(flag.name, flag.value, 1, 100_000_000)
  output_dir = flag_checks.output_dir(_OUTPUT_DIR.name, _OUTPUT_DIR.value)
  try:
    checkpoints = {
        name: paths.resolve_user_path(d) for name, d in
        evaluation.parse_checkpoints(_CHECKPOINTS.value).items()}
    models = {name: evaluation.load_model(name, d)
              for name, d in checkpoints.items()}
  except (OSError, ValueError) as e:
    raise app.UsageError(f'--checkpoints: {e}') from e
  try:
    reference = evaluation.load_reference(
        paths.resolve_user_path(_REFERENCE.value))
  except ValueError as e:
    raise app.UsageError(f'--reference: {e}') from e
  results = {}
  for name, model in models.items():
    results[name] = evaluation.evaluate(model, _NUM_COMPOSITIONS.value,
                                        _SEED.value, _BATCH_SIZE.value,
                                        reference=reference)
    print(f'{name}: {_NUM_COMPOSITIONS.value} compositions in '
          f'{results[name]["seconds"]:.1f} s', flush=True)
  written = evaluation.write_outputs(
      results, output_dir,
      command=' '.join(['rl_tuner_eval'] + sys.argv[1:]))
  with open(written['table']) as f:
    print(f.read())
  print('\n'.join(written.values()))


if __name__ == '__main__':
  flag_checks.run(main)
