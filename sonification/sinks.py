"""Output sinks: MIDI out (mido), OSC out (python-osc), audio (WAV, sound card).

Every sink has the same small interface, called from the clock thread:

  * ``note_on(pitch, velocity, channel, time_s)`` and
    ``note_off(pitch, channel, time_s)``: MIDI pitch 0-127, velocity 1-127,
    channel 0-15 (9 = General MIDI drums), time in seconds on the session's
    clock (only offline sinks use it; realtime sinks send at once).
  * ``parameters(values, time_s)``: continuous parameters in [0, 1] (CARL's
    synthesis parameters): OSC ``/carl/params f f ...``, MIDI CC.
  * ``control_change(control, value, channel, time_s)``: one MIDI CC (0-127
    each), e.g. a synth line's cutoff; ``program_change(program, channel,
    time_s)``: a General MIDI program 0-127 (0-based).
  * ``drum_program(program, time_s)``, ``statement_hit(statement, time_s,
    offset_s)``, ``statement_note(statement, pitch, duration_s, time_s,
    offset_s)`` and ``control_input(name, value, time_s)``: a live drum
    program's events by statement (index in ``program.statements``), at
    ``offset_s`` seconds after the tick at ``time_s``, for the audio engine
    (sonification.audio.engine_sink), which gives each statement its own
    voice and effect chain; other sinks ignore them and play the same events
    from note_on/note_off and control_change.
  * ``close()``.

None of this imports TF. Real devices are optional: tests use mido's
in-memory ports (or any object with ``send``), loopback UDP and temp files.
"""

import dataclasses
import logging
import os
import tempfile
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from sonification import midi_ports

SOUNDFONT = '/usr/share/sounds/sf2/TimGM6mb.sf2'  # Debian timgm6mb-soundfont.
DRUM_CHANNEL = 9  # General MIDI percussion channel (10, 0-based 9).
DEFAULT_CC_BASE = 20  # CC 20-31 are undefined in MIDI 1.0: free for users.
DEFAULT_OSC_PORT_OUT = 57120  # SuperCollider's sclang default port.


class SinkError(RuntimeError):
  """A sink cannot be opened (missing device, port or library)."""


def _check_note(pitch: int, velocity: int = 64, channel: int = 0) -> None:
  if not 0 <= int(pitch) <= 127:
    raise ValueError(f'MIDI pitch must be in [0, 127], got {pitch}')
  if not 0 <= int(velocity) <= 127:
    raise ValueError(f'MIDI velocity must be in [0, 127], got {velocity}')
  if not 0 <= int(channel) <= 15:
    raise ValueError(f'MIDI channel must be in [0, 15], got {channel}')


def _check_control(number: int, value: int, channel: int) -> None:
  if not 0 <= int(number) <= 127 or not 0 <= int(value) <= 127:
    raise ValueError(f'MIDI controller/program and value must be in [0, 127],'
                     f' got {number}, {value}')
  if not 0 <= int(channel) <= 15:
    raise ValueError(f'MIDI channel must be in [0, 15], got {channel}')


def to_cc_value(value: float) -> int:
  """Maps a parameter in [0, 1] to a 7-bit CC value: round(127 * clip(v))."""
  return int(round(127.0 * min(1.0, max(0.0, float(value)))))


class Sink:
  """Base sink: every method is a no-op; subclasses override what they use."""

  def note_on(self, pitch: int, velocity: int = 100, channel: int = 0,
              time_s: float = 0.0) -> None:
    pass

  def note_off(self, pitch: int, channel: int = 0, time_s: float = 0.0
               ) -> None:
    pass

  def parameters(self, values: Sequence[float], time_s: float = 0.0) -> None:
    pass

  def control_change(self, control: int, value: int, channel: int = 0,
                     time_s: float = 0.0) -> None:
    pass

  def program_change(self, program: int, channel: int = 0,
                     time_s: float = 0.0) -> None:
    pass

  def drum_program(self, program, time_s: float = 0.0) -> None:
    pass

  def statement_hit(self, statement: int, time_s: float = 0.0,
                    offset_s: float = 0.0) -> None:
    pass

  def statement_note(self, statement: int, pitch: int, duration_s: float,
                     time_s: float = 0.0, offset_s: float = 0.0) -> None:
    pass

  def control_input(self, name: str, value: float, time_s: float = 0.0
                    ) -> None:
    pass

  def close(self) -> None:
    pass


