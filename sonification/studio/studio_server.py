"""The studio's web server (tornado): the page, one command socket, one audio.

Routes (every one checks the Host header, and the access token; sockets
also check the Origin):

  GET /?token=T          the page (sets an HttpOnly SameSite=Strict cookie)
  GET /static/...        sonification/studio/static/
  GET /vendor/codemirror/...   CodeMirror 5 from node_modules (npm-locked)
  WS  /ws?token=T        JSON commands in, state snapshots out
  WS  /audio?token=T     float32 stereo blocks out (interleaved, binary)

Access: by default the server listens on 127.0.0.1 and accepts only Host
headers naming a loopback address with its port (a DNS-rebinding page on
another site sends its own host name and is refused), an Origin equal to
``http://`` + Host on the sockets (other sites cannot drive it from a
visitor's browser), and the random token of the printed URL. ``--host``
opens it to other machines on purpose: then any Host is accepted, the token
and same-origin checks still apply.

Commands from the page become osc_control.Command on :class:`StudioInput`'s
queue through osc_control.enqueue, the same path as OSC, MIDI and the pad;
the clock thread runs them between ticks (LiveSession). Messages in
(JSON objects, ``op`` names the kind):

  eval {text}                parse; error -> {type: eval, ok: false, line,
                             column, message}; else /drums/program
  osc {address, args}        any row of osc_control.ADDRESS_TABLE
  hparams {values}           /drums/hparams from the form's fields
  save_program / load_program {name[, text]}; save_agent / load_agent {name}
  list                       saved names; export -> {type: session, data}
  import {data}              /studio/import of the session JSON
  ping {t}                   -> {type: pong, t} (the page measures latency)
"""

import asyncio
import hmac
import json
import logging
import os
import queue
import tempfile
import threading
import time
from typing import Optional, Set
from urllib import parse as urlparse

from tornado import httpserver
from tornado import ioloop
from tornado import netutil
from tornado import web
from tornado import websocket

from drums import beat_agent_hparams
from drums import language
from sonification import osc_control
from sonification.studio import audio_blocks
from sonification.studio import studio_store

COOKIE = 'studio_token'
LOOPBACK_HOSTS = ('127.0.0.1', 'localhost', '[::1]')
STATE_INTERVAL_MS = 50  # snapshot pushes: 20 per second.
EXPORT_TIMEOUT_S = 30.0


class StudioInput:
  """The page's control input for LiveSession: a command queue.

  Attributes:
    commands: queue.Queue of osc_control.Command (bounded).
    stats: 'accepted', 'dropped' (osc_control.enqueue counts them).
  """

  def __init__(self, max_queue: int = 10_000):
    self.commands: 'queue.Queue[osc_control.Command]' = queue.Queue(
        maxsize=max_queue)
    self.stats = dict(accepted=0, dropped=0)

  def put(self, name: str, *args) -> bool:
    """Queues a command for the clock thread (osc_control.enqueue)."""
    return osc_control.enqueue(self.commands,
                               osc_control.Command(name, tuple(args)),
                               self.stats)

  def start(self) -> 'StudioInput':
    return self

  def close(self) -> None:
    pass


def find_codemirror_dir() -> str:
  """node_modules/codemirror of the source tree (npm ci installs it).

  $STUDIO_CODEMIRROR_DIR wins; else the tree this file really lives in
  (realpath, so it works from Bazel runfiles, whose files link back).

  Raises:
    FileNotFoundError: with the command that installs it.
  """
  candidates = [os.environ.get('STUDIO_CODEMIRROR_DIR', '')]
  here = os.path.dirname(os.path.realpath(__file__))
  root = os.path.dirname(os.path.dirname(here))
  candidates.append(os.path.join(root, 'node_modules', 'codemirror'))
  for candidate in candidates:
    if candidate and os.path.isfile(os.path.join(candidate, 'lib',
                                                 'codemirror.js')):
      return candidate
  raise FileNotFoundError(
      f'CodeMirror not found in {candidates[1]}: run `npm ci` (or `make '
      f'setup`) in {root}')


