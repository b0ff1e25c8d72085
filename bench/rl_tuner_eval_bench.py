r"""Benchmark: Table 1 evaluation speed (issue 4 target: 100,000 compositions
in under 2 minutes on this CPU; the public code needs about 3 hours).

  PYTHONPATH=. .venv/bin/python bench/rl_tuner_eval_bench.py \
      [--checkpoint_dir=DIR] [--num_compositions=100000]

Times, for one model (default: the shipped Note RNN, one LSTM layer of 100
cells), the whole evaluation: generating the sampled compositions, log p
under the Note RNN and the Table 1 statistics (rl_tuner.rewards.statistics,
r_MT included); prints the total and the peak resident memory.
"""

import resource
import time

from absl import app
from absl import flags

from rl_tuner import evaluation
from rl_tuner import paths

_CHECKPOINT_DIR = flags.DEFINE_string(
    'checkpoint_dir', paths.DEFAULT_NOTE_RNN_CHECKPOINT_DIR,
    'A Note RNN or tuned RL Tuner directory.')
_NUM = flags.DEFINE_integer('num_compositions', 100_000, 'Compositions.')
_BATCH_SIZES = flags.DEFINE_list('batch_sizes', ['5000'],
                                 'Compositions per compiled call.')


def main(argv):
  del argv
  model = evaluation.load_model('model', _CHECKPOINT_DIR.value)
  model.sampler.generate(16, batch_size=16)  # Import/compile outside timing.
  print('| compositions | batch size | seconds | compositions/s |')
  print('|---|---|---|---|')
  for batch_size in (int(b) for b in _BATCH_SIZES.value):
    start = time.perf_counter()
    result = evaluation.evaluate(model, _NUM.value, batch_size=batch_size)
    seconds = time.perf_counter() - start
    print(f'| {_NUM.value} | {batch_size} | {seconds:.1f} | '
          f'{_NUM.value / seconds:.0f} |', flush=True)
  rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
  print(f'peak RSS {rss:.0f} MB; mean r_MT per event '
        f'{result["mean_music_theory_reward"]:.3f}, mean log p per event '
        f'{result["mean_log_p_note_rnn"]:.3f}')


if __name__ == '__main__':
  app.run(main)