class MultiSink(Sink):
  """Fans every call out to several sinks; a failing sink is logged, counted.

  Attributes:
    errors: number of sink calls that raised.
  """

  def __init__(self, sinks: Sequence[Sink]):
    self.sinks = list(sinks)
    self.errors = 0

  def _each(self, name: str, *args) -> None:
    for sink in self.sinks:
      try:
        getattr(sink, name)(*args)
      except Exception:  # pylint: disable=broad-except
        self.errors += 1
        if self.errors <= 10 or self.errors % 1000 == 0:
          logging.exception('sink %r.%s failed (%d errors)', sink, name,
                            self.errors)

  def note_on(self, pitch, velocity=100, channel=0, time_s=0.0):
    self._each('note_on', pitch, velocity, channel, time_s)

  def note_off(self, pitch, channel=0, time_s=0.0):
    self._each('note_off', pitch, channel, time_s)

  def parameters(self, values, time_s=0.0):
    self._each('parameters', values, time_s)

  def control_change(self, control, value, channel=0, time_s=0.0):
    self._each('control_change', control, value, channel, time_s)

  def program_change(self, program, channel=0, time_s=0.0):
    self._each('program_change', program, channel, time_s)

  def drum_program(self, program, time_s=0.0):
    self._each('drum_program', program, time_s)

  def statement_hit(self, statement, time_s=0.0, offset_s=0.0):
    self._each('statement_hit', statement, time_s, offset_s)

  def statement_note(self, statement, pitch, duration_s, time_s=0.0,
                     offset_s=0.0):
    self._each('statement_note', statement, pitch, duration_s, time_s,
               offset_s)

  def control_input(self, name, value, time_s=0.0):
    self._each('control_input', name, value, time_s)

  def close(self):
    self._each('close')


class RecordingSink(Sink):
  """Keeps every call as a tuple (tests, offline rendering input).

  Attributes:
    events: ('note_on', time_s, pitch, velocity, channel),
      ('note_off', time_s, pitch, channel), ('parameters', time_s, values),
      ('cc', time_s, control, value, channel) and
      ('program', time_s, program, channel).
  """

  def __init__(self):
    self.events: List[tuple] = []

  def note_on(self, pitch, velocity=100, channel=0, time_s=0.0):
    _check_note(pitch, velocity, channel)
    self.events.append(('note_on', float(time_s), int(pitch), int(velocity),
                        int(channel)))

  def note_off(self, pitch, channel=0, time_s=0.0):
    _check_note(pitch, 0, channel)
    self.events.append(('note_off', float(time_s), int(pitch), int(channel)))

  def parameters(self, values, time_s=0.0):
    self.events.append(('parameters', float(time_s),
                        tuple(float(v) for v in values)))

  def control_change(self, control, value, channel=0, time_s=0.0):
    _check_control(control, value, channel)
    self.events.append(('cc', float(time_s), int(control), int(value),
                        int(channel)))

  def program_change(self, program, channel=0, time_s=0.0):
    _check_control(program, 0, channel)
    self.events.append(('program', float(time_s), int(program), int(channel)))


# ----------------------------------------------------------------- MIDI out --


def open_midi_output(name: str):
  """Opens a mido output port by name; 'virtual:NAME' makes a virtual port.

  Raises:
    SinkError: naming the port and the ports that exist, when it cannot be
      opened (e.g. no ALSA sequencer on this machine).
  """
  return midi_ports.open_midi_port(name, 'output', SinkError)