class StudioServer:
  """Serves the page and bridges it to a live StudioApp.

  Args:
    app: the StudioApp (snapshot() read here; commands go through `input`).
    control: the StudioInput the LiveSession drains.
    store: a studio_store.Store for named programs and agents.
    audio_source: a block source (sample_rate, render(frames)) or None.
    token: the access token.
    host: the interface to listen on ('127.0.0.1' by default).
    port: TCP port (0: any free port, see :attr:`port`).
    outputs: names of the audio outputs in use, shown on the page.
  """

  def __init__(self, app, control: StudioInput, store: studio_store.Store,
               audio_source=None, token: str = '', host: str = '127.0.0.1',
               port: int = 0, outputs=()):
    self.app = app
    self.control = control
    self.store = store
    self.audio_source = audio_source
    self.token = token
    self.host = host
    self.open_to_all = host not in ('127.0.0.1', 'localhost', '::1')
    self.outputs = list(outputs)
    self.state_clients: Set[websocket.WebSocketHandler] = set()
    self.audio_clients: Set[websocket.WebSocketHandler] = set()
    self._tmp = tempfile.TemporaryDirectory(prefix='studio-')
    static = os.path.join(os.path.dirname(os.path.realpath(__file__)),
                          'static')
    settings = dict(studio=self)
    self.web_app = web.Application([
        (r'/', PageHandler, dict(path=os.path.join(static, 'index.html'))),
        (r'/static/(.*)', AccessStaticHandler, dict(path=static)),
        (r'/vendor/codemirror/(.*)', AccessStaticHandler,
         dict(path=find_codemirror_dir())),
        (r'/ws', StateSocket),
        (r'/audio', AudioSocket),
    ], **settings)
    sockets = netutil.bind_sockets(port, address=host)
    self.port = sockets[0].getsockname()[1]
    self._http = httpserver.HTTPServer(self.web_app)
    self._http.add_sockets(sockets)
    self._last_snapshot = None
    self._pusher = ioloop.PeriodicCallback(self._push_state,
                                           STATE_INTERVAL_MS)
    self._pusher.start()
    self._audio_stop = threading.Event()
    self._audio_thread: Optional[threading.Thread] = None
    self._loop = ioloop.IOLoop.current()
    self._start_audio()

  @property
  def url(self) -> str:
    host = '127.0.0.1' if self.host in ('0.0.0.0', '::') else self.host
    return f'http://{host}:{self.port}/?token={self.token}'

  # ------------------------------------------------------------- access --

  def host_allowed(self, host_header: str) -> bool:
    """Loopback Host headers with our port, or any when opened up."""
    if self.open_to_all:
      return bool(host_header)
    return host_header in {f'{h}:{self.port}' for h in LOOPBACK_HOSTS}

  def origin_allowed(self, origin: str, host_header: str) -> bool:
    """Same origin only: Origin must be http://<Host>."""
    parsed = urlparse.urlparse(origin or '')
    return (parsed.scheme == 'http' and parsed.netloc == host_header and
            self.host_allowed(host_header))

  def token_ok(self, given: Optional[str]) -> bool:
    return bool(given) and hmac.compare_digest(given.encode(),
                                               self.token.encode())

  # -------------------------------------------------------------- state --

  def _push_state(self) -> None:
    snapshot = self.app.snapshot()
    if snapshot is self._last_snapshot or not self.state_clients:
      return
    self._last_snapshot = snapshot
    message = json.dumps(dict(type='state', audio=self.audio_info(),
                              **snapshot))
    for client in list(self.state_clients):
      try:
        client.write_message(message)
      except websocket.WebSocketClosedError:
        self.state_clients.discard(client)

  def resend_state(self) -> None:
    """The next push sends the snapshot even if unchanged (a new page)."""
    self._last_snapshot = None

  def audio_info(self) -> dict:
    return dict(outputs=self.outputs, browser_clients=len(self.audio_clients),
                sample_rate=getattr(self.audio_source, 'sample_rate', None))

  def names(self) -> dict:
    return dict(type='names', programs=self.store.names('programs'),
                agents=self.store.names('agents'))

  # -------------------------------------------------------------- audio --

  def _start_audio(self) -> None:
    """Renders the source in real time from the start, heard or not: the
    engine's events must not pile up while no page listens (they would all
    sound at once when one connects)."""
    if self.audio_source is not None:
      self._audio_thread = threading.Thread(target=self._pump_audio,
                                            name='studio-audio', daemon=True)
      self._audio_thread.start()

  def audio_subscribe(self, client) -> None:
    self.audio_clients.add(client)

  def audio_unsubscribe(self, client) -> None:
    self.audio_clients.discard(client)

  def _pump_audio(self) -> None:
    """Renders blocks at the real-time rate and sends them to the page."""
    frames = audio_blocks.BLOCK_FRAMES
    period = audio_blocks.block_duration_s(frames,
                                           self.audio_source.sample_rate)
    next_s = time.monotonic()
    while not self._audio_stop.is_set():
      data = self.audio_source.render(frames).tobytes()  # interleaved.
      if self.audio_clients:
        self._loop.add_callback(self._send_audio, data)
      next_s += period
      delay = next_s - time.monotonic()
      if delay < -0.5:  # fell far behind (suspended): start afresh.
        next_s = time.monotonic()
      elif delay > 0:
        self._audio_stop.wait(delay)

  def _send_audio(self, data: bytes) -> None:
    for client in list(self.audio_clients):
      try:
        client.write_message(data, binary=True)
      except websocket.WebSocketClosedError:
        self.audio_clients.discard(client)

  # ----------------------------------------------------------- commands --

  async def handle(self, message: dict) -> Optional[dict]:
    """Runs one message from the page; the reply (or None).

    Errors in the page's input come back as {type: 'error', message}.
    """
    op = message.get('op')
    handler = getattr(self, f'_op_{op}', None) if isinstance(op, str) else None
    if handler is None:
      return dict(type='error', message=f'unknown op {op!r}')
    try:
      return await handler(message)
    except (ValueError, KeyError, TypeError) as e:
      return dict(type='error', op=op, message=str(e))

  async def _op_ping(self, message):
    return dict(type='pong', t=message.get('t'))

  async def _op_eval(self, message):
    text = message['text']
    try:
      language.parse(text)
    except language.ParseError as e:
      return dict(type='eval', ok=False, line=e.line, column=e.column,
                  message=str(e), expected=list(e.expected))
    self._put('drums/program', text)
    return dict(type='eval', ok=True)

  async def _op_osc(self, message):
    command = osc_control.validate(message['address'],
                                   tuple(message.get('args', ())))
    self._put(command.name, *command.args)
    return None

  async def _op_hparams(self, message):
    values = {k: v for k, v in message['values'].items()
              if k in studio_store.FORM_FIELDS}
    spec = studio_store.hparams_overrides(values)
    beat_agent_hparams.parse_hparams(spec)  # the error goes to the page.
    self._put('drums/hparams', spec)
    return dict(type='info', message='meta-parameters applied: agents reset')

  async def _op_list(self, message):
    del message
    return self.names()

  async def _op_save_program(self, message):
    self.store.save_program(message['name'], message['text'])
    return dict(self.names(), message=f'saved program {message["name"]}')

  async def _op_load_program(self, message):
    text = self.store.load_program(message['name'])
    return dict(type='program', name=message['name'], text=text)

  async def _op_save_agent(self, message):
    path = self.store.agent_path(message['name'])
    self._put('drums/save', path)
    if not await self._wait_for(path):
      return dict(type='error', message=f'saving agent {message["name"]} '
                  'timed out')
    return dict(self.names(), message=f'saved agent {message["name"]}')

  async def _op_load_agent(self, message):
    path = self.store.agent_path(message['name'])
    if not os.path.exists(path):
      raise ValueError(f'no saved agent {message["name"]!r}')
    self._put('drums/load', path)
    return dict(type='info', message=f'loading agent {message["name"]}')

  async def _op_export(self, message):
    del message
    path = os.path.join(self._tmp.name, f'export-{time.monotonic_ns()}.json')
    self._put('studio/export', path)
    if not await self._wait_for(path):
      return dict(type='error', message='export timed out')
    with open(path, encoding='utf-8') as f:
      data = json.load(f)
    os.remove(path)
    return dict(type='session', data=data)

  async def _op_import(self, message):
    data = studio_store.check_session(message['data'])
    try:
      language.parse(data['program'])
    except language.ParseError as e:
      raise ValueError(f'session program: {e}') from None
    path = os.path.join(self._tmp.name, f'import-{time.monotonic_ns()}.json')
    studio_store.write_atomic(path, json.dumps(data).encode('utf-8'))
    self._put('studio/import', path)
    return dict(type='program', name='', text=data['program'],
                message='session imported')

  def _put(self, name: str, *args) -> None:
    if not self.control.put(name, *args):
      raise ValueError('the command queue is full; try again')

  async def _wait_for(self, path: str) -> bool:
    deadline = time.monotonic() + EXPORT_TIMEOUT_S
    while time.monotonic() < deadline:
      if os.path.exists(path):
        return True
      await asyncio.sleep(0.05)
    return False

  def close(self) -> None:
    self._audio_stop.set()
    if self._audio_thread is not None:
      self._audio_thread.join(timeout=5.0)
    self._pusher.stop()
    self._http.stop()
    for client in list(self.state_clients | self.audio_clients):
      client.close()
    self._tmp.cleanup()


