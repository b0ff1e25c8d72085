"""Per-tick latency of the beat agent: one learn step plus one prediction.

  bazel run //bench:drums_bench -- --ticks=2000

Target (issue 5): under 5 ms at the 99th percentile on the CPU machine (a
tick is 200 ms at 150 bpm), with no tf.function retracing after warm-up.
Measures, after --warmup ticks, for the SPEC's learn_snare program:
  * agent.tick in mode learn (act + store + one Adam step on up to 32),
  * agent.tick in mode predict (one forward pass),
  * DrumSession.step (schedule lookup + agent, what the realtime adapter
    calls), in learn mode, then again after gc.freeze() (a realtime host
    should freeze the garbage collector after warm-up: a full collection
    walks all of TF's objects and takes ~0.2 s),
and prints wall-clock p50/p99/max and process CPU time p50/p99 in
milliseconds, the load average and the tracing counts.
"""

import gc
import os
import time

from absl import app
from absl import flags
import numpy as np
import tensorflow as tf

from drums import beat_agent
from drums import session as session_lib

FLAGS = flags.FLAGS
flags.DEFINE_integer('ticks', 2000, 'Measured ticks per row.')
flags.DEFINE_integer('warmup', 200, 'Ticks before measuring.')
flags.DEFINE_integer('tf_threads', 1, 'TF intra- and inter-op threads (0 = '
                     'TF default); tiny graphs gain nothing from more.')

PROGRAM = 'bpm 132; source kick*2 3,3,2; learn snare*2+0.5;'
SOURCE = (1, 1, 0, 1, 1, 1, 0, 1)  # kick*2 3,3,2 latched.
TARGET = (0, 0, 1, 0, 0, 0, 1, 0)  # snare*2+0.5.


def _time(fn, ticks, warmup):
  """Wall and process-CPU milliseconds per call, each ``[ticks]``."""
  for i in range(warmup):
    fn(i)
  wall, cpu = np.empty(ticks), np.empty(ticks)
  for i in range(ticks):
    start, start_cpu = time.perf_counter(), time.process_time()
    fn(warmup + i)
    wall[i] = time.perf_counter() - start
    cpu[i] = time.process_time() - start_cpu
  return wall * 1e3, cpu * 1e3


def main(argv):
  del argv
  if FLAGS.tf_threads:
    tf.config.threading.set_intra_op_parallelism_threads(FLAGS.tf_threads)
    tf.config.threading.set_inter_op_parallelism_threads(FLAGS.tf_threads)
  agent = beat_agent.BeatAgent()
  rows = {}
  rows['agent learn tick'] = _time(
      lambda i: agent.tick(i % 8, SOURCE[i % 8], TARGET[i % 8], 'learn'),
      FLAGS.ticks, FLAGS.warmup)
  rows['agent predict tick'] = _time(
      lambda i: agent.tick(i % 8, SOURCE[i % 8], None, 'predict'),
      FLAGS.ticks, FLAGS.warmup)
  traces_agent = agent.tracing_counts()
  session = session_lib.DrumSession(PROGRAM, max_records=64)
  rows['session.step (learn)'] = _time(lambda i: session.step(i),
                                       FLAGS.ticks, FLAGS.warmup)
  # A full (generation 2) garbage collection walks every object TF and Keras
  # made, ~0.2 s here; gc.freeze() after warm-up exempts them.
  gc.collect()
  gc.freeze()
  offset = FLAGS.ticks + FLAGS.warmup
  rows['session.step, gc.freeze'] = _time(lambda i: session.step(offset + i),
                                          FLAGS.ticks, 0)
  traces_session = session.agent('snare').tracing_counts()
  print(f'{"per tick":<24}{"p50 ms":>9}{"p99 ms":>9}{"max ms":>9}'
        f'{"cpu p50":>9}{"cpu p99":>9}{"ticks":>7}')
  for name, (t, c) in rows.items():
    print(f'{name:<24}{np.percentile(t, 50):9.3f}{np.percentile(t, 99):9.3f}'
          f'{t.max():9.3f}{np.percentile(c, 50):9.3f}'
          f'{np.percentile(c, 99):9.3f}{len(t):7d}')
  print(f'load average (1, 5, 15 min): {os.getloadavg()} on {os.cpu_count()} '
        'CPUs; wall-clock tails grow when the CPUs are oversubscribed, the '
        'process CPU time per tick ("cpu") does not')
  print(f'TF threads: {FLAGS.tf_threads or "default"}')
  print(f'tf.function tracing counts after all ticks: agent {traces_agent}, '
        f'session agent {traces_session} (1 = no retracing)')


if __name__ == '__main__':
  app.run(main)