class MidiSink(Sink):
  """MIDI out through a mido port (or any object with ``send(message)``).

  Notes go out as note_on/note_off; ``parameters`` as control changes
  ``cc_base + i`` on ``cc_channel`` (value round(127 * v)).

  Args:
    port: a mido output port, ``mido.ports.IOPort``, or a fake with ``send``.
    cc_base: first controller number for parameters (20: undefined in MIDI
      1.0, free for users).
    cc_channel: channel of the parameter CCs, 0-15.

  Raises:
    ValueError: if cc_base or cc_channel is out of range.
  """

  def __init__(self, port, cc_base: int = DEFAULT_CC_BASE,
               cc_channel: int = 0):
    import mido  # pylint: disable=g-import-not-at-top
    if not 0 <= cc_base <= 127 or not 0 <= cc_channel <= 15:
      raise ValueError(f'cc_base {cc_base} must be in [0, 127] and cc_channel '
                       f'{cc_channel} in [0, 15]')
    self._mido = mido
    self.port = port
    self.cc_base = cc_base
    self.cc_channel = cc_channel

  def note_on(self, pitch, velocity=100, channel=0, time_s=0.0):
    _check_note(pitch, velocity, channel)
    self.port.send(self._mido.Message('note_on', note=int(pitch),
                                      velocity=int(velocity),
                                      channel=int(channel)))

  def note_off(self, pitch, channel=0, time_s=0.0):
    _check_note(pitch, 0, channel)
    self.port.send(self._mido.Message('note_off', note=int(pitch),
                                      channel=int(channel)))

  def parameters(self, values, time_s=0.0):
    if self.cc_base + len(values) > 128:
      raise ValueError(f'{len(values)} parameters from CC {self.cc_base} '
                       'run past CC 127')
    for i, v in enumerate(values):
      self.port.send(self._mido.Message(
          'control_change', channel=self.cc_channel, control=self.cc_base + i,
          value=to_cc_value(v)))

  def control_change(self, control, value, channel=0, time_s=0.0):
    _check_control(control, value, channel)
    self.port.send(self._mido.Message('control_change', channel=int(channel),
                                      control=int(control), value=int(value)))

  def program_change(self, program, channel=0, time_s=0.0):
    _check_control(program, 0, channel)
    self.port.send(self._mido.Message('program_change', channel=int(channel),
                                      program=int(program)))

  def close(self):
    close = getattr(self.port, 'close', None)
    if close:
      close()


# ------------------------------------------------------------------ OSC out --


class OscSink(Sink):
  """OSC out over UDP (python-osc ``SimpleUDPClient``).

  Addresses sent (``prefix`` defaults to ''):
    ``/note_on i:pitch i:velocity i:channel``, ``/note_off i:pitch
    i:channel``, ``/carl/params f...`` (each parameter in [0, 1]),
    ``/cc i:control i:value i:channel``, ``/program i:program i:channel``.

  Args:
    host: destination host (loopback by default).
    port: destination UDP port (57120: SuperCollider's sclang).
    prefix: prepended to every address, e.g. '/rl'.
  """

  def __init__(self, host: str = '127.0.0.1', port: int = DEFAULT_OSC_PORT_OUT,
               prefix: str = ''):
    from pythonosc import udp_client  # pylint: disable=g-import-not-at-top
    if not 0 < int(port) < 65536:
      raise ValueError(f'OSC port must be in [1, 65535], got {port}')
    self.client = udp_client.SimpleUDPClient(host, int(port))
    self.prefix = prefix.rstrip('/')

  def _send(self, address, args):
    self.client.send_message(self.prefix + address, args)

  def note_on(self, pitch, velocity=100, channel=0, time_s=0.0):
    _check_note(pitch, velocity, channel)
    self._send('/note_on', [int(pitch), int(velocity), int(channel)])

  def note_off(self, pitch, channel=0, time_s=0.0):
    _check_note(pitch, 0, channel)
    self._send('/note_off', [int(pitch), int(channel)])

  def parameters(self, values, time_s=0.0):
    self._send('/carl/params', [float(v) for v in values])

  def control_change(self, control, value, channel=0, time_s=0.0):
    _check_control(control, value, channel)
    self._send('/cc', [int(control), int(value), int(channel)])

  def program_change(self, program, channel=0, time_s=0.0):
    _check_control(program, 0, channel)
    self._send('/program', [int(program), int(channel)])

  def close(self):
    sock = getattr(self.client, '_sock', None)
    if sock is not None:
      sock.close()


