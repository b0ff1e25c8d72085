"""The audio engine: tracks of voices and effect chains, mixed and limited.

One engine renders blocks of float32 stereo audio ``[frames, 2]`` for every
use: offline (WAV; the same events give bit-identical audio), the sound card
(outputs.SoundDeviceOutput), or any consumer of blocks (a browser stream).
No TensorFlow is imported here or below (the realtime hot path).

API (stable; every method but ``render`` may be called from any thread):

  engine = Engine(sample_rate=44100, block_size=128)
  engine.set_track('kick0', 'kick', effects=(('dist', 3), ('lpf', 400)))
  engine.set_track('bass', 'bass', params={'cut': 40, 'res': 70, 'env': 30},
                   bindings={'cut': 'mousex'})
  engine.set_track('carl', 'carl', mapping=('pitch', 'cutoff', ...))
  engine.trigger('kick0', frame=0, velocity=1.0)         # a drum hit
  engine.trigger('bass', frame=5512, pitch=36, duration=2756)  # a note
  engine.trigger('bass', frame=8000, pitch=43, duration=10**9)  # held ...
  engine.release('bass', frame=9000)                     # ... until here
  engine.set_params('bass', {'res': 90})                 # 0-100 units
  engine.set_control('mousex', 0.25)                     # a 0-1 input
  engine.set_carl('carl', [0.1, 0.9, 0.5, 0.0])          # actor outputs
  block = engine.render(128)                             # [128, 2] float32

A *track* is one voice (an instrument: kick, snare, closedhat, openhat,
lead, bass, carl) followed by its own effect chain (effects.EffectChain,
one per program statement). ``set_track`` builds the voice and designs its
filters in the calling thread; the finished track is swapped in at the
start of the block containing ``frame`` (voices and filters are never built
in the audio callback). Triggers and CARL values apply at their exact
sample; parameter and control changes at the start of their block, smoothed
by the voices. Events whose frame has passed (or ``frame=None``) apply at the
next block. The mix of all tracks goes through a master gain and a
look-ahead peak limiter (ceiling -1 dBFS by default): loud passages never
clip, and quieter ones keep their levels, so a track's ``amp`` stays
relative.
"""

import collections
import dataclasses
import heapq
import itertools
import threading
from typing import Any, Dict, Optional, Sequence, Tuple

import numpy as np

from sonification.audio import carl_voice
from sonification.audio import drum_samples
from sonification.audio import dsp_kernels
from sonification.audio import effects as effects_lib
from sonification.audio import voices

SYNTHS = {'lead': 'square', 'bass': 'saw'}  # Synth instrument -> wave.
INSTRUMENTS = drum_samples.INSTRUMENTS + tuple(SYNTHS) + ('carl',)
DEFAULT_SAMPLE_RATE = 44100
DEFAULT_BLOCK_SIZE = 128
CEILING_DB = -1.0  # Limiter ceiling (dBFS).
LOOKAHEAD_S = 0.0015  # Limiter look-ahead (s): 66 samples at 44.1 kHz.
LIMITER_RELEASE_S = 0.15  # Limiter release time constant (s).


def make_voice(instrument: str, sample_rate: int, params=None, mapping=None):
  """A new voice for ``instrument`` (see INSTRUMENTS).

  Raises:
    ValueError: on an unknown instrument or a bad parameter.
  """
  if instrument in drum_samples.INSTRUMENTS:
    return voices.DrumVoice(instrument, sample_rate)
  if instrument in SYNTHS:
    voice = voices.SubtractiveVoice(sample_rate, wave=SYNTHS[instrument])
    if params:
      voice.set_params(params)
    return voice
  if instrument == 'carl':
    voice = carl_voice.CarlVoice(sample_rate, mapping=mapping)
    if params:
      voice.set_params(params)
    return voice
  raise ValueError(f'unknown instrument {instrument!r}; expected one of '
                   f'{", ".join(INSTRUMENTS)}')


class Track:
  """A voice and its effect chain; mono, panned into the stereo mix.

  Args:
    instrument: see INSTRUMENTS.
    sample_rate: Hz.
    effects: ``(name, value)`` pairs in the written order.
    params: initial voice parameters (synths: cut/res/env 0-100; carl:
      parameter name -> x in [0, 1]).
    bindings: voice parameter -> control name (``{'cut': 'mousex'}``): the
      parameter follows ``100 * control value`` (synths).
    pan: -1 (left) .. 1 (right); 0 puts the full signal in both channels.
    mapping: CARL voice mapping (carl only).
  """

  def __init__(self, instrument: str, sample_rate: int,
               effects: Sequence[Tuple[str, float]] = (),
               params: Optional[Dict[str, float]] = None,
               bindings: Optional[Dict[str, str]] = None,
               pan: float = 0.0, mapping: Optional[Sequence[str]] = None):
    self.instrument = instrument
    self.voice = make_voice(instrument, sample_rate, params, mapping)
    self.chain = effects_lib.EffectChain(effects, sample_rate)
    self.bindings = dict(bindings or {})
    if not -1.0 <= pan <= 1.0:
      raise ValueError(f'pan must be in [-1, 1], got {pan}')
    self.gains = np.array([min(1.0, 1.0 - pan), min(1.0, 1.0 + pan)],
                          np.float32)
    self.buffer = np.zeros(0, np.float32)

  def render(self, frames: int) -> np.ndarray:
    """This block's mono signal after the chain, ``[frames]`` float32."""
    if self.buffer.shape[0] != frames:
      self.buffer = np.zeros(frames, np.float32)
    else:
      self.buffer[:] = 0.0
    self.voice.render(self.buffer)
    return self.chain.process(self.buffer)


