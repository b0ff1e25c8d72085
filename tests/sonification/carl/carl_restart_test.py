"""End to end: kill a live CARL session (SIGKILL) and start it again.

The first `sonification/live.py --carl` process gets an input vector and five
likes over OSC on loopback, learns from them, autosaves every bar, is paused
by the player and then killed without any chance to clean up. A second
process on the same --state_dir must restore the four networks, the replay
memory and the player's settings of the last autosave (paused, it saves them
back unchanged when it ends).
"""

import os
import re
import signal
import subprocess
import sys
import threading
import time

from absl.testing import absltest
import numpy as np
from pythonosc import udp_client

from sonification.carl import carl_memory

_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
_LIVE = os.path.join(_ROOT, 'sonification', 'live.py')
# 600 bpm, 8 ticks per 4-beat bar: 50 ms ticks, 0.4 s bars.
_FLAGS = ['--carl', '--bpm=600', '--autosave_bars=1', '--norealtime',
          '--osc_port=0', '--logtostderr']


class _Live:
  """A live.py process whose stderr is collected by a thread."""

  def __init__(self, *flags):
    env = dict(os.environ, PYTHONPATH=_ROOT, TF_CPP_MIN_LOG_LEVEL='2')
    self.process = subprocess.Popen(
        [sys.executable, _LIVE, *_FLAGS, *flags], stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    self.lines = []
    self._reader = threading.Thread(target=self._read, daemon=True)
    self._reader.start()

  def _read(self):
    for line in self.process.stdout:
      self.lines.append(line)

  def output(self):
    return ''.join(self.lines)

  def wait_for(self, pattern, timeout_s=120.0):
    """Returns the first match of pattern in the output (None on timeout)."""
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
      match = re.search(pattern, self.output())
      if match or self.process.poll() is not None:
        return match or re.search(pattern, self.output())
      time.sleep(0.05)
    return None

  def kill(self):
    if self.process.poll() is None:
      self.process.kill()
    self.process.wait(30)
    self._reader.join(10)


def _wait_for_file_meta(path, predicate, timeout_s=60.0):
  end = time.monotonic() + timeout_s
  while time.monotonic() < end:
    if os.path.exists(path):
      state = carl_memory.load_state(path)
      if predicate(state[2]):
        return state
    time.sleep(0.05)
  return None


class CarlRestartTest(absltest.TestCase):

  def test_kill_and_restart_restores_networks_and_memory(self):
    state_dir = self.create_tempdir().full_path
    path = os.path.join(state_dir, 'carl_state.npz')
    first = _Live(f'--state_dir={state_dir}', '--seconds=300',
                  '--carl_hparams=seed=3')
    self.addCleanup(first.kill)
    port = first.wait_for(r'OSC control on 127\.0\.0\.1:(\d+)')
    self.assertIsNotNone(port, first.output())
    client = udp_client.SimpleUDPClient('127.0.0.1', int(port.group(1)))
    self.addCleanup(client._sock.close)  # pylint: disable=protected-access
    client.send_message('/carl/input', [0.2, 0.4, 0.6])
    # A like rewards what was played at the last tick: let a few ticks
    # (50 ms each, so 20 of them) play the new input first.
    time.sleep(1.0)
    for _ in range(5):
      client.send_message('/carl/reward', [1.0])
    learned = _wait_for_file_meta(
        path, lambda m: m['rewards_stored'] == 5 and m['optimisations'] > 0)
    self.assertIsNotNone(learned, first.output())
    # The player pauses learning (the top of the optimisation-frequency
    # range); wait for an autosave with that setting, then kill with no
    # clean-up: what survives is the last autosave, written atomically.
    client.send_message('/carl/optimise_every', [100])
    paused = _wait_for_file_meta(path, lambda m: m['optimise_every'] == 100)
    self.assertIsNotNone(paused, first.output())
    first.process.send_signal(signal.SIGKILL)
    first.kill()
    self.assertEqual(first.process.returncode, -signal.SIGKILL)
    networks, memory, meta = carl_memory.load_state(path)
    self.assertLen(memory['rewards'], 5)
    np.testing.assert_allclose(memory['states'][-1], [0.2, 0.4, 0.6])

    # A new process with another seed restores everything, the paused
    # learning included, so after some ticks it saves the restored networks
    # and memory back unchanged when it ends.
    second = _Live(f'--state_dir={state_dir}', '--ticks=8',
                   '--carl_hparams=seed=4')
    self.addCleanup(second.kill)
    self.assertEqual(second.process.wait(120), 0, second.output())
    second.kill()
    self.assertRegex(second.output(), r'CARL: restored .*carl_state\.npz '
                     r'\(5 transitions\)')
    networks_after, memory_after, meta_after = carl_memory.load_state(path)
    self.assertEqual(meta_after['rewards_stored'], 5)
    self.assertEqual(meta_after['optimise_every'], 100)
    self.assertEqual(meta_after['optimisations'], meta['optimisations'])
    for name, weights in networks.items():
      for a, b in zip(weights, networks_after[name]):
        np.testing.assert_array_equal(a, b, err_msg=name)
    for key, value in memory.items():
      np.testing.assert_array_equal(value, memory_after[key], err_msg=key)


if __name__ == '__main__':
  absltest.main()
