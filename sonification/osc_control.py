"""OSC control in: every verb of the drum session and of CARL over UDP.

A python-osc UDP server (one background thread, loopback by default) parses
each datagram, checks it against :data:`ADDRESS_TABLE` and puts a
:class:`Command` on a bounded thread-safe queue. The clock thread drains the
queue between ticks with :class:`CommandRouter`, so the hot path never waits
for the network and the models are only touched from one thread.

Malformed input (datagrams that are not OSC, unknown addresses, wrong
argument types or counts, out-of-range values) is logged (rate-limited) and
counted in :attr:`OscControlServer.stats`; it is never fatal.

Every value is bounded at this edge (issue 12 item 1): numbers must be
finite and inside the documented range of their address, strings at most
:data:`MAX_STRING` characters (a program :data:`MAX_PROGRAM` characters), so
no handler ever sees a non-finite or absurd value. A rejected message, and a
command that fails when it runs, is answered with ``/error TEXT`` to the
sending address (:meth:`OscControlServer.reply`).

Address table (``s`` string, ``f`` number, ``i`` integer; ``+`` one or more,
``?`` optional):

=========================== ====== =========================================
address                     args   meaning
=========================== ====== =========================================
/drums/mode                 s s    instrument (kick snare closedhat openhat
                                   ...), mode learn | predict | off
/drums/program              s      a new Rubber Gosling program (source text)
/drums/reset                       reset the beat agent's model and memory
/drums/save                 s      save model + memory to a path
/drums/load                 s      load model + memory from a path
/drums/control              s f    a 0-1 control input that synth values
                                   follow (mousex, mousey)
/agent/tick                 i+     one tick of an outside sequencer: source
                                   hit(s) 0/1, then the target hit (0/1) or
                                   -1 for none (sonification/agent_bridge.py)
/agent/hit                  s      source | target: a hit latched to the
                                   bridge's next clock tick (MIDI notes)
/agent/mode                 s      learn | predict | off
/agent/reset                       reset the bridge's agent
/agent/save                 s      save the bridge's agent
/agent/load                 s      load the bridge's agent
/tempo                      f      tempo in bpm, [10, 1000] (TEMPO_RANGE)
/stop                              end the session (promptly)
/carl/reward                f      player reward in [-10, 10] (+ like,
                                   - dislike), times the reward scale;
                                   stores (s, a, r, s)
/drums/hparams              s      beat agent meta-parameters "a=1,b=2"
                                   (drums/beat_agent_hparams.py); resets
/hush                              stop all sound until the next program
/studio/export              s      write the whole session as JSON (studio)
/studio/import              s      load a session JSON (studio)
/carl/randomise_actor              re-initialise the actor (and its target)
/carl/randomise_critic             re-initialise the critic (and its target)
/carl/clear_memory                 empty the replay memory
/carl/reward_scale          f      reward scaling, (0, 100]
/carl/optimise_every        i      optimise every N ticks, N in [1, 10^6];
                                   N >= the top of the range (default 100)
                                   pauses
/carl/noise                 f      Ornstein-Uhlenbeck sigma, [0, 1]
/carl/input                 f+     the input vector (x y z ...), each in
                                   [-10, 10]
/carl/input_at              i f    one input component: index in [0, 1024),
                                   value in [-10, 10]
/carl/save                  s?     save all four networks + memory
/carl/load                  s?     load them (default: the state dir)
=========================== ====== =========================================
"""

import dataclasses
import logging
import math
import queue
import threading
import time
from typing import Any, Callable, Dict, Optional, Tuple

from pythonosc import osc_message_builder
from pythonosc import osc_packet
from pythonosc import osc_server

from sonification import clock as clock_lib
from sonification import error_log as error_log_lib

DEFAULT_HOST = '127.0.0.1'
DEFAULT_PORT = 9000
DRUM_MODES = ('learn', 'predict', 'off')


class ControlInputError(RuntimeError):
  """A control input (OSC port, MIDI port, pad window) cannot be opened."""