@dataclasses.dataclass
class _Event:
  kind: str  # track, remove, trigger, release, params, control, carl
  track: Optional[str]
  payload: Any = None


class Limiter:
  """Stereo look-ahead peak limiter (see dsp_kernels.limit); delays the
  audio by ``window - 1`` samples.

  Args:
    sample_rate: Hz.
    ceiling_db: the highest peak let through, dBFS.
  """

  def __init__(self, sample_rate: int, ceiling_db: float = CEILING_DB):
    self.window = max(2, int(round(LOOKAHEAD_S * sample_rate)))
    self.ceiling = 10.0 ** (ceiling_db / 20.0)
    self.release = voices.one_pole(LIMITER_RELEASE_S, sample_rate)
    self.state = np.array([1.0, 0.0, float(self.window), 0.0])
    self.delay = np.zeros((4, self.window))
    self.delay[2:] = 1.0

  def process(self, block: np.ndarray) -> None:
    """Limits ``block [frames, 2]`` float32 in place."""
    dsp_kernels.limit(block, self.state, self.window, self.ceiling,
                      self.release, self.delay)


class Engine:
  """Renders scheduled events of many tracks as stereo blocks.

  Args:
    sample_rate: Hz.
    block_size: the realtime block length in samples (outputs use it;
      ``render`` takes any length).
    master_gain: linear gain of the mix before the limiter.
    ceiling_db: limiter ceiling in dBFS (<= 0).

  Raises:
    ValueError: on a non-positive rate or block size, or a ceiling > 0.
  """

  def __init__(self, sample_rate: int = DEFAULT_SAMPLE_RATE,
               block_size: int = DEFAULT_BLOCK_SIZE, master_gain: float = 1.0,
               ceiling_db: float = CEILING_DB):
    if int(sample_rate) <= 0 or int(block_size) <= 0:
      raise ValueError(f'sample_rate and block_size must be > 0, got '
                       f'{sample_rate}, {block_size}')
    if ceiling_db > 0:
      raise ValueError(f'ceiling_db must be <= 0 dBFS, got {ceiling_db}')
    self.sample_rate = int(sample_rate)
    self.block_size = int(block_size)
    self.master_gain = np.float32(master_gain)
    self.limiter = Limiter(self.sample_rate, ceiling_db)
    self.tracks: Dict[str, Track] = {}
    self.controls: Dict[str, float] = {}
    self._inbox = collections.deque()  # (frame or None, _Event): any thread.
    self._pending = []  # Heap of (frame, seq, _Event): render thread only.
    self._seq = itertools.count()
    self._frame = 0
    self._lock = threading.Lock()  # Serialises render() calls.

  # ----------------------------------------------------------- scheduling --

  @property
  def frame(self) -> int:
    """Frames rendered so far (the engine's sample clock)."""
    return self._frame

  def seconds_to_frame(self, seconds: float) -> int:
    return int(round(float(seconds) * self.sample_rate))

  def _post(self, frame: Optional[int], event: _Event) -> None:
    self._inbox.append((None if frame is None else int(frame), event))

  def set_track(self, track: str, instrument: str,
                effects: Sequence[Tuple[str, float]] = (),
                params: Optional[Dict[str, float]] = None,
                bindings: Optional[Dict[str, str]] = None, pan: float = 0.0,
                mapping: Optional[Sequence[str]] = None,
                frame: Optional[int] = None) -> None:
    """Adds or replaces track ``track`` (built now, swapped in at the start
    of the block containing ``frame``). A replaced track's voice keeps
    sounding when the instrument is the same, and its filters keep their
    state where the effect kinds match (a live re-run glides).

    Raises:
      ValueError: on a bad instrument, effect, parameter or pan (here, in
        the caller's thread, never in the audio callback).
    """
    built = Track(instrument, self.sample_rate, effects, params, bindings,
                  pan, mapping)
    self._post(frame, _Event('track', track, built))

  def remove_track(self, track: str, frame: Optional[int] = None) -> None:
    self._post(frame, _Event('remove', track))

  def trigger(self, track: str, frame: Optional[int] = None,
              velocity: float = 1.0, pitch: Optional[float] = None,
              duration: int = 0) -> None:
    """A drum hit, or a synth note (MIDI ``pitch``, ``duration`` samples),
    at sample ``frame`` (``velocity`` is a linear gain, 1 = full)."""
    self._post(frame, _Event('trigger', track,
                             (float(velocity), pitch, int(duration))))

  def release(self, track: str, frame: Optional[int] = None) -> None:
    """Ends a synth note at sample ``frame`` (note off; drums ignore it)."""
    self._post(frame, _Event('release', track))

  def set_params(self, track: str, params: Dict[str, float],
                 frame: Optional[int] = None) -> None:
    """Voice parameters (synths: cut/res/env 0-100; carl: name -> [0, 1])."""
    self._post(frame, _Event('params', track, dict(params)))

  def set_control(self, name: str, value: float,
                  frame: Optional[int] = None) -> None:
    """A 0-1 control input (e.g. 'mousex'); bound parameters follow it."""
    self._post(frame, _Event('control', None,
                             (str(name), min(1.0, max(0.0, float(value))))))

  def set_carl(self, track: str, values: Sequence[float],
               frame: Optional[int] = None) -> None:
    """CARL's actor outputs ``[N]`` in [0, 1] for a 'carl' track."""
    self._post(frame, _Event('carl', track, [float(v) for v in values]))

  # ------------------------------------------------------------ rendering --

  def render(self, frames: Optional[int] = None) -> np.ndarray:
    """Renders the next ``frames`` samples (default: block_size).

    Returns:
      float32 ``[frames, 2]``, limited to the ceiling.
    """
    frames = self.block_size if frames is None else int(frames)
    with self._lock:
      start = self._frame
      end = start + frames
      self._drain_inbox(start)
      triggers = []
      while self._pending and self._pending[0][0] < end:
        frame, _, event = heapq.heappop(self._pending)
        if event.kind in ('trigger', 'carl', 'release'):
          triggers.append((max(0, frame - start), event))
        else:
          self._apply(event)
      for offset, event in triggers:
        track = self.tracks.get(event.track)
        if track is None:
          continue
        if event.kind == 'carl':
          track.voice.set_values(event.payload, offset)
        elif event.kind == 'release':
          if hasattr(track.voice, 'release'):
            track.voice.release(offset)
        else:
          velocity, pitch, duration = event.payload
          if pitch is None:
            track.voice.trigger(offset, velocity)
          else:
            track.voice.trigger(offset, velocity, pitch=pitch,
                                duration=duration)
      mix = np.zeros((frames, 2), np.float32)
      for track in self.tracks.values():
        mono = track.render(frames)
        mix += mono[:, None] * track.gains
      if self.master_gain != 1.0:
        mix *= self.master_gain
      self.limiter.process(mix)
      self._frame = end
      return mix

  def _drain_inbox(self, now: int) -> None:
    while self._inbox:
      frame, event = self._inbox.popleft()
      heapq.heappush(self._pending,
                     (now if frame is None else frame, next(self._seq), event))

  def _apply(self, event: _Event) -> None:
    """Applies a block-boundary event (track, remove, params, control)."""
    if event.kind == 'track':
      new = event.payload
      old = self.tracks.get(event.track)
      if old is not None:
        new.chain.adopt_state(old.chain)
        if old.instrument == new.instrument:
          _carry_voice(old.voice, new.voice)
      self._bind(new)
      self.tracks[event.track] = new
    elif event.kind == 'remove':
      self.tracks.pop(event.track, None)
    elif event.kind == 'params':
      track = self.tracks.get(event.track)
      if track is not None:
        track.voice.set_params(event.payload)
    elif event.kind == 'control':
      name, value = event.payload
      self.controls[name] = value
      for track in self.tracks.values():
        self._bind(track, only=name)

  def _bind(self, track: Track, only: Optional[str] = None) -> None:
    params = {param: 100.0 * self.controls[control]
              for param, control in track.bindings.items()
              if control in self.controls and (only is None or control == only)}
    if params:
      track.voice.set_params(params)

  def warm_up(self) -> None:
    """Compiles the DSP kernels and builds the drum samples (seconds on a
    first run); call before a realtime stream starts."""
    dsp_kernels.compile_all()
    drum_samples.sample_set(self.sample_rate)


def _carry_voice(old, new) -> None:
  """A re-built voice continues the old one's sound (ringing hits, the
  synth's phase, filter and envelopes), keeping the new parameters."""
  if isinstance(old, voices.DrumVoice):
    new._playing = old._playing  # pylint: disable=protected-access
  elif isinstance(old, voices.SubtractiveVoice):
    new.state = old.state
    new.freq_hz, new.velocity = old.freq_hz, old.velocity
  elif isinstance(old, carl_voice.CarlVoice):
    if old.mapping == new.mapping:
      new.state = old.state
      new.values = dict(old.values)
      new._update_targets()  # pylint: disable=protected-access
