"""End-to-end sweeps on Ray Tune: kill-and-rerun, and a second Ray node.

Each test starts Ray (30-60 s on two shared cores), so there are only two:

  * kill a trial's worker mid-run (Tune retries it; it resumes from its
    checkpoint), then kill the whole sweep while one trial is finished and
    the other is not, and run the same command again: the finished trial is
    not rerun, the unfinished one resumes from its checkpoint, and the
    results table and figure are written;
  * start a separate Ray head node and run a sweep on it with
    --ray_address.

Ray processes are found by their session dir (unique per test) and killed by
process id at the end.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

from absl.testing import absltest

from rl_tuner.sweeps import trial
from tests.rl_tuner import testing_utils

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__)))))
SWEEP = os.path.join(REPO_ROOT, 'rl_tuner', 'sweeps', 'sweep.py')
# B = 4 tiny compositions; long enough to be killed mid-run.
HPARAMS = 'num_compositions_in_parallel=4,replay_memory_size=1024'


def _attempts(out, name):
  path = os.path.join(trial.trial_dir(out, name), trial.ATTEMPTS_FILENAME)
  if not os.path.exists(path):
    return []
  with open(path) as f:
    return [json.loads(line) for line in f]


def _checkpoint_step(out, name):
  return trial._latest_checkpoint_step(trial.trial_dir(out, name))  # pylint: disable=protected-access


def _kill_processes_under(marker: str) -> None:
  """SIGKILLs every process whose command line mentions ``marker``."""
  for pid in os.listdir('/proc'):
    if not pid.isdigit() or int(pid) == os.getpid():
      continue
    try:
      with open(f'/proc/{pid}/cmdline', 'rb') as f:
        cmdline = f.read().decode(errors='replace')
    except OSError:
      continue
    if marker in cmdline:
      try:
        os.kill(int(pid), signal.SIGKILL)
      except OSError:
        pass


def _wait_for(predicate, timeout, what):
  deadline = time.time() + timeout
  while time.time() < deadline:
    if predicate():
      return
    time.sleep(0.05)
  raise AssertionError(f'timed out after {timeout} s waiting for {what}')


class SweepTest(absltest.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.tmp = tempfile.mkdtemp(dir=absltest.get_default_test_tmpdir())
    cls.note_rnn_dir = testing_utils.make_tiny_note_rnn(
        os.path.join(cls.tmp, 'note_rnn'))
    # A short session dir: Ray's socket paths must fit in 107 bytes.
    cls.ray_dir = tempfile.mkdtemp(prefix='rt', dir='/tmp')
    # Ray 2.60 turns on token authentication when ~/.ray/auth_token exists
    # (ray.init() writes one), and a client joining with an address does not
    # send it unless RAY_AUTH_MODE=token: the test's nodes run without.
    cls.env = dict(os.environ, PYTHONPATH=REPO_ROOT, TF_CPP_MIN_LOG_LEVEL='2',
                   RAY_DEDUP_LOGS='0', CUDA_VISIBLE_DEVICES='',
                   RAY_AUTH_MODE='disabled')

  @classmethod
  def tearDownClass(cls):
    _kill_processes_under(cls.ray_dir)
    super().tearDownClass()

  def _command(self, out, num_steps, extra=()):
    return [sys.executable, SWEEP, '--algorithms=q', '--seeds=0,1',
            f'--hparams={HPARAMS}', f'--num_steps={num_steps}',
            f'--eval_every={num_steps // 2}', '--checkpoint_every=512',
            '--num_eval_compositions=8', '--max_concurrent=2',
            f'--note_rnn_checkpoint_dir={self.note_rnn_dir}',
            f'--output_dir={out}', f'--ray_temp_dir={self.ray_dir}',
            *extra]

  def test_kill_worker_then_sweep_and_rerun(self):
    out = os.path.join(self.tmp, 'sweep')
    command = self._command(out, 16384)
    log = open(os.path.join(self.tmp, 'first_run.log'), 'w')
    proc = subprocess.Popen(command, env=self.env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
      # 1. Kill q_seed0's worker once it has a checkpoint.
      _wait_for(lambda: _checkpoint_step(out, 'q_seed0') > 0, 300,
                'a q_seed0 checkpoint')
      os.kill(_attempts(out, 'q_seed0')[0]['pid'], signal.SIGKILL)
      _wait_for(lambda: len(_attempts(out, 'q_seed0')) >= 2, 300,
                'Tune to retry q_seed0')
      # 2. Kill the whole sweep once one trial has finished and the other
      # has a checkpoint but has not.
      def one_done_one_started():
        done = [trial.read_result(out, n) is not None
                for n in ('q_seed0', 'q_seed1')]
        started = [_checkpoint_step(out, n) > 0
                   for n in ('q_seed0', 'q_seed1')]
        return sum(done) == 1 and all(started)
      _wait_for(one_done_one_started, 300, 'one trial finished')
    finally:
      os.killpg(proc.pid, signal.SIGKILL)
      proc.wait()
      _kill_processes_under(self.ray_dir)
      log.close()
    finished = [n for n in ('q_seed0', 'q_seed1')
                if trial.read_result(out, n) is not None]
    self.assertLen(finished, 1)
    unfinished = 'q_seed1' if finished == ['q_seed0'] else 'q_seed0'
    seed0 = _attempts(out, 'q_seed0')
    # The killed worker's trial was retried from its checkpoint.
    self.assertGreaterEqual(len(seed0), 2)
    self.assertEqual(seed0[0]['start_step'], 0)
    self.assertGreater(seed0[1]['start_step'], 0)
    before = {n: len(_attempts(out, n)) for n in finished + [unfinished]}

    # 3. The same command again.
    rerun = subprocess.run(command, env=self.env, capture_output=True,
                           text=True, timeout=600, check=False)
    self.assertEqual(rerun.returncode, 0, rerun.stdout[-3000:] +
                     rerun.stderr[-3000:])
    new = {n: _attempts(out, n)[before[n]:] for n in before}
    # The finished trial was not rerun, only reported.
    self.assertTrue(all(a['skipped'] for a in new[finished[0]]))
    # The unfinished one resumed from its checkpoint and finished.
    self.assertGreater(new[unfinished][0]['start_step'], 0)
    self.assertFalse(new[unfinished][0]['skipped'])
    self.assertIsNotNone(trial.read_result(out, unfinished))
    for name in ('results.md', 'results.csv', 'results.png'):
      self.assertTrue(os.path.exists(os.path.join(out, name)), name)
    with open(os.path.join(out, 'results.md')) as f:
      table = f.read()
    self.assertIn('| q_seed0 | 16384 |', table)
    self.assertIn('| q | 2 |', table)

  def test_ray_address_runs_on_a_separately_started_node(self):
    with socket.socket() as s:
      s.bind(('127.0.0.1', 0))
      port = s.getsockname()[1]
    node_dir = tempfile.mkdtemp(prefix='rn', dir='/tmp')
    head = subprocess.Popen(
        [sys.executable, '-c', 'from ray.scripts.scripts import main; main()',
         'start', '--head', f'--port={port}', '--num-cpus=2',
         '--include-dashboard=false', f'--temp-dir={node_dir}', '--block'],
        env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)
    try:
      out = os.path.join(self.tmp, 'remote')
      command = self._command(out, 1024, ['--seeds=0',
                                          f'--ray_address=127.0.0.1:{port}'])
      run = subprocess.run(command, env=self.env, capture_output=True,
                           text=True, timeout=600, check=False)
      output = run.stdout + run.stderr
      self.assertEqual(run.returncode, 0, output[-3000:])
      # Joined the node (Ray names it by the host's address) instead of
      # starting an embedded Ray.
      self.assertRegex(output,
                       f'Connecting to existing Ray cluster at address: '
                       f'[0-9.]+:{port}')
      self.assertNotIn('Started a local Ray instance', output)
      self.assertIsNotNone(trial.read_result(out, 'q_seed0'))
    finally:
      os.killpg(head.pid, signal.SIGKILL)
      head.wait()
      _kill_processes_under(node_dir)


if __name__ == '__main__':
  absltest.main()
