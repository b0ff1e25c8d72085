"""Loopback flood of a drum session and a CARL session (issue 12): 20,000
mixed datagrams (resets, programs, saves and loads, huge and non-finite
numbers, garbage) while the real clock ticks every 30 ms; bounded in count
and time. The bench (bench/sonification_bench.py) prints the figures on the
real agents; the bounds here are looser for a loaded CI machine but a slow
verb on the clock thread (the agents here take 50 ms to make reset weights)
breaks them at once."""

import multiprocessing
import os
import sys
import tempfile
import time

from absl.testing import absltest

from sonification import clock as clock_lib
from sonification import osc_control
from tests.sonification import runtime_testing

DATAGRAMS = 20_000
SECONDS = 4.0
BPM = 1000.0  # 30 ms ticks (60 / 1000 * 4 / 8).
P99_BOUND_MS = 25.0  # measured here: 4-12 ms with 2 loaded cores (bench).
MAX_BOUND_MS = 200.0  # one scheduler hiccup on a loaded CI box, not a stall.


def _flood(port: int, kind: str, save_path: str, ready, go) -> None:
  """Sender process: DATAGRAMS mixed datagrams over SECONDS."""
  import socket  # pylint: disable=g-import-not-at-top
  from pythonosc import udp_client  # pylint: disable=g-import-not-at-top
  client = udp_client.SimpleUDPClient('127.0.0.1', port)
  sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
  common = [
      lambda i: sock.sendto(b'\xff#bundle' * (i % 9), ('127.0.0.1', port)),
      lambda i: client.send_message('/tempo', [1e30]),
      lambda i: client.send_message('/nope', [i]),
  ]
  drums = [
      lambda i: client.send_message('/drums/reset', []),
      lambda i: client.send_message('/drums/program', [
          runtime_testing.PROGRAM if i % 2 else 'kick*;']),
      lambda i: client.send_message('/drums/mode', ['snare', 'predict']),
      lambda i: client.send_message('/drums/control', ['mousex', 3e38]),
      lambda i: client.send_message('/drums/save', [save_path]),
      lambda i: client.send_message('/drums/load', [save_path]),
  ]
  carl = [
      lambda i: client.send_message('/carl/reward', [1e30]),
      lambda i: client.send_message('/carl/reward', [1.0]),
      lambda i: client.send_message('/carl/input', [float('nan'), 0.0, 0.0]),
      lambda i: client.send_message('/carl/input', [0.1, 0.2, i % 7 / 7]),
      lambda i: client.send_message('/carl/noise', [float('inf')]),
      lambda i: client.send_message('/carl/save', [save_path]),
      lambda i: client.send_message('/carl/randomise_actor', []),
  ]
  kinds = common + (drums if kind == 'drums' else carl)
  ready.set()
  go.wait(60.0)
  start = time.monotonic()
  for i in range(DATAGRAMS):
    kinds[i % len(kinds)](i)
    delay = start + SECONDS * (i + 1) / DATAGRAMS - time.monotonic()
    if delay > 0:
      time.sleep(delay)


class FloodTest(absltest.TestCase):

  def setUp(self):
    super().setUp()
    # As `live` does (--switch_interval_ms=0.5): the OSC thread parsing
    # 5,000 datagrams a second must not hold the GIL for Python's default
    # 5 ms when the clock thread wakes.
    interval = sys.getswitchinterval()
    sys.setswitchinterval(0.0005)
    self.addCleanup(sys.setswitchinterval, interval)

  def _flood_session(self, kind):
    tmp = tempfile.mkdtemp(prefix='flood_')
    save_path = os.path.join(tmp, 'state.npz')
    server = osc_control.OscControlServer(port=0)
    clock = clock_lib.Clock(bpm=BPM)
    if kind == 'drums':
      session, live = runtime_testing.make_drum_live(clock, {'osc': server})
    else:
      session, live = runtime_testing.make_carl_live(
          clock, {'osc': server}, state_dir=tmp, threaded=True)
    ctx = multiprocessing.get_context('spawn')
    ready, go = ctx.Event(), ctx.Event()
    sender = ctx.Process(target=_flood,
                         args=(server.port, kind, save_path, ready, go))
    sender.start()
    self.assertTrue(ready.wait(120.0), 'the sender did not start')
    clock.add_callback(lambda tick: go.set() if tick.index == 0 else None)
    ticks = int((SECONDS + 1.5) / clock_lib.tick_period_s(BPM))
    # As `live` does (--realtime): the clock thread at SCHED_FIFO when
    # permitted (root or rtprio); its workers and the OSC thread drop back.
    self.realtime = clock_lib.try_realtime_priority()
    try:
      stats = live.run(num_ticks=ticks)
    finally:
      clock_lib.normal_priority()
    sender.join(30.0)
    return session, stats, server

  def _check(self, stats, server):
    jitter = stats['jitter_ms']
    print(f"flood: {server.stats['datagrams']} datagrams, {server.malformed} "
          f"malformed, commands {stats['router']}, jobs {stats['jobs']}, "
          f"lateness p50 {jitter['p50_ms']:.3f} ms p99 {jitter['p99_ms']:.3f} "
          f"ms max {jitter['max_ms']:.3f} ms")
    self.assertGreater(server.stats['datagrams'], DATAGRAMS * 0.5)
    self.assertGreater(server.malformed, 0)
    self.assertGreater(stats['router']['handled'], 100)
    # Without real-time priority a loaded machine delays wake-ups by tens of
    # ms; a slow verb on the clock thread still shows (p99 > 50 ms).
    self.assertLess(jitter['p99_ms'],
                    P99_BOUND_MS if self.realtime else 45.0)
    self.assertLess(jitter['max_ms'], MAX_BOUND_MS)

  def test_drum_session(self):
    session, stats, server = self._flood_session('drums')
    self._check(stats, server)
    # The slow resets ran on the worker (committed at tick boundaries).
    self.assertGreater(stats['jobs']['committed'], 10)
    self.assertGreater(session.agents['snare'].resets, 0)

  def test_carl_session(self):
    session, stats, server = self._flood_session('carl')
    self._check(stats, server)
    self.assertGreater(len(session.memory), 0)
    state = session.memory.get_state()
    self.assertLessEqual(abs(state['rewards']).max(), 10.0)


if __name__ == '__main__':
  absltest.main()