@dataclasses.dataclass(frozen=True)
class Command:
  """A validated control command, as queued for the clock thread.

  Attributes:
    name: the command name (the OSC address without the leading '/').
    args: converted arguments (str, float or int).
    reply_to: the (host, port) that sent it, for ``/error`` replies; None
      for commands from MIDI, the pad or the Python API.
  """
  name: str
  args: Tuple[Any, ...] = ()
  reply_to: Optional[Tuple[str, int]] = None


def enqueue(commands: 'queue.Queue[Command]', command: Command,
            stats: Dict[str, int]) -> bool:
  """Puts a command on a bounded queue without blocking; counts it.

  Every control input (OSC, MIDI, pad) queues this way for the clock thread.

  Returns:
    True if queued ('accepted' += 1); False if the queue is full ('dropped'
    += 1).
  """
  try:
    commands.put_nowait(command)
    stats['accepted'] += 1
    return True
  except queue.Full:
    stats['dropped'] += 1
    return False


# Documented ranges of the control values (issue 12 items 1 and 4).
TEMPO_RANGE = (10.0, 1000.0)  # bpm; 1000 bpm = a 7.5 ms tick (8 per bar).
REWARD_LIMIT = 10.0  # |reward| of one like/dislike, before the scale.
REWARD_SCALE_RANGE = (0.0, 100.0)  # exclusive of 0.
NOISE_RANGE = (0.0, 1.0)  # OU sigma; the parameters themselves are 0-1.
INPUT_LIMIT = 10.0  # |input value|; pad and CCs send 0-1, joysticks -1..1.
MAX_INPUT_INDEX = 1024
OPTIMISE_EVERY_MAX = 1_000_000
MAX_STRING = 4096  # characters of a path or a name.
MAX_PROGRAM = 65_536  # characters of a program sent live (one datagram).
MAX_AGENT_SOURCES = 16  # source hits in one /agent/tick.


def _in_range(name, value, low, high, low_open=False):
  if (value > low if low_open else value >= low) and value <= high:
    return None
  bracket = '(' if low_open else '['
  return f'{name} must be in {bracket}{low:g}, {high:g}], got {value!r}'


def _check_mode(args):
  return None if args[1] in DRUM_MODES else (
      f'mode must be one of {DRUM_MODES}, got {args[1]!r}')


def _check_agent_mode(args):
  return None if args[0] in DRUM_MODES else (
      f'mode must be one of {DRUM_MODES}, got {args[0]!r}')


def _reward(args):
  return _in_range('reward', args[0], -REWARD_LIMIT, REWARD_LIMIT)


def _reward_scale(args):
  return _in_range('reward scale', args[0], *REWARD_SCALE_RANGE,
                   low_open=True)


def _noise(args):
  return _in_range('noise sigma', args[0], *NOISE_RANGE)


def _bpm(args):
  return _in_range('bpm', args[0], *TEMPO_RANGE)


def _unit_value(args):
  return _in_range('value', args[1], 0.0, 1.0)


def _inputs(args):
  for i, value in enumerate(args):
    error = _in_range(f'input {i}', value, -INPUT_LIMIT, INPUT_LIMIT)
    if error:
      return error
  return None


def _input_at(args):
  return (_in_range('index', args[0], 0, MAX_INPUT_INDEX - 1) or
          _in_range('value', args[1], -INPUT_LIMIT, INPUT_LIMIT))


def _optimise_every(args):
  return _in_range('optimise_every', args[0], 1, OPTIMISE_EVERY_MAX)


def _agent_tick(args):
  if len(args) < 2 or len(args) > MAX_AGENT_SOURCES + 1:
    return (f'need 1 to {MAX_AGENT_SOURCES} source hits and a target '
            f'(-1 for none), got {len(args)} values')
  if any(hit not in (0, 1) for hit in args[:-1]):
    return f'source hits must be 0 or 1, got {list(args[:-1])}'
  if args[-1] not in (-1, 0, 1):
    return f'target must be 0, 1 or -1 (none), got {args[-1]}'
  return None


