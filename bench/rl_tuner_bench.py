r"""Benchmark: RL Tuner training speed against the number of parallel compositions.

  PYTHONPATH=. .venv/bin/python bench/rl_tuner_bench.py [--batch_sizes=16,64,128]

For each B (compositions in lockstep) it trains a Q agent on a Note RNN of the
paper's size (one LSTM layer of 100 cells; the shipped checkpoint when
present, else a randomly initialised one: the speed is the same) with the
paper's schedule (32 sampled transitions per 5 environment steps, a gradient
step of 32 and a soft target update each) and prints environment steps per
second, minutes per 1,000,000 steps and the peak resident memory. Each B runs
in its own process so its peak memory is its own. The target of issue 3 is
1,000,000 steps in under 10 minutes (~1,700 steps/s) on a 2-core CPU.
"""

import os
import resource
import subprocess
import sys
import tempfile
import time

from absl import app
from absl import flags

_BATCH_SIZES = flags.DEFINE_list('batch_sizes', ['16', '32', '64', '128'],
                                 'Values of B to measure.')
_MULTIPLIERS = flags.DEFINE_list(
    'multipliers', ['1'], 'minibatch_multiplier values (1 = gradient steps of '
    '32, as the paper; m = fewer, larger steps).')
_STEPS = flags.DEFINE_integer('steps', 100_000,
                              'Measured environment steps per setting.')
_ALGORITHM = flags.DEFINE_string('algorithm', 'q', 'Algorithm to time.')
_SINGLE = flags.DEFINE_string('single', '', 'Internal: "B,m" to run in-process.')


def _note_rnn_dir() -> str:
  from rl_tuner import paths  # pylint: disable=g-import-not-at-top
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  if tf.train.latest_checkpoint(paths.DEFAULT_NOTE_RNN_CHECKPOINT_DIR):
    return paths.DEFAULT_NOTE_RNN_CHECKPOINT_DIR
  from rl_tuner.note_rnn import note_rnn_model  # pylint: disable=g-import-not-at-top
  directory = tempfile.mkdtemp()
  config = note_rnn_model.NoteRNNConfig(layer_sizes=(100,))
  model = note_rnn_model.NoteRNN(config)
  config.save(directory)
  tf.train.CheckpointManager(tf.train.Checkpoint(model=model), directory,
                             1).save()
  return directory


def _run_single(spec: str) -> None:
  from rl_tuner import rl_tuner  # pylint: disable=g-import-not-at-top
  from rl_tuner import rl_tuner_hparams  # pylint: disable=g-import-not-at-top
  b, m = (int(x) for x in spec.split(','))
  hparams = rl_tuner_hparams.RLTunerHParams(
      algorithm=_ALGORITHM.value, num_compositions_in_parallel=b,
      minibatch_multiplier=m, priming='random')
  agent = rl_tuner.RLTuner.from_note_rnn_checkpoint(hparams, _note_rnn_dir())
  agent.train(b * 32 * 2)  # Compile and fill some memory.
  start = time.perf_counter()
  stats = agent.train(_STEPS.value)
  seconds = time.perf_counter() - start
  rate = _STEPS.value / seconds
  rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
  print(f'RESULT {b} {m} {rate:.0f} {1e6 / rate / 60:.2f} {rss_mb:.0f} '
        f'{stats.loss:.3f}')


def main(argv):
  del argv
  if _SINGLE.value:
    _run_single(_SINGLE.value)
    return
  print(f'RL Tuner training speed ({_ALGORITHM.value}, {_STEPS.value} steps '
        f'per setting, {os.cpu_count()} CPUs, load average '
        f'{os.getloadavg()[0]:.2f} at start)')
  print('| B | minibatch multiplier | env steps/s | min per 1M steps | '
        'peak RSS (MB) |')
  print('|---|---|---|---|---|')
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2')
  for b in _BATCH_SIZES.value:
    for m in _MULTIPLIERS.value:
      out = subprocess.run(
          [sys.executable, __file__, f'--single={b},{m}',
           f'--steps={_STEPS.value}', f'--algorithm={_ALGORITHM.value}'],
          capture_output=True, text=True, env=env, check=False)
      lines = [l for l in out.stdout.splitlines() if l.startswith('RESULT')]
      if not lines:
        print(f'| {b} | {m} | failed: {out.stderr.strip().splitlines()[-1:]} '
              f'| | |')
        continue
      _, b_, m_, rate, minutes, rss, _ = lines[0].split()
      print(f'| {b_} | {m_} | {rate} | {minutes} | {rss} |', flush=True)
  print(f'load average at end {os.getloadavg()[0]:.2f} (the machine is shared)')


if __name__ == '__main__':
  app.run(main)
