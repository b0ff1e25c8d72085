"""Tests for sonification.osc_control: the address table end to end on
loopback UDP, malformed input counted and never fatal."""

import queue
import socket
import time

from absl.testing import absltest
from pythonosc import osc_message
from pythonosc import osc_message_builder
from pythonosc import udp_client

from sonification import osc_control

# One valid message per address (address, args, expected Command args).
VALID = [
    ('/drums/mode', ['snare', 'learn'], ('snare', 'learn')),
    ('/drums/program', ['kick*4;'], ('kick*4;',)),
    ('/drums/reset', [], ()),
    ('/drums/save', ['/tmp/a'], ('/tmp/a',)),
    ('/drums/load', ['/tmp/a'], ('/tmp/a',)),
    ('/drums/control', ['mousex', 0.25], ('mousex', 0.25)),
    ('/drums/hparams', ['epsilon=0.2'], ('epsilon=0.2',)),
    ('/hush', [], ()),
    ('/studio/export', ['/tmp/s.json'], ('/tmp/s.json',)),
    ('/studio/import', ['/tmp/s.json'], ('/tmp/s.json',)),
    ('/tempo', [132], (132.0,)),
    ('/stop', [], ()),
    ('/carl/reward', [-1.0], (-1.0,)),
    ('/carl/randomise_actor', [], ()),
    ('/carl/randomise_critic', [], ()),
    ('/carl/clear_memory', [], ()),
    ('/carl/reward_scale', [2.0], (2.0,)),
    ('/carl/optimise_every', [5], (5,)),
    ('/carl/noise', [0.25], (0.25,)),
    ('/carl/input', [0.5, 0.25, 1.0], (0.5, 0.25, 1.0)),
    ('/carl/input_at', [2, 0.75], (2, 0.75)),
    ('/carl/save', [], ()),
    ('/carl/load', ['/tmp/c.npz'], ('/tmp/c.npz',)),
    ('/agent/tick', [1, 0, -1], (1, 0, -1)),
    ('/agent/hit', ['source'], ('source',)),
    ('/agent/mode', ['predict'], ('predict',)),
    ('/agent/reset', [], ()),
    ('/agent/save', ['/tmp/b'], ('/tmp/b',)),
    ('/agent/load', ['/tmp/b'], ('/tmp/b',)),
]


def _wait_for(predicate, timeout_s=5.0):
  end = time.monotonic() + timeout_s
  while time.monotonic() < end:
    if predicate():
      return True
    time.sleep(0.005)
  return predicate()


class ValidateTest(absltest.TestCase):

  def test_every_address_is_covered(self):
    self.assertCountEqual([v[0] for v in VALID], osc_control.ADDRESS_TABLE)

  def test_signatures(self):
    self.assertEqual(osc_control.parse_arguments('f+', (1, 2.5)), (1.0, 2.5))
    self.assertEqual(osc_control.parse_arguments('s?', ()), ())
    self.assertEqual(osc_control.parse_arguments('i', (3.0,)), (3,))
    with self.assertRaisesRegex(TypeError, 'expected 2 arguments'):
      osc_control.parse_arguments('ss', ('kick',))
    with self.assertRaisesRegex(TypeError, 'argument 0: expected a number'):
      osc_control.parse_arguments('f', ('x',))
    with self.assertRaisesRegex(TypeError, 'expected an integer'):
      osc_control.parse_arguments('i', (2.5,))
    with self.assertRaisesRegex(TypeError, 'at least 1'):
      osc_control.parse_arguments('f+', ())

  def test_value_checks(self):
    with self.assertRaisesRegex(ValueError, 'mode must be one of'):
      osc_control.validate('/drums/mode', ('snare', 'sing'))
    with self.assertRaisesRegex(ValueError, 'bpm must be in'):
      osc_control.validate('/tempo', (0.0,))
    with self.assertRaisesRegex(ValueError, r'value must be in \[0, 1\]'):
      osc_control.validate('/drums/control', ('mousex', 1.5))
    with self.assertRaisesRegex(ValueError, r'index must be in \[0, 1023\]'):
      osc_control.validate('/carl/input_at', (-1, 0.5))
    # Finite but absurd values are refused at the edge (issue 12 item 1).
    with self.assertRaisesRegex(ValueError, r'reward must be in \[-10, 10\]'):
      osc_control.validate('/carl/reward', (1e30,))
    with self.assertRaisesRegex(ValueError, r'input 1 must be in'):
      osc_control.validate('/carl/input', (0.5, 11.0))
    with self.assertRaisesRegex(ValueError, r'reward scale must be in \(0'):
      osc_control.validate('/carl/reward_scale', (0.0,))
    with self.assertRaisesRegex(ValueError, r'noise sigma must be in'):
      osc_control.validate('/carl/noise', (2.0,))
    with self.assertRaisesRegex(ValueError, r'bpm must be in \[10, 1000\]'):
      osc_control.validate('/tempo', (1.0,))
    with self.assertRaisesRegex(ValueError, 'source hits must be 0 or 1'):
      osc_control.validate('/agent/tick', (2, 1))
    with self.assertRaisesRegex(ValueError, 'at most 4096'):
      osc_control.validate('/drums/save', ('x' * 5000,))
    with self.assertRaisesRegex(TypeError, 'expected a finite number'):
      osc_control.validate('/carl/reward', (10**400,))
    with self.assertRaisesRegex(KeyError, 'unknown OSC address'):
      osc_control.validate('/nope', ())


