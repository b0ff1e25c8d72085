"""MIDI in: controller messages become control commands; MIDI clock, ticks.

A MIDI map (:func:`parse_midi_map`) binds controls (``ccN``: control change
N, ``noteN``: note N, any channel) to actions; :func:`agent_note_bindings`
binds a note on one channel (the agent bridge's source and target notes). :class:`MidiControlInput`
turns incoming mido messages into the same :class:`osc_control.Command`
objects that OSC control produces and queues them for the clock thread, so a
MIDI controller can do everything the CARL OSC verbs do and switch the drum
agents' modes. MIDI timing clock messages (clock, start, stop, continue) go
to a :class:`clock.MidiClockFollower` when one is given, making the
controller's sequencer the tempo source.

Actions (``CONTROL=ACTION`` in a map spec):

================ ============ ===============================================
action           kind         command
================ ============ ===============================================
input:K          continuous   carl/input_at K value/127 (input K in [0, 1])
reward+          trigger      carl/reward +1
reward-          trigger      carl/reward -1
randomise_actor  trigger      carl/randomise_actor
randomise_critic trigger      carl/randomise_critic
clear_memory     trigger      carl/clear_memory
save             trigger      carl/save (to the state dir)
load             trigger      carl/load (from the state dir)
control:NAME     continuous   drums/control NAME value/127 (the mousex,
                              mousey controls synth values follow)
mode:INSTR:MODE  trigger      drums/mode INSTR MODE (MODE: learn, predict,
                              off), e.g. mode:snare:predict
drums_reset      trigger      drums/reset (the beat agent's model, memory)
agent_source     trigger      agent/hit source: a source hit for the
                              ``live --agent --agent_ticks=clock`` bridge,
                              latched to the next tick
agent_target     trigger      agent/hit target: the target hit (teaching)
reward_scale     continuous   carl/reward_scale 10 ** (2 * value/127 - 1),
                              i.e. 0.1 at 0, 1.0 near 64, 10 at 127
optimise_every   continuous   carl/optimise_every 1 + round(value/127 *
                              (top - 1)); 127 = the top = paused
noise            continuous   carl/noise value/127 (sigma in [0, 1])
================ ============ ===============================================

A trigger fires on a note-on with velocity > 0, or when a CC rises from below
64 to 64 or more (a button sending 127 on press, 0 on release: MIDI 1.0
treats CC values >= 64 as "on" for switches). Continuous actions take CC
values (0-127) or note-on velocities.

The default map (:data:`DEFAULT_MAP_SPEC`): CC 1, 2, 3 (mod wheel, breath,
undefined) are inputs x, y, z; CC 14, 15, 16 (undefined in MIDI 1.0) reward
scale, optimisation frequency and noise; notes C4 (60) like, D4 (62) dislike,
E4 (64) randomise actor, F4 (65) randomise critic, G4 (67) clear memory,
C5 (72) save.

No TF here: this runs beside the clock.
"""

import dataclasses
import logging
import queue
import time
from typing import Callable, Dict, List, Tuple

from sonification import midi_ports
from sonification import osc_control

CLOCK_MESSAGE_TYPES = frozenset(('clock', 'start', 'stop', 'continue'))
SWITCH_ON = 64  # MIDI 1.0: switch controllers read values >= 64 as on.
REWARD_SCALE_DECADES = 1.0  # reward scale spans 10**-1 .. 10**1.
NOISE_MAX = 1.0  # the noise control spans sigma 0 .. 1 (outputs are in [0, 1]).
DEFAULT_MAP_SPEC = ('cc1=input:0,cc2=input:1,cc3=input:2,'
                    'cc14=reward_scale,cc15=optimise_every,cc16=noise,'
                    'note60=reward+,note62=reward-,note64=randomise_actor,'
                    'note65=randomise_critic,note67=clear_memory,note72=save')

# action -> (command name, fixed args) for triggers.
TRIGGERS: Dict[str, Tuple[str, tuple]] = {
    'reward+': ('carl/reward', (1.0,)),
    'reward-': ('carl/reward', (-1.0,)),
    'randomise_actor': ('carl/randomise_actor', ()),
    'randomise_critic': ('carl/randomise_critic', ()),
    'clear_memory': ('carl/clear_memory', ()),
    'save': ('carl/save', ()),
    'load': ('carl/load', ()),
    'drums_reset': ('drums/reset', ()),
    'agent_source': ('agent/hit', ('source',)),
    'agent_target': ('agent/hit', ('target',)),
}

