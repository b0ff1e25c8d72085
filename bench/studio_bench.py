r"""Tick lateness of the studio through live changes (issue 11 item 3).

Starts the real studio (sonification/studio/studio_main.py: default agents,
CARL with its learner in a child process, browser audio rendered in real
time) with a first program that already learns (its agent, the session's
first, is built while the clock runs), for ``--seconds`` at ``--bpm``, and
sends three live changes over OSC, as a user evaluating programs and applying
meta-parameters would:

  1. a program adding ``learn closedhat`` (a new agent),
  2. a program adding ``learn openhat`` with ``predict snare``,
  3. new meta-parameters (fresh agents for every instrument),

for each configuration in ``--configs`` (the studio's ``--realtime`` clock
priority and ``--agent_lookahead`` pipelined agents, on or off), and prints
one table row each from the studio's own statistics: drum clock ticks,
lateness p50/p99/max (tick start after its deadline), "done" p99/max (the
tick's last callback returned, so its notes have gone out), beat agent steps
that were late (the written part played), CARL's clock (its own rate) and
whether TensorFlow was loaded in the clock's process.

The default, 120 s at 240 bpm, gives 960 ticks: p99 is about the 10th
largest lateness, not the 2nd.

  flock -o /tmp/heavy.lock .venv/bin/python bench/studio_bench.py
  flock -o /tmp/heavy.lock .venv/bin/python bench/studio_bench.py \
      --configs=realtime+lookahead,plain
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
flags.DEFINE_float('seconds', 120.0, 'length of each session (s)')
flags.DEFINE_float('bpm', 240.0, 'tempo of the programs (8 ticks a bar)')
flags.DEFINE_list('change_at', ['20', '50', '80'], 'seconds after the '
                         'URL is printed at which the three changes are sent')
CONFIGS = {  # name -> studio flags.
    'realtime+lookahead': ['--realtime', '--agent_lookahead'],
    'lookahead': ['--norealtime', '--agent_lookahead'],
    'realtime': ['--realtime', '--noagent_lookahead'],
    'plain': ['--norealtime', '--noagent_lookahead'],
}
flags.DEFINE_list('configs', list(CONFIGS), 'configurations to run, of '
                  f'{", ".join(CONFIGS)} (realtime: SCHED_FIFO clock '
                  'thread; lookahead: pipelined agents; plain: neither, as '
                  'before issue 11 item 3)')


def _free_udp_port() -> int:
  with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
    s.bind(('127.0.0.1', 0))
    return s.getsockname()[1]


def _programs(bpm: float):
  first = f'bpm {bpm:g}; source kick*2; learn snare*2;'
  changes = (
      ('/drums/program', f'bpm {bpm:g}; source kick*2; learn snare*2; '
                         'learn closedhat*4;'),
      ('/drums/program', f'bpm {bpm:g}; source kick*2; predict snare*2; '
                         'learn closedhat*4; learn openhat*2+0.25;'),
      ('/drums/hparams', 'structure=16/8,epsilon=0.05'),
  )
  return first, changes


def _print_late_ticks(path: str, over_ms: float = 2.0) -> None:
  """When the ticks later than ``over_ms`` came, in seconds after the first
  tick (the changes were sent at --change_at seconds after the URL, which
  the studio prints just after its clock starts)."""
  if not os.path.exists(path):
    return
  period_s = 60.0 / FLAGS.bpm * 4 / 8
  late = []
  with open(path) as f:
    next(f)
    for line in f:
      tick, lateness, done = line.split(',')
      if float(lateness) > over_ms or float(done) > over_ms:
        late.append((max(float(lateness), float(done)), int(tick) * period_s,
                     float(lateness), float(done)))
  worst = sorted(late, reverse=True)[:12]
  print(f'ticks late or done over {over_ms:g} ms after their deadline: '
        f'{len(late)}; the worst at (lateness / done): '
        + (', '.join(f'{t:.1f} s ({a:.1f} / {b:.1f} ms)'
                     for _, t, a, b in sorted(worst, key=lambda w: w[1]))
           or 'none'), flush=True)


def run_once(config: str) -> dict:
  """One studio session; its statistics parsed from the output."""
  root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
  tmp = tempfile.mkdtemp()
  first, changes = _programs(FLAGS.bpm)
  program = os.path.join(tmp, 'first.gos')
  with open(program, 'w') as f:
    f.write(first)
  port = _free_udp_port()
  env = dict(os.environ, PYTHONPATH=root, TF_CPP_MIN_LOG_LEVEL='2')
  log = os.path.join(tmp, 'log')
  with open(log, 'w') as err:
    proc = subprocess.Popen(
        [sys.executable, os.path.join(root, 'sonification', 'studio',
                                      'studio_main.py'),
         f'--program={program}', f'--osc_port={port}', '--port=0',
         f'--seconds={FLAGS.seconds}', f'--studio_dir={tmp}/studio',
         f'--lateness_out={tmp}/lateness.csv'] +
        CONFIGS[config], stdout=subprocess.PIPE, stderr=err, env=env,
        text=True)
    start = time.monotonic()
    line = proc.stdout.readline()
    if not line.startswith('Studio:'):
      proc.kill()
      sys.exit(f'studio did not start: {line!r} (log: {log})')
    url_at = time.monotonic()
    client = udp_client.SimpleUDPClient('127.0.0.1', port)
    for at, (address, arg) in zip(map(float, FLAGS.change_at), changes):
      time.sleep(max(0.0, url_at + at - time.monotonic()))
      client.send_message(address, arg)
    out = proc.stdout.read()
    proc.wait()
  number = r'([\d.]+)'
  m = re.search(rf'ticks (\d+)  lateness p50 {number} ms  p99 {number} ms  '
                rf'max {number} ms', out)
  done = re.search(rf'tick done \(output out\) after deadline: p50 {number} '
                   rf'ms  p99 {number} ms  max {number} ms', out)
  carl = re.search(rf'CARL at (\d+) Hz: lateness p99 {number} ms  max '
                   rf'{number} ms', out)
  agents = re.search(r'beat agent steps (\d+)  late (\d+)  first \(not '
                     r'asked ahead\) (\d+)', out)
  tf = re.search(r'TensorFlow in the clock process: (\w+)', out)
  if not m:
    sys.exit(f'no statistics in the output:\n{out}\n(log: {log})')
  print(f'{config}: start-up to URL {url_at - start:.1f} s; log: {log}',
        flush=True)
  print(out.strip(), flush=True)
  _print_late_ticks(os.path.join(tmp, 'lateness.csv'))
  return dict(
      config=config, ticks=m.group(1), p50=m.group(2), p99=m.group(3),
      max=m.group(4),
      done=f'{done.group(2)} / {done.group(3)}' if done else '-',
      late=(f'{agents.group(2)} of {agents.group(1)}' if agents else '-'),
      carl=f'{carl.group(2)} / {carl.group(3)}' if carl else '-',
      tf=tf.group(1) if tf else '?')


def main(argv):
  del argv
  unknown = [c for c in FLAGS.configs if c not in CONFIGS]
  if unknown:
    raise app.UsageError(f'--configs: unknown {unknown}; expected some of '
                         f'{list(CONFIGS)}')
  rows = [run_once(config) for config in FLAGS.configs]
  print(f'\nstudio, {FLAGS.seconds:g} s at {FLAGS.bpm:g} bpm, 3 live '
        'changes (first program learns from the start)')
  print('| configuration | ticks | lateness p50 ms | p99 ms | max ms | done '
        'p99 / max ms | late agent steps | CARL clock p99 / max ms | TF in '
        'clock process |')
  print('|---|---|---|---|---|---|---|---|---|')
  for r in rows:
    print(f"| {r['config']} | {r['ticks']} | {r['p50']} | {r['p99']} | "
          f"{r['max']} | {r['done']} | {r['late']} | {r['carl']} | "
          f"{r['tf']} |")


if __name__ == '__main__':
  app.run(main)