def _strings(limit):
  def check(args):
    for value in args:
      if isinstance(value, str) and len(value) > limit:
        return f'text of {len(value)} characters; at most {limit}'
    return None
  return check


@dataclasses.dataclass(frozen=True)
class AddressSpec:
  """One row of the address table.

  Attributes:
    signature: argument kinds, e.g. 'ss', 'f', 'f+', 's?' ('' = none).
    doc: what it does.
    check: optional ``check(args) -> error message or None``.
  """
  signature: str
  doc: str
  check: Optional[Callable[[tuple], Optional[str]]] = None


_path = _strings(MAX_STRING)

ADDRESS_TABLE: Dict[str, AddressSpec] = {
    '/drums/mode': AddressSpec('ss', 'set an instrument to learn|predict|off',
                               lambda a: _path(a) or _check_mode(a)),
    '/drums/program': AddressSpec('s', 'run a new program (source text)',
                                  _strings(MAX_PROGRAM)),
    '/drums/reset': AddressSpec('', 'reset the beat agent model and memory'),
    '/drums/save': AddressSpec('s', 'save the beat agent to a path', _path),
    '/drums/load': AddressSpec('s', 'load the beat agent from a path', _path),
    '/drums/control': AddressSpec('sf', 'set a 0-1 control input (mousex)',
                                  lambda a: _path(a) or _unit_value(a)),
    '/agent/tick': AddressSpec('i+', 'outside sequencer tick: sources, target',
                               _agent_tick),
    '/agent/hit': AddressSpec('s', 'a source or target hit for the next tick',
                              lambda a: None if a[0] in ('source', 'target')
                              else f'hit must be source or target, got '
                              f'{a[0]!r:.40}'),
    '/agent/mode': AddressSpec('s', 'bridge agent mode learn|predict|off',
                               _check_agent_mode),
    '/agent/reset': AddressSpec('', 'reset the bridge agent'),
    '/agent/save': AddressSpec('s', 'save the bridge agent', _path),
    '/agent/load': AddressSpec('s', 'load the bridge agent', _path),
    '/drums/hparams': AddressSpec('s', 'beat agent meta-parameters a=1,b=2',
                                  _path),
    '/hush': AddressSpec('', 'stop all sound until the next program'),
    '/studio/export': AddressSpec('s', 'write the session as JSON to a path',
                                  _path),
    '/studio/import': AddressSpec('s', 'load a session JSON from a path',
                                  _path),
    '/tempo': AddressSpec('f', 'tempo in bpm', _bpm),
    '/stop': AddressSpec('', 'end the session'),
    '/carl/reward': AddressSpec('f', 'player reward (+/-)', _reward),
    '/carl/randomise_actor': AddressSpec('', 're-initialise the actor'),
    '/carl/randomise_critic': AddressSpec('', 're-initialise the critic'),
    '/carl/clear_memory': AddressSpec('', 'empty the replay memory'),
    '/carl/reward_scale': AddressSpec('f', 'reward scaling', _reward_scale),
    '/carl/optimise_every': AddressSpec('i', 'optimise every N ticks',
                                        _optimise_every),
    '/carl/noise': AddressSpec('f', 'exploration noise sigma', _noise),
    '/carl/input': AddressSpec('f+', 'input vector', _inputs),
    '/carl/input_at': AddressSpec('if', 'one input component', _input_at),
    '/carl/save': AddressSpec('s?', 'save networks and memory', _path),
    '/carl/load': AddressSpec('s?', 'load networks and memory', _path),
}


def _to_number(value):
  if isinstance(value, bool) or not isinstance(value, (int, float)):
    raise TypeError(f'expected a number, got {type(value).__name__} '
                    f'{value!r}')
  try:
    value = float(value)
  except OverflowError:
    raise TypeError(f'expected a finite number, got {value!r:.40}') from None
  if not math.isfinite(value):
    raise TypeError(f'expected a finite number, got {value}')
  return value


