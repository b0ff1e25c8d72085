r"""Audio engine speed: offline realtime factor, realtime callback p99.

1. Offline: the densest tutorial-style program (four drums with effects,
   bass and lead with filter settings and effects) rendered for --bars bars
   in blocks of 4096 and of 128 samples; realtime factor = seconds of audio
   per second of wall time, on one thread (numpy/scipy single-threaded;
   the numba kernels are single-threaded).
2. Realtime: the engine behind a live drum session whose snare agent
   learns (TF, on the clock thread, at --bpm), played through the sound
   card path (outputs.SoundDeviceOutput) with a fake stream whose callback
   a thread calls every block period (--block_size samples at 44.1 kHz), as
   PortAudio would. The table gives the callback's render time (p50, p99,
   max) and p99 as a share of the block period.

Run:
  PYTHONPATH=. .venv/bin/python bench/audio_bench.py
  PYTHONPATH=. .venv/bin/python bench/audio_bench.py --seconds=60 --bpm=600

Targets (issue 10): offline >= 50x realtime; callback p99 < 25% of the
block period at 128 samples / 44.1 kHz while a drum agent learns.
"""

import os

os.environ.setdefault('OMP_NUM_THREADS', '1')
os.environ.setdefault('OPENBLAS_NUM_THREADS', '1')

# pylint: disable=g-import-not-at-top,wrong-import-position
import threading
import time

from absl import app
from absl import flags
import numpy as np

from drums import language
from sonification.audio import engine as engine_lib
from sonification.audio import engine_sink
from sonification.audio import outputs
from sonification.audio import program_tracks

FLAGS = flags.FLAGS
flags.DEFINE_integer('bars', 32, 'bars rendered offline')
flags.DEFINE_float('seconds', 20.0, 'length of the realtime scenario')
flags.DEFINE_integer('block_size', 128, 'realtime block (samples)')
flags.DEFINE_float('bpm', 150.0, 'tempo of the learning drum session')
flags.DEFINE_float('switch_interval_ms', 0.5, 'the sound card output\'s '
                   'sys.setswitchinterval (Python default 5 ms); 0 keeps '
                   'the default')

DENSE_PROGRAM = """bpm 150;
source kick*2 3,3,2 (dist:2, lpf:2000);
learn snare*2+0.5 (amp:0.9, hpf:200);
closedhat*8 (amp:0.5, hpf:6000);
openhat*2+0.75 (amp:0.7, hpf:4000);
bass*2 3,3,2 36,43,48 cut40 res70 env30 (dist:3, lpf:400);
lead*4 1 60,64,67 cut_mousex res_mousey env90 (dist:2, amp:0.8, hpf:200);
"""


def offline_rows(bars):
  program = language.parse(DENSE_PROGRAM)
  rows = []
  for block in (4096, 128):
    engine = engine_lib.Engine(44100, block)
    engine.warm_up()
    program_tracks.configure(engine, program, frame=0)
    per_bar = program_tracks.bar_frames(engine, program.bpm)
    program_tracks.render_program(engine_lib.Engine(44100, block), program,
                                  1)  # Warm caches.
    start = time.perf_counter()
    audio = program_tracks.render_program(engine, program, bars, tail_s=0.0)
    wall = time.perf_counter() - start
    seconds = audio.shape[0] / 44100.0
    del per_bar
    rows.append((f'offline, block {block}', f'{seconds:.1f} s audio',
                 f'{wall:.3f} s', f'{seconds / wall:.0f}x'))
  return rows


class _FakeStream:
  """Holds the callback; a thread calls it like PortAudio."""

  def __init__(self, **kwargs):
    self.kwargs = kwargs

  def start(self):
    pass

  def stop(self):
    pass

  def close(self):
    pass


def realtime_row(seconds, block_size, bpm):
  from drums import session as session_lib
  from sonification import clock
  from sonification import drum_live
  streams = []

  def open_output(engine, tap):
    output = outputs.SoundDeviceOutput(
        engine, stream_factory=_FakeStream, tap=tap,
        switch_interval_s=(FLAGS.switch_interval_ms / 1e3
                           if FLAGS.switch_interval_ms > 0 else None))
    streams.append(output)
    return output.start()

  engine = engine_lib.Engine(44100, block_size)
  sink = engine_sink.EngineSink(engine, None, open_output)
  text = DENSE_PROGRAM.replace('bpm 150;', f'bpm {bpm:g};')
  session = session_lib.from_program(text)
  drum_app = drum_live.DrumLiveApp(session, sink, session.ticks_per_bar)
  output = streams[0]
  callback = output.stream.kwargs['callback']
  period = block_size / 44100.0
  stop = threading.Event()
  losses = []

  def audio_thread():
    out = np.zeros((block_size, 2), np.float32)
    deadline = time.perf_counter()
    while not stop.is_set():
      callback(out, block_size, None, None)
      deadline += period
      delay = deadline - time.perf_counter()
      if delay > 0:
        time.sleep(delay)
      else:
        deadline = time.perf_counter()

  thread = threading.Thread(target=audio_thread, daemon=True)
  output.timings.clear()
  thread.start()
  tick_s = 60.0 / bpm * 4 / session.ticks_per_bar
  t0 = time.perf_counter()
  index = 0
  while time.perf_counter() - t0 < seconds:
    now = time.perf_counter()
    drum_app.on_tick(clock.Tick(index, index // 8, index % 8,
                                (index % 8) / 8, now, now, bpm))
    losses.extend(session.records[-1].losses.values())
    index += 1
    delay = t0 + index * tick_s - time.perf_counter()
    if delay > 0:
      time.sleep(delay)
  stop.set()
  thread.join()
  drum_app.close()
  times = np.array(output.timings) * 1e3
  p50, p99, worst = np.percentile(times, 50), np.percentile(times, 99), (
      times.max())
  return (f'realtime, block {block_size}, agent learning at {bpm:g} bpm',
          f'{times.size} callbacks, {len(losses)} learning steps',
          f'p50 {p50:.3f} ms  p99 {p99:.3f} ms  max {worst:.2f} ms',
          f'p99 = {100 * p99 / (1e3 * period):.1f}% of {1e3 * period:.2f} ms')


def main(argv):
  del argv
  rows = offline_rows(FLAGS.bars)
  rows.append(realtime_row(FLAGS.seconds, FLAGS.block_size, FLAGS.bpm))
  header = ('scenario', 'work', 'time', 'result')
  widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(4)]
  line = lambda r: '| ' + ' | '.join(str(c).ljust(w)
                                      for c, w in zip(r, widths)) + ' |'
  print(line(header))
  print('|' + '|'.join('-' * (w + 2) for w in widths) + '|')
  for row in rows:
    print(line(row))


if __name__ == '__main__':
  app.run(main)
