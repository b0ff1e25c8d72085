"""Kill test of rl_tuner_train (issue 12, item 7).

The train binary runs in child processes that SIGKILL themselves at chosen
points of a run: between the checkpoint and the replay memory of a unit,
before its manifest, after its manifest (before old units are pruned) and at
the start of a training chunk. Each next run resumes. The final run must
equal an uninterrupted one in steps, files and transition counts.

Tiny settings: 4 compositions x 32 steps = 128 environment steps per chunk,
512 steps, a unit every 128 steps, evaluations at 256 and 512.
"""

import json
import os
import signal
import subprocess
import sys

from absl.testing import absltest
import numpy as np

import rl_tuner
from rl_tuner import run_state
from tests.rl_tuner import testing_utils

# Runs rl_tuner_train with one phase of a commit (or RLTuner.train) patched to
# SIGKILL the process when it reaches the given step. argv: phase, step,
# then the binary's flags.
_CHILD = r'''
import os, signal, sys
from rl_tuner import flag_checks, rl_tuner, rl_tuner_train, run_state
phase, kill_step = sys.argv[1], int(sys.argv[2])

def _kill():
  os.kill(os.getpid(), signal.SIGKILL)

if phase == 'train':
  original_train = rl_tuner.RLTuner.train
  def train(self, n):
    if int(self.global_step.numpy()) == kill_step:
      _kill()
    return original_train(self, n)
  rl_tuner.RLTuner.train = train
elif phase != 'none':
  original = getattr(run_state, phase)
  def killed(unit, *args):
    if unit.step == kill_step:
      _kill()
    return original(unit, *args)
  setattr(run_state, phase, killed)
sys.argv = ['rl_tuner_train'] + sys.argv[3:]
flag_checks.run(rl_tuner_train.main)
'''
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(rl_tuner.__file__)))


def _files(out):
  """Relative paths under out, without TensorBoard event files."""
  found = set()
  for root, _, names in os.walk(out):
    for name in names:
      if not name.startswith('events.out.tfevents'):
        found.add(os.path.relpath(os.path.join(root, name), out))
  return found


class RunStateKillTest(absltest.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    tmp = os.path.join(absltest.get_default_test_tmpdir(), 'kill_test')
    os.makedirs(tmp, exist_ok=True)
    cls.note_rnn_dir = testing_utils.make_tiny_note_rnn(
        os.path.join(tmp, 'note_rnn'))
    cls.primer = testing_utils.make_primer(tmp)

  def _train(self, out, phase='none', step=0):
    flags = [f'--output_dir={out}', f'--note_rnn_checkpoint_dir='
             f'{self.note_rnn_dir}', f'--midi_primer={self.primer}',
             '--num_steps=512', '--checkpoint_every=128', '--eval_every=256',
             '--num_eval_compositions=8', '--num_midi=1',
             '--hparams=num_compositions_in_parallel=4,'
             'replay_memory_size=1024']
    env = dict(os.environ, PYTHONPATH=_ROOT, TF_CPP_MIN_LOG_LEVEL='2',
               CUDA_VISIBLE_DEVICES='')
    result = subprocess.run(
        [sys.executable, '-c', _CHILD, phase, str(step)] + flags, env=env,
        capture_output=True, text=True, timeout=240, check=False)
    return result

  def _units(self, out):
    return run_state.list_units(run_state.checkpoint_dir(out))

  def test_killed_runs_equal_an_uninterrupted_one(self):
    reference = self.create_tempdir('reference').full_path
    result = self._train(reference)
    self.assertEqual(result.returncode, 0, result.stderr[-3000:])
    self.assertEqual(self._units(reference), [384, 512])

    out = self.create_tempdir('killed').full_path
    ckpt_dir = run_state.checkpoint_dir(out)
    # (phase, step, units committed after the kill, step resumed from).
    kills = [('_write_memory', 256, [128], None),  # Checkpoint, no memory.
             ('_write_manifest', 384, [128, 256], 128),  # Files, no manifest.
             ('_prune', 384, [128, 256, 384], 256),  # Manifest, not pruned.
             ('train', 384, [128, 256, 384], 384)]  # Mid-run, between units.
    for phase, step, units, resumed in kills:
      result = self._train(out, phase, step)
      self.assertEqual(result.returncode, -signal.SIGKILL,
                       f'{phase}: {result.stderr[-3000:]}')
      self.assertEqual(self._units(out), units, phase)
      if resumed is not None:
        self.assertIn(f'at step {resumed}', result.stderr, phase)
    # The kill in _write_memory left ckpt-256 without a unit, the kill in
    # _write_manifest a whole uncommitted step 384; both are gone by now.
    # Strays of a crash during a write: removed when the run resumes.
    open(os.path.join(ckpt_dir, 'replay_memory-999.npz.tmp.npz'), 'w').close()
    os.makedirs(os.path.join(ckpt_dir, 'ckpt-999_temp'))
    result = self._train(out)
    self.assertEqual(result.returncode, 0, result.stderr[-3000:])
    self.assertIn('at step 384', result.stderr)

    self.assertEqual(_files(out) - {'hparams_history.json'},
                     _files(reference) - {'hparams_history.json'})
    for directory in (reference, out):
      ckpt = run_state.checkpoint_dir(directory)
      self.assertEqual(self._units(directory), [384, 512])
      unit = run_state.read_unit(ckpt, 512)
      self.assertEqual(unit.num_transitions, 512)
      with np.load(unit.replay_memory) as memory:
        # meta: capacity, state size, classes, next, size, total added.
        self.assertEqual(memory['meta'][4:].tolist(), [512, 512])
      with np.load(unit.reward_history) as history:
        self.assertEqual(history['step'].tolist(), [256, 512])
      with open(os.path.join(directory, 'eval', 'stats_512.json')) as f:
        self.assertEqual(json.load(f)['step'], 512)
      with open(os.path.join(ckpt, 'checkpoint')) as f:
        self.assertIn('model_checkpoint_path: "ckpt-512"', f.read())
    with open(os.path.join(out, 'hparams_history.json')) as f:
      self.assertEqual([e['event'] for e in json.load(f)],
                       ['start'] + ['resume'] * 4)


if __name__ == '__main__':
  absltest.main()