# action -> (command name, args(fraction in [0, 1], binding, top of the
# optimisation-frequency range)) for continuous controls.
CONTINUOUS: Dict[str, Tuple[str, Callable[[float, 'Binding', int], tuple]]] = {
    'input': ('carl/input_at', lambda f, b, top: (b.index, f)),
    'control': ('drums/control', lambda f, b, top: (b.args[0], f)),
    'reward_scale': ('carl/reward_scale', lambda f, b, top: (
        10.0 ** (REWARD_SCALE_DECADES * (2.0 * f - 1.0)),)),
    'optimise_every': ('carl/optimise_every', lambda f, b, top: (
        1 + int(round(f * (top - 1))),)),
    'noise': ('carl/noise', lambda f, b, top: (f * NOISE_MAX,)),
}


CONTROL_KINDS = {'cc': 'control_change', 'note': 'note_on'}


@dataclasses.dataclass(frozen=True)
class Binding:
  """What one control does.

  Attributes:
    action: a key of :data:`TRIGGERS` or of :data:`CONTINUOUS`, or 'mode'.
    index: the input component for 'input' (0-based), else 0.
    args: (instrument, mode) for 'mode', (name,) for 'control', else ().
  """
  action: str
  index: int = 0
  args: Tuple[str, ...] = ()


# (mido message type, CC or note number 0-127), any channel; or with a third
# element, the MIDI channel 0-15 (mido's numbering; 1-16 to users), which is
# matched before the any-channel key.
Control = Tuple[str, int]

MIDI_CHANNELS = (1, 16)  # as users and DAWs number them; mido's 0-15.
MIDI_NOTES = (0, 127)


def check_channel(name: str, channel: int) -> int:
  """A MIDI channel as users number it (1-16) -> mido's 0-15.

  Raises:
    ValueError: naming ``name`` and the range, e.g. for a flag.
  """
  low, high = MIDI_CHANNELS
  if isinstance(channel, bool) or not isinstance(channel, int) or not (
      low <= channel <= high):
    raise ValueError(f'{name} must be a MIDI channel in [{low}, {high}], got '
                     f'{channel!r}')
  return channel - 1


def check_note(name: str, note: int) -> int:
  """A MIDI note number 0-127.

  Raises:
    ValueError: naming ``name`` and the range.
  """
  low, high = MIDI_NOTES
  if isinstance(note, bool) or not isinstance(note, int) or not (
      low <= note <= high):
    raise ValueError(f'{name} must be a MIDI note in [{low}, {high}], got '
                     f'{note!r}')
  return note


def agent_note_bindings(source: Tuple[int, int], target: Tuple[int, int],
                        names: Tuple[str, str] = ('source', 'target')
                        ) -> Dict[tuple, Binding]:
  """Bindings of the ``live --agent --agent_ticks=clock`` bridge's notes.

  Args:
    source: (channel 1-16, note 0-127) whose note-ons are source hits.
    target: (channel 1-16, note 0-127) whose note-ons are target hits.
    names: how errors name the two (e.g. the flags' prefixes).

  Returns:
    ``{('note_on', note, channel 0-15): Binding}``: only that channel
    matches (the same note on another channel is not the agent's).

  Raises:
    ValueError: naming the value outside its range, or source and target
      on the same channel and note.
  """
  keys = []
  for name, (channel, note) in zip(names, (source, target)):
    keys.append(('note_on', check_note(f'{name}_note', note),
                 check_channel(f'{name}_channel', channel)))
  if keys[0] == keys[1]:
    raise ValueError(f'{names[0]} and {names[1]} are the same note '
                     f'({source[1]} on channel {source[0]}); they must '
                     'differ in note or channel')
  return {keys[0]: Binding('agent_source'), keys[1]: Binding('agent_target')}


def _parse_control(text: str, item: str) -> Control:
  for prefix, kind in CONTROL_KINDS.items():
    if text.startswith(prefix):
      number = text[len(prefix):]
      if number.isdigit() and 0 <= int(number) <= 127:
        return kind, int(number)
  raise ValueError(f'MIDI map item {item!r}: control must be ccN or noteN '
                   f'with N in 0-127, got {text!r}')