# -------------------------------------------------------------------- audio --


def _load_general_midi(synth, soundfont: str) -> int:
  """Loads a General MIDI soundfont into a fluidsynth.Synth; its sfid.

  Every channel gets program 0 (bank 0), the drum channel the GM kit
  (bank 128).

  Raises:
    SinkError: if the soundfont is missing or fluidsynth cannot load it
      (pyfluidsynth returns -1 instead of raising).
  """
  if not os.path.exists(soundfont):
    raise SinkError(f'soundfont {soundfont!r} not found (Debian package '
                    'timgm6mb-soundfont)')
  sfid = synth.sfload(soundfont)
  if sfid < 0:
    raise SinkError(f'fluidsynth cannot load the soundfont {soundfont!r}')
  for channel in range(16):
    synth.program_select(channel, sfid,
                         128 if channel == DRUM_CHANNEL else 0, 0)
  return sfid


def _render_fluidsynth(notes, duration_s, sample_rate, soundfont):
  """Renders (time_s, kind, a, b, channel) events with fluidsynth.

  Kinds: 'on' (a pitch, b velocity), 'off' (a pitch), 'cc' (a control, b
  value), 'program' (a program).
  """
  import fluidsynth  # pylint: disable=g-import-not-at-top
  synth = fluidsynth.Synth(samplerate=float(sample_rate))
  try:
    sfid = _load_general_midi(synth, soundfont)
    chunks = []
    rendered = 0
    for time_s, kind, pitch, velocity, channel in notes:
      target = int(round(time_s * sample_rate))
      if target > rendered:
        chunks.append(np.asarray(synth.get_samples(target - rendered)))
        rendered = target
      if kind == 'on':
        synth.noteon(channel, pitch, velocity)
      elif kind == 'off':
        synth.noteoff(channel, pitch)
      elif kind == 'cc':
        synth.cc(channel, pitch, velocity)
      else:
        synth.program_select(channel, sfid, 0, pitch)
    total = int(round(duration_s * sample_rate))
    if total > rendered:
      chunks.append(np.asarray(synth.get_samples(total - rendered)))
  finally:
    synth.delete()
  stereo = np.concatenate(chunks) if chunks else np.zeros(0, np.int16)
  return stereo.reshape(-1, 2).astype(np.float32) / 32768.0


def _render_sine(notes, duration_s, sample_rate, soundfont):
  """Dependency-free fallback: each note a decaying sine (drums: noise).

  Control and program changes are ignored.
  """
  del soundfont
  total = int(round(duration_s * sample_rate))
  out = np.zeros(total, np.float32)
  on_times: Dict[Tuple[int, int], Tuple[float, int]] = {}
  rng = np.random.default_rng(0)

  def add(start_s, end_s, pitch, velocity, channel):
    a = int(start_s * sample_rate)
    b = min(total, int(max(end_s, start_s + 0.05) * sample_rate))
    if b <= a:
      return
    t = np.arange(b - a) / sample_rate
    env = np.exp(-t * 8.0) * (velocity / 127.0) * 0.3
    if channel == DRUM_CHANNEL:
      wave = rng.uniform(-1, 1, b - a)
    else:
      wave = np.sin(2 * np.pi * 440.0 * 2 ** ((pitch - 69) / 12.0) * t)
    out[a:b] += (env * wave).astype(np.float32)

  for time_s, kind, pitch, velocity, channel in notes:
    key = (pitch, channel)
    if kind == 'on':
      on_times[key] = (time_s, velocity)
    elif kind == 'off' and key in on_times:
      start, vel = on_times.pop(key)
      add(start, time_s, pitch, vel, channel)
  for (pitch, channel), (start, vel) in on_times.items():
    add(start, duration_s, pitch, vel, channel)
  return np.stack([out, out], axis=1)