class ServerTest(absltest.TestCase):

  def setUp(self):
    super().setUp()
    self.server = osc_control.OscControlServer(port=0).start()
    self.addCleanup(self.server.close)
    self.client = udp_client.SimpleUDPClient('127.0.0.1', self.server.port)
    self.addCleanup(self.client._sock.close)  # pylint: disable=protected-access

  def test_address_table_end_to_end(self):
    for address, args, _ in VALID:
      self.client.send_message(address, args)
    self.assertTrue(_wait_for(
        lambda: self.server.stats['accepted'] == len(VALID)), self.server.stats)
    got = []
    while not self.server.commands.empty():
      got.append(self.server.commands.get_nowait())
    sender = ('127.0.0.1', self.client._sock.getsockname()[1])  # pylint: disable=protected-access
    self.assertEqual(got, [osc_control.Command(a[1:], want, sender)
                           for a, _, want in VALID])
    # The router runs them by name; an unregistered one is counted.
    seen = []
    router = osc_control.CommandRouter({'tempo': seen.append})
    q = queue.Queue()
    for c in got:
      q.put(c)
    with self.assertLogs(level='WARNING'):
      self.assertEqual(router.drain(q, max_commands=100), len(VALID))
    self.assertEqual(seen, [132.0])
    self.assertEqual(router.stats['handled'], 1)
    self.assertEqual(router.stats['unhandled'], len(VALID) - 1)

  def test_malformed_flood_is_counted_not_fatal(self):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    self.addCleanup(sock.close)
    target = ('127.0.0.1', self.server.port)
    garbage = [b'', b'\x00' * 7, b'hello world', b'/x\x00\x00,i\x00\x00',
               b'#bundle\x00' + b'\xff' * 5]
    builder = osc_message_builder.OscMessageBuilder('/tempo')
    builder.add_arg('fast')
    wrong_type = builder.build().dgram
    n = 200
    with self.assertLogs(level='WARNING'):
      for i in range(n):
        sock.sendto(garbage[i % len(garbage)], target)
        sock.sendto(wrong_type, target)
        self.client.send_message('/unknown/address', [i])
        self.client.send_message('/carl/input', [])  # too few arguments.
        self.client.send_message('/carl/reward', [1.0])  # valid.
        if i % 50 == 0:
          time.sleep(0.01)  # let the kernel buffer drain (UDP may drop).
      self.assertTrue(_wait_for(
          lambda: self.server.stats['datagrams'] >= 5 * n * 0.9, 10.0))
      time.sleep(0.1)
    stats = self.server.stats
    # Loopback UDP can drop under a flood, so count what arrived: every
    # datagram was either accepted or counted as malformed.
    self.assertEqual(stats['datagrams'],
                     stats['accepted'] + self.server.malformed)
    self.assertGreater(stats['not_osc'], 0)
    self.assertGreater(stats['unknown_address'], 0)
    self.assertGreater(stats['bad_arguments'], 0)
    self.assertEqual(stats['accepted'], self.server.commands.qsize())
    # The server still works afterwards.
    before = stats['accepted']
    self.client.send_message('/stop', [])
    self.assertTrue(_wait_for(lambda: self.server.stats['accepted'] > before))

  def test_queue_bound(self):
    server = osc_control.OscControlServer(port=0, max_queue=3).start()
    self.addCleanup(server.close)
    client = udp_client.SimpleUDPClient('127.0.0.1', server.port)
    self.addCleanup(client._sock.close)  # pylint: disable=protected-access
    for _ in range(5):
      client.send_message('/drums/reset', [])
    self.assertTrue(_wait_for(lambda: server.stats['datagrams'] == 5))
    self.assertEqual(server.stats['accepted'], 3)
    self.assertEqual(server.stats['dropped'], 2)

  def test_router_failures_are_counted(self):
    def boom(*args):
      raise RuntimeError('bad')

    router = osc_control.CommandRouter({'stop': boom})
    replies = []
    with self.assertLogs(level='WARNING') as logs:
      for _ in range(100):
        router.dispatch(osc_control.Command('stop', (), ('h', 1)),
                        lambda *a: replies.append(a))
    self.assertEqual(router.stats['failed'], 100)
    # One line for a burst of one kind (rate-limited), no traceback.
    self.assertLen(logs.output, 1)
    self.assertNotIn('Traceback', logs.output[0])
    self.assertEqual(router.errors.summary(), {'command/stop': 100})
    self.assertEqual(replies[0], (('h', 1), '/stop: RuntimeError: bad'))
    self.assertLen(replies, 100)

  def test_errors_are_replied_to_the_sender(self):
    listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    self.addCleanup(listener.close)
    listener.bind(('127.0.0.1', 0))
    listener.settimeout(5.0)
    builder = osc_message_builder.OscMessageBuilder('/carl/reward')
    builder.add_arg(1e30)
    listener.sendto(builder.build().dgram, ('127.0.0.1', self.server.port))
    data, _ = listener.recvfrom(65536)
    message = osc_message.OscMessage(data)
    self.assertEqual(message.address, '/error')
    self.assertIn('reward must be in [-10, 10]', message.params[0])
    self.assertTrue(self.server.commands.empty())

  def test_budgeted_drain_leaves_the_rest_for_the_next_tick(self):
    now = [0.0]

    def slow(*unused):
      now[0] += 0.001  # each command "takes" 1 ms on the fake clock.

    router = osc_control.CommandRouter({'drums/reset': slow})
    q = queue.Queue()
    for _ in range(10):
      q.put(osc_control.Command('drums/reset'))
    # Budget 2.5 ms: commands at t=0, 1, 2 ms run; at 3 ms the budget is
    # spent, so 7 wait.
    self.assertEqual(router.drain(q, budget_s=0.0025, time_fn=lambda: now[0]),
                     3)
    self.assertEqual(q.qsize(), 7)
    self.assertEqual(router.stats['deferred'], 1)


if __name__ == '__main__':
  absltest.main()