def _parse_action(text: str, item: str, input_size: int) -> Binding:
  name, _, index = text.partition(':')
  if name == 'input':
    if not index.isdigit() or int(index) >= input_size:
      raise ValueError(f'MIDI map item {item!r}: input needs an index in '
                       f'[0, {input_size}), e.g. input:0')
    return Binding('input', int(index))
  if name == 'control':
    if not index.isidentifier():
      raise ValueError(f'MIDI map item {item!r}: control needs a name, e.g. '
                       'control:mousex')
    return Binding('control', args=(index,))
  if name == 'mode':
    instrument, _, mode = index.partition(':')
    if not instrument.isidentifier() or mode not in osc_control.DRUM_MODES:
      raise ValueError(f'MIDI map item {item!r}: mode needs an instrument '
                       f'and one of {osc_control.DRUM_MODES}, e.g. '
                       'mode:snare:learn')
    return Binding('mode', args=(instrument, mode))
  if index or (name not in TRIGGERS and name not in CONTINUOUS):
    raise ValueError(f'MIDI map item {item!r}: unknown action {text!r}; '
                     'known: input:K, control:NAME, mode:INSTRUMENT:MODE, '
                     f'{", ".join(TRIGGERS)}, '
                     f'{", ".join(list(CONTINUOUS)[2:])}')
  return Binding(name)


def parse_midi_map(spec: str, input_size: int) -> Dict[Control, Binding]:
  """Parses ``"cc1=input:0,note60=reward+,..."`` into control -> binding.

  Args:
    spec: comma-separated ``CONTROL=ACTION`` items (see the module table).
    input_size: CARL's input vector length; ``input:K`` needs K < it.

  Returns:
    ``{('control_change' | 'note_on', number): Binding}``.

  Raises:
    ValueError: naming the item that is malformed, has an unknown control
      or action, or binds a control twice.
  """
  bindings: Dict[Control, Binding] = {}
  for item in filter(None, (s.strip() for s in spec.split(','))):
    control_text, eq, action_text = (s.strip() for s in item.partition('='))
    if not eq:
      raise ValueError(f'MIDI map item {item!r}: expected CONTROL=ACTION')
    control = _parse_control(control_text, item)
    if control in bindings:
      raise ValueError(f'MIDI map item {item!r}: {control_text} is bound '
                       'twice')
    bindings[control] = _parse_action(action_text, item, input_size)
  return bindings


def default_midi_map(input_size: int) -> Dict[Control, Binding]:
  """The default map, with inputs x, y, z kept to the first ``input_size``.

  Raises:
    ValueError: if input_size < 1.
  """
  if input_size < 1:
    raise ValueError(f'input_size must be >= 1, got {input_size}')
  items = [i for i in DEFAULT_MAP_SPEC.split(',')
           if not i.startswith('cc') or 'input:' not in i or
           int(i.rsplit(':', 1)[1]) < input_size]
  return parse_midi_map(','.join(items), input_size)