RENDERERS: Dict[str, Callable] = {
    'fluidsynth': _render_fluidsynth,
    'sine': _render_sine,
}


class WavSink(Sink):
  """Collects notes and renders them to a WAV file on ``close()`` (offline).

  Args:
    path: output .wav path (written atomically: temp file + rename).
    synth: 'fluidsynth' (General MIDI soundfont) or 'sine' (no dependency).
    sample_rate: Hz.
    soundfont: .sf2 path for fluidsynth.
    tail_s: seconds rendered after the last event.

  Raises:
    ValueError: on an unknown synth name.
  """

  def __init__(self, path: str, synth: str = 'fluidsynth',
               sample_rate: int = 44100, soundfont: str = SOUNDFONT,
               tail_s: float = 1.0):
    if synth not in RENDERERS:
      raise ValueError(f'unknown synth {synth!r}; expected one of '
                       f'{sorted(RENDERERS)}')
    self.path = path
    self.synth = synth
    self.sample_rate = int(sample_rate)
    self.soundfont = soundfont
    self.tail_s = tail_s
    self.notes: List[tuple] = []
    self._closed = False

  def note_on(self, pitch, velocity=100, channel=0, time_s=0.0):
    _check_note(pitch, velocity, channel)
    self.notes.append((float(time_s), 'on', int(pitch), int(velocity),
                       int(channel)))

  def note_off(self, pitch, channel=0, time_s=0.0):
    _check_note(pitch, 0, channel)
    self.notes.append((float(time_s), 'off', int(pitch), 0, int(channel)))

  def control_change(self, control, value, channel=0, time_s=0.0):
    _check_control(control, value, channel)
    self.notes.append((float(time_s), 'cc', int(control), int(value),
                       int(channel)))

  def program_change(self, program, channel=0, time_s=0.0):
    _check_control(program, 0, channel)
    self.notes.append((float(time_s), 'program', int(program), 0,
                       int(channel)))

  def render(self) -> np.ndarray:
    """The audio so far, float32 ``[samples, 2]`` in [-1, 1].

    Time 0 of the audio is the first note-on; control and program changes
    sent before it (e.g. at setup, before the clock started) apply at 0.
    """
    notes = sorted(self.notes, key=lambda n: (n[0], n[1] == 'on'))
    starts = [n[0] for n in notes if n[1] == 'on']
    if notes:
      t0 = starts[0] if starts else notes[0][0]
      notes = [(max(0.0, n[0] - t0),) + n[1:] for n in notes]
    duration = (notes[-1][0] if notes else 0.0) + self.tail_s
    return RENDERERS[self.synth](notes, duration, self.sample_rate,
                                 self.soundfont)

  def close(self):
    if self._closed:
      return
    self._closed = True
    import soundfile  # pylint: disable=g-import-not-at-top
    audio = self.render()
    directory = os.path.dirname(os.path.abspath(self.path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix='.wav', dir=directory)
    os.close(fd)
    os.chmod(tmp, 0o644)  # mkstemp makes 0600; a WAV is an ordinary file.
    try:
      soundfile.write(tmp, audio, self.sample_rate, subtype='PCM_16')
      os.replace(tmp, self.path)
    finally:
      if os.path.exists(tmp):
        os.remove(tmp)


def sound_card_present(cards_file: str = '/proc/asound/cards') -> bool:
  """True when ALSA lists at least one sound card."""
  try:
    with open(cards_file) as f:
      text = f.read()
  except OSError:
    return False
  return bool(text.strip()) and 'no soundcards' not in text


class SoundCardSink(Sink):
  """Plays notes live through fluidsynth's audio driver (the sound card).

  Args:
    soundfont: a General MIDI .sf2 (Debian's TimGM6mb by default).
    driver: a fluidsynth audio driver: 'alsa', 'pulseaudio', 'pipewire',
      'jack', 'coreaudio' (macOS), 'dsound' (Windows).
    cards_file: where ALSA lists sound cards (checked for 'alsa' only).

  Raises:
    SinkError: when ALSA lists no sound card (as on the CI machines) or the
      fluidsynth audio driver cannot start; the message says to use WavSink.
  """

  def __init__(self, soundfont: str = SOUNDFONT, driver: str = 'alsa',
               cards_file: str = '/proc/asound/cards'):
    if driver == 'alsa' and not sound_card_present(cards_file):
      raise SinkError(f'no sound card: {cards_file} lists none; render '
                      'offline with --wav_out=FILE.wav instead')
    import fluidsynth  # pylint: disable=g-import-not-at-top
    self.synth = fluidsynth.Synth()
    try:
      self.synth.start(driver=driver)
    except Exception as e:  # pylint: disable=broad-except
      raise SinkError(f'fluidsynth audio driver {driver!r} failed: {e}') from e
    self.sfid = _load_general_midi(self.synth, soundfont)

  def note_on(self, pitch, velocity=100, channel=0, time_s=0.0):
    _check_note(pitch, velocity, channel)
    self.synth.noteon(channel, pitch, velocity)

  def note_off(self, pitch, channel=0, time_s=0.0):
    self.synth.noteoff(channel, pitch)

  def control_change(self, control, value, channel=0, time_s=0.0):
    _check_control(control, value, channel)
    self.synth.cc(channel, control, value)

  def program_change(self, program, channel=0, time_s=0.0):
    _check_control(program, 0, channel)
    self.synth.program_select(channel, self.sfid, 0, program)

  def close(self):
    self.synth.delete()


@dataclasses.dataclass
class NoteScheduler:
  """Turns "play pitch for k ticks" into note_on now and note_off later.

  Realtime sinks have no note durations, so the live sessions call
  :meth:`play` at a tick and :meth:`advance` at every tick; notes due off
  are released first (so a re-struck note is not cut).
  """
  sink: Sink
  pending: List[Tuple[int, int, int]] = dataclasses.field(default_factory=list)
  # Time (seconds, the clock's time base) of the latest tick seen: all_off()
  # at the end of a session releases notes then, not at time 0.
  last_time_s: float = 0.0

  def advance(self, tick_index: int, time_s: float) -> None:
    """Sends note_off for every note whose off tick is <= tick_index."""
    self.last_time_s = time_s
    if not self.pending:
      return
    keep = []
    for off_tick, pitch, channel in self.pending:
      if off_tick <= tick_index:
        self.sink.note_off(pitch, channel, time_s)
      else:
        keep.append((off_tick, pitch, channel))
    self.pending = keep

  def play(self, tick_index: int, time_s: float, pitch: int, velocity: int,
           channel: int = 0, length_ticks: int = 1) -> None:
    self.last_time_s = time_s
    self.sink.note_on(pitch, velocity, channel, time_s)
    self.pending.append((tick_index + max(1, length_ticks), pitch, channel))

  def all_off(self, time_s: Optional[float] = None) -> None:
    """Releases every pending note at ``time_s`` (default: the last tick)."""
    time_s = self.last_time_s if time_s is None else time_s
    for _, pitch, channel in self.pending:
      self.sink.note_off(pitch, channel, time_s)
    self.pending = []
