r"""Tick lateness of the studio through live changes (issue 11 item 3).

Starts the real studio (sonification/studio/studio_main.py: default agents,
CARL with its learner in a child process, browser audio streamed in real
time) for ``--seconds``, sends three live changes over OSC, as a user
evaluating programs and applying meta-parameters would:

  1. a program adding ``learn closedhat`` (a new agent),
  2. a program adding ``learn openhat`` with ``predict snare``,
  3. new meta-parameters (fresh agents for every instrument),

and prints the studio's own statistics as a table row: drum clock ticks,
lateness p50/p99/max, CARL's clock (its own rate) and whether TensorFlow was
loaded in the clock's process.

  flock -o /tmp/heavy.lock .venv/bin/python bench/studio_bench.py
"""

import os
import re
import socket
import subprocess
import sys
import tempfile
import time

from absl import app
from absl import flags
from pythonosc import udp_client

FLAGS = flags.FLAGS
flags.DEFINE_float('seconds', 45.0, 'length of the session (s)')
flags.DEFINE_multi_float('change_at', [12.0, 20.0, 28.0], 'seconds after the '
                         'URL is printed at which the three changes are sent')

FIRST = 'bpm 120; source kick*2; learn snare*2;'
CHANGES = (
    ('/drums/program', 'bpm 120; source kick*2; learn snare*2; '
                       'learn closedhat*4;'),
    ('/drums/program', 'bpm 120; source kick*2; predict snare*2; '
                       'learn closedhat*4; learn openhat*2+0.25;'),
    ('/drums/hparams', 'structure=16/8,epsilon=0.05'),
)


def _free_udp_port() -> int:
  with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
    s.bind(('127.0.0.1', 0))
    return s.getsockname()[1]


def main(argv):
  del argv
  root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
  tmp = tempfile.mkdtemp()
  program = os.path.join(tmp, 'first.gos')
  with open(program, 'w') as f:
    f.write(FIRST)
  port = _free_udp_port()
  env = dict(os.environ, PYTHONPATH=root, TF_CPP_MIN_LOG_LEVEL='2')
  proc = subprocess.Popen(
      [sys.executable, os.path.join(root, 'sonification', 'studio',
                                    'studio_main.py'),
       f'--program={program}', f'--osc_port={port}', '--port=0',
       f'--seconds={FLAGS.seconds}', f'--studio_dir={tmp}/studio'],
      stdout=subprocess.PIPE, stderr=open(os.path.join(tmp, 'log'), 'w'),
      env=env, text=True)
  start = time.monotonic()
  line = proc.stdout.readline()
  if not line.startswith('Studio:'):
    sys.exit(f'studio did not start: {line!r} (log: {tmp}/log)')
  url_at = time.monotonic()
  client = udp_client.SimpleUDPClient('127.0.0.1', port)
  for at, (address, arg) in zip(FLAGS.change_at, CHANGES):
    time.sleep(max(0.0, url_at + at - time.monotonic()))
    client.send_message(address, arg)
  out = proc.stdout.read()
  proc.wait()
  m = re.search(r'ticks (\d+)  lateness p50 ([\d.]+) ms  p99 ([\d.]+) ms  '
                r'max ([\d.]+) ms', out)
  carl = re.search(r'CARL at (\d+) Hz: lateness p99 ([\d.]+) ms  max '
                   r'([\d.]+) ms', out)
  tf = re.search(r'TensorFlow in the clock process: (\w+)', out)
  if not m:
    sys.exit(f'no statistics in the output:\n{out}\n(log: {tmp}/log)')
  print(f'start-up to URL {url_at - start:.1f} s; errors/log: {tmp}/log')
  print('| scenario | ticks | p50 ms | p99 ms | max ms | CARL clock p99 / max '
        'ms | TF in clock process |')
  print('|---|---|---|---|---|---|---|')
  print(f'| studio, 3 live changes | {m.group(1)} | {m.group(2)} | '
        f'{m.group(3)} | {m.group(4)} | '
        f'{carl.group(2) + " / " + carl.group(3) if carl else "-"} | '
        f'{tf.group(1) if tf else "?"} |')
  print(out.strip())


if __name__ == '__main__':
  app.run(main)