class MidiControlInput:
  """Turns mido messages into queued commands (and clock messages into ticks).

  Call :meth:`on_message` from any thread (it is mido's input callback when
  :meth:`open` is used); the clock thread drains :attr:`commands` like the
  OSC server's queue.

  Args:
    bindings: from :func:`parse_midi_map` or :func:`default_midi_map`.
    clock_follower: a :class:`clock.MidiClockFollower` fed the MIDI timing
      messages (None: they are ignored).
    optimise_every_max: top of the optimisation-frequency control (CARL's
      hparams.optimise_every_max).
    max_queue: commands beyond this wait are dropped (counted).
    time_fn: arrival-time source for the clock follower, seconds.

  Attributes:
    commands: ``queue.Queue`` of :class:`osc_control.Command`.
    stats: 'messages', 'accepted', 'unmapped', 'clock', 'dropped'.
  """

  def __init__(self, bindings: Dict[Control, Binding], clock_follower=None,
               optimise_every_max: int = 100, max_queue: int = 10_000,
               time_fn: Callable[[], float] = time.monotonic):
    if optimise_every_max < 1:
      raise ValueError(f'optimise_every_max must be >= 1, got '
                       f'{optimise_every_max}')
    self.bindings = dict(bindings)
    self.clock_follower = clock_follower
    self.optimise_every_max = optimise_every_max
    self.commands: 'queue.Queue[osc_control.Command]' = queue.Queue(
        maxsize=max_queue)
    self.stats = dict(messages=0, accepted=0, unmapped=0, clock=0, dropped=0)
    self._time = time_fn
    self._last_cc: Dict[Control, int] = {}
    self._port = None

  def to_commands(self, message) -> List[osc_control.Command]:
    """The commands one (non-clock) MIDI message stands for.

    Args:
      message: a mido message (note_on with velocity 0 is a note-off).

    Returns:
      Zero or one command (a list, for unmapped or released controls).
    """
    kind = getattr(message, 'type', None)
    if kind == 'control_change':
      control, value = (kind, message.control), int(message.value)
    elif kind == 'note_on' and message.velocity > 0:
      control, value = (kind, message.note), int(message.velocity)
    else:
      return []
    on_channel = control + (getattr(message, 'channel', 0),)
    binding = self.bindings.get(on_channel)
    if binding is not None:
      control = on_channel
    else:
      binding = self.bindings.get(control)
    if binding is None:
      return []
    if binding.action == 'mode' or binding.action in TRIGGERS:
      previous = self._last_cc.get(control, 0)
      self._last_cc[control] = value
      if kind == 'control_change' and not (previous < SWITCH_ON <= value):
        return []
      name, args = TRIGGERS.get(binding.action, ('drums/mode', binding.args))
      return [osc_control.Command(name, args)]
    name, args = CONTINUOUS[binding.action]
    return [osc_control.Command(
        name, args(value / 127.0, binding, self.optimise_every_max))]

  def on_message(self, message) -> None:
    """Handles one incoming MIDI message (thread-safe, never raises)."""
    self.stats['messages'] += 1
    try:
      if getattr(message, 'type', None) in CLOCK_MESSAGE_TYPES:
        self.stats['clock'] += 1
        if self.clock_follower is not None:
          self.clock_follower.feed(message, self._time())
        return
      commands = self.to_commands(message)
    except Exception:  # pylint: disable=broad-except
      # Ticks delivered from here run the session's callbacks, which count
      # their own errors; anything else is logged, never fatal.
      logging.exception('MIDI in: failed on %s', message)
      return
    if not commands:
      self.stats['unmapped'] += 1
    for command in commands:
      osc_control.enqueue(self.commands, command, self.stats)

  def open(self, name: str) -> 'MidiControlInput':
    """Opens a mido input port with :meth:`on_message` as its callback.

    Args:
      name: the port name; 'virtual:NAME' makes a virtual input port.

    Raises:
      osc_control.ControlInputError: naming the port and the inputs that exist.
    """
    self._port = midi_ports.open_midi_port(
        name, 'input', osc_control.ControlInputError,
        callback=self.on_message)
    return self

  def start(self) -> 'MidiControlInput':
    """Nothing to start: the port's callback runs in mido's thread."""
    return self

  def close(self) -> None:
    if self._port is not None:
      self._port.close()
      self._port = None


def make_midi_input(port: str, map_spec: str, input_size: int,
                    optimise_every_max: int = 100, clock_follower=None
                    ) -> MidiControlInput:
  """Builds and opens MIDI control input for a live session.

  Args:
    port: mido input port name ('virtual:NAME' for a virtual one).
    map_spec: a map spec ('' = :func:`default_midi_map`).
    input_size: CARL's input vector length.
    optimise_every_max: top of the optimisation-frequency control.
    clock_follower: a MidiClockFollower to feed timing messages, or None.

  Raises:
    ValueError: on a bad map spec.
    osc_control.ControlInputError: when the port cannot be opened.
  """
  bindings = (parse_midi_map(map_spec, input_size) if map_spec else
              default_midi_map(input_size))
  return MidiControlInput(bindings, clock_follower,
                          optimise_every_max).open(port)


def describe(bindings: Dict[Control, Binding]) -> str:
  """One line per binding, e.g. 'cc1 -> input:0' (for logs and --help)."""
  names = {v: k for k, v in CONTROL_KINDS.items()}
  lines = []
  for control, binding in sorted(bindings.items()):
    kind, number = control[:2]
    channel = (f' on channel {control[2] + 1}' if len(control) > 2 else '')
    action = {'input': f'input:{binding.index}',
              'control': ':'.join(('control',) + binding.args),
              'mode': ':'.join(('mode',) + binding.args)}.get(binding.action,
                                                              binding.action)
    lines.append(f'{names[kind]}{number}{channel} -> {action}')
  return '\n'.join(lines)