def _to_int(value):
  number = _to_number(value)
  if number != int(number):
    raise TypeError(f'expected an integer, got {value!r}')
  return int(number)


def _to_str(value):
  if not isinstance(value, str):
    raise TypeError(f'expected a string, got {type(value).__name__} '
                    f'{value!r}')
  return value


_CONVERTERS = {'s': _to_str, 'f': _to_number, 'i': _to_int}


def parse_arguments(signature: str, args: Tuple[Any, ...]) -> Tuple[Any, ...]:
  """Converts OSC arguments by a signature ('ss', 'f+', 's?', '').

  Raises:
    TypeError: naming the argument that has the wrong type or count.
  """
  kinds = signature
  repeat = optional = False
  if kinds.endswith('+'):
    kinds, repeat = kinds[:-1], True
  elif kinds.endswith('?'):
    kinds, optional = kinds[:-1], True
  if repeat:
    if len(args) < len(kinds):
      raise TypeError(f'expected at least {len(kinds)} arguments, got '
                      f'{len(args)}')
    kinds = kinds[:-1] + kinds[-1] * (len(args) - len(kinds) + 1)
  elif optional and len(args) == len(kinds) - 1:
    kinds = kinds[:-1]
  if len(args) != len(kinds):
    raise TypeError(f'expected {len(kinds)} arguments ({signature!r}), got '
                    f'{len(args)}')
  out = []
  for i, (kind, value) in enumerate(zip(kinds, args)):
    try:
      out.append(_CONVERTERS[kind](value))
    except TypeError as e:
      raise TypeError(f'argument {i}: {e}') from None
  return tuple(out)


def validate(address: str, args: Tuple[Any, ...],
             reply_to: Optional[Tuple[str, int]] = None) -> Command:
  """Checks one OSC message against the address table.

  Returns:
    The :class:`Command` (name = address without the leading '/').

  Raises:
    KeyError: unknown address.
    TypeError / ValueError: wrong argument types, counts or values.
  """
  spec = ADDRESS_TABLE.get(address)
  if spec is None:
    raise KeyError(f'unknown OSC address {address!r:.200}')
  converted = parse_arguments(spec.signature, tuple(args))
  if spec.check and converted:
    error = spec.check(converted)
    if error:
      raise ValueError(f'{address}: {error}')
  return Command(address[1:], converted, reply_to)


class _Server(osc_server.BlockingOSCUDPServer):
  """A python-osc UDP server whose datagrams go to one handler (no
  Dispatcher: it would drop parse errors and unknown addresses silently)."""

  def __init__(self, address, on_datagram):
    super().__init__(address, dispatcher=None)
    self._on_datagram = on_datagram

  def verify_request(self, request, client_address):
    return True  # counted as garbage in _on_datagram instead.

  def finish_request(self, request, client_address):
    self._on_datagram(request[0], client_address)


def open_error(host: str, port: int) -> str:
  """Why an OSC port cannot be bound, in one line (None if it can).

  Used to check ``--osc_port`` before a session starts work.
  """
  import socket  # pylint: disable=g-import-not-at-top
  sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
  try:
    sock.bind((host, int(port)))
  except OSError as e:
    return f'cannot listen for OSC on {host}:{port}: {e.strerror or e}'
  finally:
    sock.close()
  return None