class _AccessMixin:
  """Host and token checks for every handler (403 otherwise)."""

  @property
  def studio(self) -> StudioServer:
    return self.application.settings['studio']

  def check_access(self, allow_query_token: bool) -> None:
    studio = self.studio
    if not studio.host_allowed(self.request.host):
      raise web.HTTPError(403, 'host not allowed')
    given = self.get_cookie(COOKIE)
    if allow_query_token and not studio.token_ok(given):
      given = self.get_query_argument('token', None)
    if not studio.token_ok(given):
      raise web.HTTPError(403, 'missing or wrong access token')


class PageHandler(_AccessMixin, web.RequestHandler):
  """The page; a valid ?token= sets the cookie the assets need."""

  def initialize(self, path):
    self.path = path  # pylint: disable=attribute-defined-outside-init

  def get(self):
    self.check_access(allow_query_token=True)
    self.set_cookie(COOKIE, self.studio.token, httponly=True,
                    samesite='Strict')
    self.set_header('Cache-Control', 'no-store')
    self.set_header('X-Frame-Options', 'DENY')
    with open(self.path, 'rb') as f:
      self.write(f.read())


class AccessStaticHandler(_AccessMixin, web.StaticFileHandler):
  """Static files behind the host and cookie checks."""

  def prepare(self):
    self.check_access(allow_query_token=False)


