r"""Which music-theory rules pay for what a model writes (issue 14 item 4).

  bazel run //rl_tuner:reward_report -- \
      --checkpoints=note_rnn=rl_tuner/note_rnn/pretrained,q=out/q \
      --num_compositions=10000

For each model: the pitch-class histogram of its onsets (% per pitch class,
the entropy in bits), its five most common openings (first 4 events) and
r_MT per composition split by rule (rl_tuner.rewards.decomposition.RULES)
and by the pitch class sounding at the rewarded event (own pitch, or the
pitch held or rested after; '-' when none has sounded yet). Sampling and
priming are rl_tuner_eval's (random primer note, next event sampled from the
model's softmax at its hparams' sampling temperature). Prints Markdown.
"""

import os
import sys

# Run as a script, Python puts rl_tuner/ first on sys.path, where
# rl_tuner/rl_tuner.py would shadow the rl_tuner package; drop that entry.
if sys.path and os.path.realpath(sys.path[0]) == os.path.dirname(
    os.path.realpath(__file__)):
  sys.path.pop(0)

from absl import app  # pylint: disable=g-import-not-at-top
from absl import flags  # pylint: disable=g-import-not-at-top
import numpy as np  # pylint: disable=g-import-not-at-top

from rl_tuner import evaluation  # pylint: disable=g-import-not-at-top
from rl_tuner import flag_checks  # pylint: disable=g-import-not-at-top
from rl_tuner import paths  # pylint: disable=g-import-not-at-top
from rl_tuner.rewards import decomposition  # pylint: disable=g-import-not-at-top
from rl_tuner.rewards import diversity  # pylint: disable=g-import-not-at-top

_CHECKPOINTS = flags.DEFINE_string(
    'checkpoints', f'note_rnn={paths.DEFAULT_NOTE_RNN_CHECKPOINT_DIR}',
    'Comma list name=dir (Note RNN or tuned RL Tuner directories).')
_NUM_COMPOSITIONS = flags.DEFINE_integer('num_compositions', 10_000,
                                         'Compositions per model.')
_SEED = flags.DEFINE_integer('seed', 0, 'Sampling seed.')

_PC_NAMES = ('C', 'C#', 'D', 'Eb', 'E', 'F', 'F#', 'G', 'Ab', 'A', 'Bb', 'B',
             '-')


def model_report(name: str, compositions: np.ndarray, key) -> str:
  """The Markdown report of one model's compositions ``int [N, 32]``."""
  hist = decomposition.pitch_class_histogram(compositions)
  entropy = float(diversity.entropy_bits(hist))
  lines = [f'### {name} ({len(compositions)} compositions)', '',
           '| ' + ' | '.join(_PC_NAMES[:12]) + ' | entropy (bits) |',
           '|' + '---|' * 13,
           '| ' + ' | '.join(f'{100 * h:.1f}' for h in hist) +
           f' | {entropy:.3f} |', '',
           'Openings: ' + ', '.join(
               f'"{o}" {p:.1f}%' for o, p in
               decomposition.opening_counts(compositions)), '',
           'r_MT per composition by rule and sounding pitch class:', '',
           '| rule | total | ' + ' | '.join(_PC_NAMES) + ' |',
           '|' + '---|' * 15]
  parts = decomposition.rule_rewards(compositions, key,
                                     compositions.shape[1])
  by_pc = decomposition.by_sounding_pitch_class(parts, compositions)
  for rule in decomposition.RULES:
    row = by_pc[rule]
    lines.append(f'| {rule} | {row.sum():.2f} | ' +
                 ' | '.join(f'{v:.2f}' if abs(v) >= 0.005 else '0'
                            for v in row) + ' |')
  total = sum(by_pc.values())
  lines.append(f'| all | {total.sum():.2f} | ' +
               ' | '.join(f'{v:.2f}' for v in total) + ' |')
  return '\n'.join(lines) + '\n'


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'Unexpected arguments: {argv[1:]}')
  flag_checks.int_in_range(_NUM_COMPOSITIONS.name, _NUM_COMPOSITIONS.value, 1,
                           10_000_000)
  try:
    checkpoints = {name: paths.resolve_user_path(d) for name, d in
                   evaluation.parse_checkpoints(_CHECKPOINTS.value).items()}
    models = {name: evaluation.load_model(name, d)
              for name, d in checkpoints.items()}
  except (OSError, ValueError) as e:
    raise app.UsageError(f'--checkpoints: {e}') from e
  for name, model in models.items():
    out = evaluation.generate(model, _NUM_COMPOSITIONS.value, _SEED.value)
    print(model_report(name, out.actions, model.key), flush=True)


if __name__ == '__main__':
  flag_checks.run(main)