class OscControlServer:
  """OSC UDP server thread that validates messages and queues Commands.

  Args:
    host: interface to bind (loopback by default; '0.0.0.0' for the LAN).
    port: UDP port (0 = any free port; see :attr:`port`).
    max_queue: commands waiting for the clock thread beyond this are dropped
      (counted as 'dropped').
    errors: where rejected messages are counted and logged (rate-limited);
      default a new ErrorLog.
    max_replies_per_s: ``/error`` replies sent per second at most (a flood
      of bad datagrams must not become a flood back).

  Attributes:
    commands: the ``queue.Queue`` of :class:`Command`.
    stats: counters 'datagrams', 'accepted', 'not_osc', 'unknown_address',
      'bad_arguments', 'dropped', 'replies'.

  Raises:
    ControlInputError: if the port cannot be bound (naming host and port).
  """

  def __init__(self, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
               max_queue: int = 10_000,
               errors: Optional[error_log_lib.ErrorLog] = None,
               max_replies_per_s: int = 100):
    self.commands: 'queue.Queue[Command]' = queue.Queue(maxsize=max_queue)
    self.stats = dict(datagrams=0, accepted=0, not_osc=0, unknown_address=0,
                      bad_arguments=0, dropped=0, replies=0)
    self.errors = errors or error_log_lib.ErrorLog()
    self.max_replies_per_s = max_replies_per_s
    self._reply_window = (0, 0)  # (second, replies sent in it)
    try:
      self._server = _Server((host, int(port)), self._on_datagram)
    except (OSError, OverflowError) as e:
      raise ControlInputError(
          f'cannot listen for OSC on {host}:{port}: '
          f'{getattr(e, "strerror", None) or e}') from e
    self._thread: Optional[threading.Thread] = None

  @property
  def port(self) -> int:
    return self._server.server_address[1]

  @property
  def malformed(self) -> int:
    """All rejected datagrams/messages."""
    return (self.stats['not_osc'] + self.stats['unknown_address'] +
            self.stats['bad_arguments'])

  def start(self) -> 'OscControlServer':
    self._thread = threading.Thread(target=self._serve, name='osc-control',
                                    daemon=True)
    self._thread.start()
    return self

  def _serve(self) -> None:
    # Parsing a flood must never compete with the clock thread at its
    # real-time priority (threads inherit their creator's).
    clock_lib.normal_priority()
    self._server.serve_forever(poll_interval=0.05)

  def close(self) -> None:
    if self._thread is not None:
      self._server.shutdown()
      self._thread.join(timeout=2.0)
      self._thread = None
    self._server.server_close()

  def __enter__(self):
    return self.start()

  def __exit__(self, *unused):
    self.close()

  def send(self, address: Optional[Tuple[str, int]], path: str,
           *args: Any) -> bool:
    """Sends an OSC message from the server's port (e.g. a prediction back
    to the sender of ``/agent/tick``); never raises.

    Returns:
      True if sent.
    """
    if address is None:
      return False
    try:
      builder = osc_message_builder.OscMessageBuilder(address=path)
      for arg in args:
        builder.add_arg(arg)
      self._server.socket.sendto(builder.build().dgram, address)
    except Exception as e:  # pylint: disable=broad-except
      self.errors.report('osc/send', f'{path} to {address}: {e}')
      return False
    return True

  def reply(self, address: Optional[Tuple[str, int]], text: str) -> bool:
    """Sends ``/error TEXT`` to a sender (rate-limited; never raises).

    Returns:
      True if sent.
    """
    if address is None:
      return False
    second = int(time.monotonic())
    window, sent = self._reply_window
    if window != second:
      window, sent = second, 0
    if sent >= self.max_replies_per_s:
      return False
    self._reply_window = (window, sent + 1)
    try:
      builder = osc_message_builder.OscMessageBuilder(address='/error')
      builder.add_arg(text[:1000])
      self._server.socket.sendto(builder.build().dgram, address)
    except Exception as e:  # pylint: disable=broad-except
      self.errors.report('osc/reply', f'to {address}: {e}')
      return False
    self.stats['replies'] += 1
    return True

  def _reject(self, kind: str, message: str, reply_to) -> None:
    self.stats[kind] += 1
    self.errors.report(f'osc/{kind}', message)
    self.reply(reply_to, message)

  def _on_datagram(self, data: bytes, client_address=None) -> None:
    self.stats['datagrams'] += 1
    try:
      packet = osc_packet.OscPacket(data)
    except Exception as e:  # pylint: disable=broad-except
      # python-osc raises ParseError, but garbage can trip others too.
      self._reject('not_osc', f'{len(data)} bytes: {e}', client_address)
      return
    for timed in packet.messages:
      message = timed.message
      try:
        command = validate(message.address, tuple(message.params),
                           client_address)
      except KeyError as e:
        self._reject('unknown_address', str(e), client_address)
        continue
      except (TypeError, ValueError) as e:
        self._reject('bad_arguments', f'{message.address:.200}: {e}',
                     client_address)
        continue
      enqueue(self.commands, command, self.stats)


