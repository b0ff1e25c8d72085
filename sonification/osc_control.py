"""OSC control in: every verb of the drum session and of CARL over UDP.

A python-osc UDP server (one background thread, loopback by default) parses
each datagram, checks it against :data:`ADDRESS_TABLE` and puts a
:class:`Command` on a bounded thread-safe queue. The clock thread drains the
queue between ticks with :class:`CommandRouter`, so the hot path never waits
for the network and the models are only touched from one thread.

Malformed input (datagrams that are not OSC, unknown addresses, wrong
argument types or counts, out-of-range values) is logged (rate-limited) and
counted in :attr:`OscControlServer.stats`; it is never fatal.

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
/drums/hparams              s      beat agent meta-parameters "a=1,b=2"
                                   (drums/beat_agent_hparams.py); resets
/hush                              stop all sound until the next program
/studio/export              s      write the whole session as JSON (studio)
/studio/import              s      load a session JSON (studio)
/tempo                      f      tempo in bpm, [1, 1000]
/stop                              end the session (after this tick)
/carl/reward                f      player reward (+ like, - dislike), scaled
                                   by the reward scale; stores (s, a, r, s)
/carl/randomise_actor              re-initialise the actor (and its target)
/carl/randomise_critic             re-initialise the critic (and its target)
/carl/clear_memory                 empty the replay memory
/carl/reward_scale          f      reward scaling, > 0
/carl/optimise_every        i      optimise every N ticks, N >= 1; N >= the
                                   top of the range (default 100) pauses
/carl/noise                 f      Ornstein-Uhlenbeck sigma, >= 0
/carl/input                 f+     the input vector (x y z ...)
/carl/input_at              i f    one input component: index, value
/carl/save                  s?     save all four networks + memory
/carl/load                  s?     load them (default: the state dir)
=========================== ====== =========================================
"""

import dataclasses
import logging
import math
import queue
import threading
from typing import Any, Callable, Dict, Optional, Tuple

