"""Tests for sonification.osc_control: the address table end to end on
loopback UDP, malformed input counted and never fatal."""

import queue
import socket
import time

from absl.testing import absltest
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
    with self.assertRaisesRegex(ValueError, 'index must be >= 0'):
      osc_control.validate('/carl/input_at', (-1, 0.5))
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
    self.assertEqual(got, [osc_control.Command(a[1:], want)
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
    with self.assertLogs(level='ERROR'):
      router.dispatch(osc_control.Command('stop'))
    self.assertEqual(router.stats['failed'], 1)


if __name__ == '__main__':
  absltest.main()
