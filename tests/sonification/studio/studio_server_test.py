"""Tests for sonification/studio/studio_server.py: access checks, commands."""

import json
import tempfile

from absl.testing import absltest
from tornado import httpclient
from tornado import testing
from tornado import websocket

from sonification import osc_control
from sonification.studio import studio_server
from sonification.studio import studio_store


class FakeApp:

  def snapshot(self):
    return dict(tick=3)


class StudioServerTest(testing.AsyncTestCase):

  def setUp(self):
    super().setUp()
    self.control = studio_server.StudioInput()
    self.store = studio_store.Store(tempfile.mkdtemp(
        dir=absltest.get_default_test_tmpdir()))
    self.server = studio_server.StudioServer(
        FakeApp(), self.control, self.store, token='tok', port=0)
    self.base = f'127.0.0.1:{self.server.port}'

  def tearDown(self):
    self.server.close()
    super().tearDown()

  async def fetch(self, path, **headers):
    request = httpclient.HTTPRequest(f'http://{self.base}{path}',
                                     headers=headers)
    response = await httpclient.AsyncHTTPClient().fetch(request,
                                                        raise_error=False)
    return response.code

  async def socket(self, origin=None, token='tok'):
    request = httpclient.HTTPRequest(
        f'ws://{self.base}/ws?token={token}',
        headers={'Origin': origin or f'http://{self.base}'})
    return await websocket.websocket_connect(request)

  async def ask(self, ws, message):
    await ws.write_message(json.dumps(message))
    while True:
      reply = json.loads(await ws.read_message())
      if reply['type'] != 'state':
        return reply

  def queued(self):
    out = []
    while not self.control.commands.empty():
      out.append(self.control.commands.get_nowait())
    return out

  @testing.gen_test
  async def test_page_needs_token_and_loopback_host(self):
    self.assertEqual(await self.fetch('/?token=tok'), 200)
    self.assertEqual(await self.fetch('/?token=nope'), 403)
    self.assertEqual(await self.fetch('/'), 403)
    self.assertEqual(await self.fetch('/?token=tok',
                                      Host=f'evil.example:{self.server.port}'),
                     403)
    self.assertEqual(await self.fetch('/static/studio.js'), 403)
    self.assertEqual(await self.fetch('/static/studio.js',
                                      Cookie='studio_token=tok'), 200)
    self.assertEqual(await self.fetch('/vendor/codemirror/lib/codemirror.js',
                                      Cookie='studio_token=tok'), 200)

  def test_host_opens_it_up_on_purpose(self):
    port = self.server.port
    self.assertTrue(self.server.host_allowed(f'localhost:{port}'))
    self.assertFalse(self.server.host_allowed('192.168.1.5:%d' % port))
    self.assertFalse(self.server.host_allowed(f'localhost:{port + 1}'))
    self.assertTrue(self.server.origin_allowed(f'http://localhost:{port}',
                                               f'localhost:{port}'))
    self.assertFalse(self.server.origin_allowed('http://evil.example',
                                                f'localhost:{port}'))
    opened = studio_server.StudioServer(FakeApp(), self.control, self.store,
                                        token='tok', host='0.0.0.0', port=0)
    try:
      self.assertTrue(opened.host_allowed('192.168.1.5:8000'))
      self.assertTrue(opened.origin_allowed('http://192.168.1.5:8000',
                                            '192.168.1.5:8000'))
      self.assertFalse(opened.origin_allowed('http://evil.example',
                                             '192.168.1.5:8000'))
      self.assertFalse(opened.token_ok('') or opened.token_ok('tok2'))
      self.assertTrue(opened.url.startswith('http://127.0.0.1:'))
    finally:
      opened.close()

  @testing.gen_test
  async def test_sockets_refuse_other_origins_and_tokens(self):
    for origin, token in (('http://evil.example', 'tok'), (None, 'nope')):
      with self.assertRaises(httpclient.HTTPClientError) as e:
        await self.socket(origin, token)
      self.assertEqual(e.exception.code, 403)

  @testing.gen_test
  async def test_commands_go_through_the_osc_queue(self):
    ws = await self.socket()
    first = json.loads(await ws.read_message())
    self.assertEqual(first, dict(type='names', programs=[], agents=[]))
    reply = await self.ask(ws, dict(op='eval', text='source kick;\nlern x;'))
    self.assertEqual((reply['ok'], reply['line'], reply['column']),
                     (False, 2, 1))
    self.assertEqual(self.queued(), [])  # the old program keeps playing.
    reply = await self.ask(ws, dict(op='eval', text='source kick;'))
    self.assertTrue(reply['ok'])
    await ws.write_message(json.dumps(dict(op='osc', address='/carl/reward',
                                           args=[1])))
    reply = await self.ask(ws, dict(op='osc', address='/carl/nope', args=[]))
    self.assertIn("unknown OSC address '/carl/nope'", reply['message'])
    reply = await self.ask(ws, dict(op='hparams', values=dict(
        structure=[16, 8], epsilon='0.2', bogus=1)))
    self.assertEqual(reply['type'], 'info')
    self.assertEqual(self.queued(), [
        osc_control.Command('drums/program', ('source kick;',)),
        osc_control.Command('carl/reward', (1.0,)),
        osc_control.Command('drums/hparams', ('structure=16/8,epsilon=0.2',)),
    ])
    reply = await self.ask(ws, dict(op='hparams', values=dict(epsilon='2')))
    self.assertIn('epsilon', reply['message'])
    reply = await self.ask(ws, dict(op='ping', t=12.5))
    self.assertEqual(reply, dict(type='pong', t=12.5))
    ws.close()

  @testing.gen_test
  async def test_programs_by_name(self):
    ws = await self.socket()
    await ws.read_message()
    reply = await self.ask(ws, dict(op='save_program', name='one',
                                    text='kick*4;'))
    self.assertEqual(reply['programs'], ['one'])
    reply = await self.ask(ws, dict(op='load_program', name='one'))
    self.assertEqual((reply['type'], reply['text']), ('program', 'kick*4;'))
    reply = await self.ask(ws, dict(op='load_program', name='../x'))
    self.assertIn('name must', reply['message'])
    reply = await self.ask(ws, dict(op='load_agent', name='none'))
    self.assertIn("no saved agent 'none'", reply['message'])
    ws.close()


if __name__ == '__main__':
  absltest.main()
