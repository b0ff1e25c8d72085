r"""Benchmark: music-theory reward r_MT, per-note reference vs batched numpy.

  PYTHONPATH=. .venv/bin/python bench/rewards_bench.py [--batch_sizes=1,32,256]

For each batch size B, calls the reward at every beat of a 32-step
composition, in order (as an environment does), and prints the mean time per
call of the per-note reference (a Python loop over the B compositions) and of
the batched function (wall clock, and CPU time of this process, which is less
sensitive to other load on a shared machine), and the time of the Table 1
statistics for many compositions. Target (issue 3): B = 256 under about 1 ms per call.
"""

import time

from absl import app
from absl import flags
import numpy as np

from rl_tuner import encoding
from rl_tuner.rewards import batched
from rl_tuner.rewards import music_theory
from rl_tuner.rewards import statistics

_BATCH_SIZES = flags.DEFINE_list('batch_sizes', ['1', '32', '256', '1024'],
                                 'Compositions per call.')
_REPEATS = flags.DEFINE_integer('repeats', 20, 'Compositions (of 32 calls) '
                                'timed per batch size for the batched fn.')
_NUM_STATISTICS = flags.DEFINE_integer('num_statistics', 100_000,
                                       'Compositions for the statistics.')


def _compositions(rng: np.random.Generator, n: int) -> np.ndarray:
  """Melody-like compositions: in-key pitches, holds, rests, repeats."""
  in_key = np.array([a for a in sorted(encoding.C_MAJOR.in_key_actions)
                     if 6 <= a <= 30])
  x = rng.choice(in_key, size=(n, encoding.COMPOSITION_LENGTH))
  r = rng.random(x.shape)
  x[r < 0.3] = encoding.NO_EVENT
  x[(r >= 0.3) & (r < 0.38)] = encoding.NOTE_OFF
  return x


def _time_batched(x: np.ndarray, repeats: int):
  """(wall, CPU) seconds per call, over the 32 beats and ``repeats`` passes."""
  calls, start, cpu = 0, time.perf_counter(), time.process_time()
  for _ in range(repeats):
    for t in range(x.shape[1]):
      batched.music_theory_reward(x[:, :t], x[:, t])
      calls += 1
  return ((time.perf_counter() - start) / calls,
          (time.process_time() - cpu) / calls)


def _time_reference(x: np.ndarray, max_compositions: int = 64) -> float:
  """Seconds per call of B per-note calls (timed on <= 64, scaled to B)."""
  sample = x[:max_compositions].tolist()
  start = time.perf_counter()
  for t in range(x.shape[1]):
    for c in sample:
      music_theory.music_theory_reward_reference(c[:t], c[t])
  per_composition_call = (time.perf_counter() - start) / (
      x.shape[1] * len(sample))
  return per_composition_call * x.shape[0]


def main(argv):
  del argv
  rng = np.random.default_rng(0)
  print('| B | reference ms/call | batched ms/call | batched CPU ms/call | '
        'speed-up |')
  print('|---|---|---|---|---|')
  for b in (int(v) for v in _BATCH_SIZES.value):
    x = _compositions(rng, b)
    batched_s, batched_cpu_s = _time_batched(x, _REPEATS.value)
    reference_s = _time_reference(x)
    print(f'| {b} | {reference_s * 1e3:.2f} | {batched_s * 1e3:.3f} | '
          f'{batched_cpu_s * 1e3:.3f} | {reference_s / batched_s:.1f}x |',
          flush=True)
  n = _NUM_STATISTICS.value
  x = _compositions(rng, n)
  start = time.perf_counter()
  accumulator = statistics.StatisticsAccumulator()
  accumulator.add(x)
  accumulator.result()
  print(f'\nTable 1 statistics (with per-step r_MT) of {n} compositions: '
        f'{time.perf_counter() - start:.2f} s')


if __name__ == '__main__':
  app.run(main)