class _Socket(_AccessMixin, websocket.WebSocketHandler):
  """Host, Origin and token checks before the upgrade."""

  def check_origin(self, origin):
    return self.studio.origin_allowed(origin, self.request.host)

  async def get(self, *args, **kwargs):
    self.check_access(allow_query_token=True)
    await super().get(*args, **kwargs)


class StateSocket(_Socket):
  """Commands in, snapshots and replies out (JSON text)."""

  def open(self, *args, **kwargs):
    self.studio.state_clients.add(self)
    self.studio.resend_state()
    self.write_message(json.dumps(self.studio.names()))

  async def on_message(self, message):
    try:
      decoded = json.loads(message)
      if not isinstance(decoded, dict):
        raise ValueError('a message must be a JSON object')
    except ValueError as e:
      self.write_message(json.dumps(dict(type='error', message=str(e))))
      return
    reply = await self.studio.handle(decoded)
    if reply is not None and self.ws_connection is not None:
      self.write_message(json.dumps(reply))

  def on_close(self):
    self.studio.state_clients.discard(self)


class AudioSocket(_Socket):
  """Audio blocks out: first a JSON header, then binary float32 blocks."""

  def open(self, *args, **kwargs):
    source = self.studio.audio_source
    if source is None:
      self.close(1011, 'audio plays on the sound card')
      return
    self.write_message(json.dumps(dict(
        sample_rate=source.sample_rate, channels=2,
        frames=audio_blocks.BLOCK_FRAMES)))
    self.studio.audio_subscribe(self)

  def on_close(self):
    self.studio.audio_unsubscribe(self)