from pythonosc import osc_packet
from pythonosc import osc_server

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
  """
  name: str
  args: Tuple[Any, ...] = ()


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


def _check_mode(args):
  return None if args[1] in DRUM_MODES else (
      f'mode must be one of {DRUM_MODES}, got {args[1]!r}')


def _positive(args):
  return None if args[0] > 0 else f'value must be > 0, got {args[0]}'


def _non_negative(args):
  return None if args[0] >= 0 else f'value must be >= 0, got {args[0]}'


def _bpm(args):
  return None if 1 <= args[0] <= 1000 else (
      f'bpm must be in [1, 1000], got {args[0]}')


def _unit_value(args):
  return None if 0 <= args[1] <= 1 else (
      f'value must be in [0, 1], got {args[1]}')


def _index_at_least_zero(args):
  return None if args[0] >= 0 else f'index must be >= 0, got {args[0]}'


def _at_least_one(args):
  return None if args[0] >= 1 else f'value must be >= 1, got {args[0]}'


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


ADDRESS_TABLE: Dict[str, AddressSpec] = {
    '/drums/mode': AddressSpec('ss', 'set an instrument to learn|predict|off',
                               _check_mode),
    '/drums/program': AddressSpec('s', 'run a new program (source text)'),
    '/drums/reset': AddressSpec('', 'reset the beat agent model and memory'),
    '/drums/save': AddressSpec('s', 'save the beat agent to a path'),
    '/drums/load': AddressSpec('s', 'load the beat agent from a path'),
    '/drums/control': AddressSpec('sf', 'set a 0-1 control input (mousex)',
                                  _unit_value),
    '/drums/hparams': AddressSpec('s', 'beat agent meta-parameters a=1,b=2'),
    '/hush': AddressSpec('', 'stop all sound until the next program'),
    '/studio/export': AddressSpec('s', 'write the session as JSON to a path'),
    '/studio/import': AddressSpec('s', 'load a session JSON from a path'),
    '/tempo': AddressSpec('f', 'tempo in bpm', _bpm),
    '/stop': AddressSpec('', 'end the session'),
    '/carl/reward': AddressSpec('f', 'player reward (+/-)'),
    '/carl/randomise_actor': AddressSpec('', 're-initialise the actor'),
    '/carl/randomise_critic': AddressSpec('', 're-initialise the critic'),
    '/carl/clear_memory': AddressSpec('', 'empty the replay memory'),
    '/carl/reward_scale': AddressSpec('f', 'reward scaling', _positive),
    '/carl/optimise_every': AddressSpec('i', 'optimise every N ticks',
                                        _at_least_one),
    '/carl/noise': AddressSpec('f', 'exploration noise sigma', _non_negative),
    '/carl/input': AddressSpec('f+', 'input vector'),
    '/carl/input_at': AddressSpec('if', 'one input component',
                                  _index_at_least_zero),
    '/carl/save': AddressSpec('s?', 'save networks and memory'),
    '/carl/load': AddressSpec('s?', 'load networks and memory'),
}


def _to_number(value):
  if isinstance(value, bool) or not isinstance(value, (int, float)):
    raise TypeError(f'expected a number, got {type(value).__name__} '
                    f'{value!r}')
  value = float(value)
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


def validate(address: str, args: Tuple[Any, ...]) -> Command:
  """Checks one OSC message against the address table.

  Returns:
    The :class:`Command` (name = address without the leading '/').

  Raises:
    KeyError: unknown address.
    TypeError / ValueError: wrong argument types, counts or values.
  """
  spec = ADDRESS_TABLE.get(address)
  if spec is None:
    raise KeyError(f'unknown OSC address {address!r}')
  converted = parse_arguments(spec.signature, tuple(args))
  if spec.check and converted:
    error = spec.check(converted)
    if error:
      raise ValueError(f'{address}: {error}')
  return Command(address[1:], converted)


class _Server(osc_server.BlockingOSCUDPServer):
  """A python-osc UDP server whose datagrams go to one handler (no
  Dispatcher: it would drop parse errors and unknown addresses silently)."""

  def __init__(self, address, on_datagram):
    super().__init__(address, dispatcher=None)
    self._on_datagram = on_datagram

  def verify_request(self, request, client_address):
    return True  # counted as garbage in _on_datagram instead.

  def finish_request(self, request, client_address):
    self._on_datagram(request[0])


class OscControlServer:
  """OSC UDP server thread that validates messages and queues Commands.

  Args:
    host: interface to bind (loopback by default; '0.0.0.0' for the LAN).
    port: UDP port (0 = any free port; see :attr:`port`).
    max_queue: commands waiting for the clock thread beyond this are dropped
      (counted as 'dropped').

  Attributes:
    commands: the ``queue.Queue`` of :class:`Command`.
    stats: counters 'datagrams', 'accepted', 'not_osc', 'unknown_address',
      'bad_arguments', 'dropped'.
  """

  def __init__(self, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
               max_queue: int = 10_000):
    self.commands: 'queue.Queue[Command]' = queue.Queue(maxsize=max_queue)
    self.stats = dict(datagrams=0, accepted=0, not_osc=0, unknown_address=0,
                      bad_arguments=0, dropped=0)
    self._server = _Server((host, int(port)), self._on_datagram)
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
    self._thread = threading.Thread(
        target=self._server.serve_forever, kwargs=dict(poll_interval=0.05),
        name='osc-control', daemon=True)
    self._thread.start()
    return self

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

  def _reject(self, kind: str, message: str) -> None:
    self.stats[kind] += 1
    count = self.malformed
    if count <= 20 or count % 1000 == 0:
      logging.warning('OSC: rejected (%s, %d malformed so far): %s', kind,
                      count, message)

  def _on_datagram(self, data: bytes) -> None:
    self.stats['datagrams'] += 1
    try:
      packet = osc_packet.OscPacket(data)
    except Exception as e:  # pylint: disable=broad-except
      # python-osc raises ParseError, but garbage can trip others too.
      self._reject('not_osc', f'{len(data)} bytes: {e}')
      return
    for timed in packet.messages:
      message = timed.message
      try:
        command = validate(message.address, tuple(message.params))
      except KeyError as e:
        self._reject('unknown_address', str(e))
        continue
      except (TypeError, ValueError) as e:
        self._reject('bad_arguments', f'{message.address}: {e}')
        continue
      enqueue(self.commands, command, self.stats)


class CommandRouter:
  """Runs queued commands on the clock thread by name (a lookup dict).

  Args:
    handlers: command name (e.g. 'drums/mode', 'carl/reward') to a function
      taking the command's arguments.

  Attributes:
    stats: 'handled', 'unhandled' (no handler in this session), 'failed'
      (the handler raised; logged).
  """

  def __init__(self, handlers: Optional[Dict[str, Callable[..., Any]]] = None):
    self.handlers: Dict[str, Callable[..., Any]] = dict(handlers or {})
    self.stats = dict(handled=0, unhandled=0, failed=0)

  def register(self, name: str, handler: Callable[..., Any]) -> None:
    self.handlers[name] = handler

  def dispatch(self, command: Command) -> None:
    handler = self.handlers.get(command.name)
    if handler is None:
      self.stats['unhandled'] += 1
      if self.stats['unhandled'] <= 20:
        logging.warning('OSC: no handler for /%s in this session',
                        command.name)
      return
    try:
      handler(*command.args)
      self.stats['handled'] += 1
    except Exception:  # pylint: disable=broad-except
      self.stats['failed'] += 1
      logging.exception('OSC: /%s %s failed', command.name, command.args)

  def drain(self, commands: 'queue.Queue[Command]',
            max_commands: int = 256) -> int:
    """Dispatches up to ``max_commands`` queued commands without blocking.

    Returns:
      The number dispatched (the rest wait for the next tick, which bounds
      the time a flood can take from one tick).
    """
    n = 0
    while n < max_commands:
      try:
        command = commands.get_nowait()
      except queue.Empty:
        break
      self.dispatch(command)
      n += 1
    return n
