r"""Benchmark: RL Tuner training speed (steady state, start-up, memory).

  PYTHONPATH=. .venv/bin/python bench/rl_tuner_bench.py \
      [--batch_sizes=64,256] [--modes=xla,graph] [--num_threads=1] \
      [--hparams=replay_unit=composition,minibatch_multiplier=8]

For each B (compositions in lockstep) and mode it trains a Q agent on a Note
RNN of the paper's size (one LSTM layer of 100 cells; the shipped checkpoint
when present, else a randomly initialised one: the speed is the same) with
the paper's exact schedule (every 5 batched steps, B gradient steps of
minibatch 32, each followed by a soft target update) and prints:

  * steady-state environment steps per second (wall clock) and **CPU ms per
    environment step** (process CPU time over all threads: it holds steady
    while the shared host steals a varying share of the cores, unlike wall
    time);
  * the one-time cost before the steady state (imports, loading, the first
    train call that traces and compiles), wall and CPU seconds;
  * peak resident memory.

Modes: 'xla' (the default agent: acting and the whole train phase compiled
with XLA) and 'graph' (plain tf.function, the code before issue 13). Each
setting runs in its own process so its start-up and peak memory are its own.
The public RL Tuner code (magenta/models/rl_tuner) took 6.1-6.5 ms of CPU per
environment step on this machine (issue 13, measured side by side); the ratio
column divides 6.3 ms by ours. Target of issue 13: <= 0.1 ms per step.
"""

import os
import resource
import subprocess
import sys
import tempfile
import time

_START = time.perf_counter(), time.process_time()

from absl import app  # pylint: disable=g-import-not-at-top
from absl import flags  # pylint: disable=g-import-not-at-top

# CPU ms per environment step of the public code on this machine (issue 13:
# 6.1-6.5 ms); the ratio column uses the middle.
PUBLIC_CODE_CPU_MS = 6.3

_BATCH_SIZES = flags.DEFINE_list('batch_sizes', ['64', '256'],
                                 'Values of B to measure.')
_MODES = flags.DEFINE_list('modes', ['xla', 'graph'],
                           "'xla' (compiled train phase) and/or 'graph'.")
_STEPS = flags.DEFINE_integer('steps', 100_000,
                              'Measured environment steps per setting.')
_NUM_THREADS = flags.DEFINE_integer('num_threads', 1,
                                    'TensorFlow threads (0: its default).')
_ALGORITHM = flags.DEFINE_string('algorithm', 'q', 'Algorithm to time.')
_HPARAMS = flags.DEFINE_string(
    'hparams', '', 'RLTunerHParams overrides to time instead of the paper\'s '
    'schedule, e.g. replay_unit=composition,minibatch_multiplier=8.')
_SINGLE = flags.DEFINE_string('single', '',
                              'Internal: "B,mode" to run in-process.')


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
  rl_tuner.configure_cpu_threads(_NUM_THREADS.value)
  b, mode = spec.split(',')
  b = int(b)
  hparams = rl_tuner_hparams.parse_hparams(
      _HPARAMS.value, rl_tuner_hparams.RLTunerHParams(
          algorithm=_ALGORITHM.value, num_compositions_in_parallel=b,
          priming='random'))
  agent = rl_tuner.RLTuner.from_note_rnn_checkpoint(
      hparams, _note_rnn_dir(), jit_compile=mode == 'xla')
  agent.train(b * 32 * 2)  # Trace, compile and fill some memory.
  startup_wall = time.perf_counter() - _START[0]
  startup_cpu = time.process_time() - _START[1]
  wall, cpu = time.perf_counter(), time.process_time()
  stats = agent.train(_STEPS.value)
  wall = time.perf_counter() - wall
  cpu = time.process_time() - cpu
  steps = stats.step - b * 32 * 2
  rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
  print(f'RESULT {b} {mode} {steps / wall:.0f} {cpu / steps * 1e3:.4f} '
        f'{startup_wall:.1f} {startup_cpu:.1f} {rss_mb:.0f}')


def main(argv):
  del argv
  if _SINGLE.value:
    _run_single(_SINGLE.value)
    return
  print(f'RL Tuner training speed ({_ALGORITHM.value}, '
        f'{_HPARAMS.value or "paper schedule"}, '
        f'{_STEPS.value} steps per setting, {_NUM_THREADS.value or "default"} '
        f'TF thread(s), {os.cpu_count()} CPUs, load average '
        f'{os.getloadavg()[0]:.2f} at start)')
  print('| B | mode | env steps/s | CPU ms / env step | x public code '
        f'({PUBLIC_CODE_CPU_MS} ms) | start-up + compile, wall s (CPU s) | '
        'peak RSS (MB) |')
  print('|---|---|---|---|---|---|---|')
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2')
  for b in _BATCH_SIZES.value:
    for mode in _MODES.value:
      out = subprocess.run(
          [sys.executable, __file__, f'--single={b},{mode}',
           f'--steps={_STEPS.value}', f'--algorithm={_ALGORITHM.value}',
           f'--num_threads={_NUM_THREADS.value}',
           f'--hparams={_HPARAMS.value}'],
          capture_output=True, text=True, env=env, check=False)
      lines = [l for l in out.stdout.splitlines() if l.startswith('RESULT')]
      if not lines:
        print(f'| {b} | {mode} | failed: '
              f'{out.stderr.strip().splitlines()[-1:]} | | | | |')
        continue
      _, b_, mode_, rate, cpu_ms, s_wall, s_cpu, rss = lines[0].split()
      ratio = PUBLIC_CODE_CPU_MS / float(cpu_ms)
      print(f'| {b_} | {mode_} | {rate} | {float(cpu_ms):.3f} | {ratio:.0f}x '
            f'| {s_wall} ({s_cpu}) | {rss} |', flush=True)
  print(f'load average at end {os.getloadavg()[0]:.2f} (the machine is shared)')


if __name__ == '__main__':
  app.run(main)