Reply = Callable[[Optional[Tuple[str, int]], str], Any]


def _no_reply(text: str) -> None:
  del text


class CommandRouter:
  """Runs queued commands on the clock thread by name (a lookup dict).

  Args:
    handlers: command name (e.g. 'drums/mode', 'carl/reward') to a function
      taking the command's arguments. A handler must be fast (it runs on the
      clock thread); slow work goes to sonification.jobs.BackgroundJobs.
    errors: where failures are counted and logged, one line per kind,
      rate-limited (no tracebacks).

  Attributes:
    stats: 'handled', 'unhandled' (no handler in this session), 'failed'
      (the handler raised), 'deferred' (left for the next tick by the time
      budget).
  """

  def __init__(self, handlers: Optional[Dict[str, Callable[..., Any]]] = None,
               errors: Optional[error_log_lib.ErrorLog] = None):
    self.handlers: Dict[str, Callable[..., Any]] = dict(handlers or {})
    self.errors = errors or error_log_lib.ErrorLog()
    self.stats = dict(handled=0, unhandled=0, failed=0, deferred=0)
    # While a handler runs: ``error_reply(text)`` answers that command's
    # sender (a slow handler passes it to its background job).
    self.error_reply: Callable[[str], None] = _no_reply
    self.current: Optional[Command] = None  # the command being handled.

  def register(self, name: str, handler: Callable[..., Any]) -> None:
    self.handlers[name] = handler

  def dispatch(self, command: Command, reply: Optional[Reply] = None) -> bool:
    """Runs one command; a failure is counted, logged and replied.

    Returns:
      True if the handler ran without raising.
    """
    handler = self.handlers.get(command.name)
    if handler is None:
      self.stats['unhandled'] += 1
      message = f'/{command.name}: no handler in this session'
      self.errors.report('command/unhandled', message)
      if reply:
        reply(command.reply_to, message)
      return False
    if reply is not None and command.reply_to is not None:
      self.error_reply = lambda text: reply(command.reply_to, text)
    self.current = command
    try:
      handler(*command.args)
      self.stats['handled'] += 1
      return True
    except Exception as e:  # pylint: disable=broad-except
      self.stats['failed'] += 1
      message = f'/{command.name}: {type(e).__name__}: {e}'
      self.errors.report(f'command/{command.name}', message)
      if reply:
        reply(command.reply_to, message)
      return False
    finally:
      self.error_reply = _no_reply
      self.current = None

  def drain(self, commands: 'queue.Queue[Command]',
            max_commands: int = 256, budget_s: float = float('inf'),
            reply: Optional[Reply] = None,
            time_fn: Callable[[], float] = time.perf_counter) -> int:
    """Dispatches queued commands until none, ``max_commands`` or the budget.

    Args:
      commands: the queue to drain (never blocks).
      max_commands: at most this many.
      budget_s: stop once this many seconds have passed (at least one
        command runs per call), so a flood delays no tick: the rest wait.
      reply: ``reply(reply_to, text)`` for failures (an OSC ``/error``).
      time_fn: a time source, seconds.

    Returns:
      The number dispatched.
    """
    start = time_fn()
    n = 0
    while n < max_commands:
      if n and time_fn() - start >= budget_s:
        if not commands.empty():
          self.stats['deferred'] += 1
        break
      try:
        command = commands.get_nowait()
      except queue.Empty:
        break
      self.dispatch(command, reply)
      n += 1
    return n
