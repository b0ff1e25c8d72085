"""Where the engine's blocks go: a WAV file, the sound card, any callable.

  * :class:`WavWriter` collects blocks and writes a 16-bit WAV atomically
    (temp file + rename) on ``close()``; optionally normalised so the peak is
    exactly ``peak_db`` (offline renders peak at -1 dBFS whatever the
    program's level; relative levels are kept).
  * :class:`SoundDeviceOutput` plays through PortAudio (``sounddevice``, MIT;
    Debian ``libportaudio2``): its callback renders one block per call and
    records how long that took (for bench/audio_bench.py). With no sound
    card, PortAudio or device, it raises :class:`AudioDeviceError` naming
    the problem. Tests pass a fake ``stream_factory``.
  * :func:`pump` renders blocks into any callable as fast as it can (a
    test, an offline consumer); :class:`PacedOutput` renders them at the
    sample rate's pace in a thread (a browser stream).
"""

import collections
import os
import sys
import tempfile
import threading
import time
from typing import Callable, Deque, List, Optional, Union

import numpy as np

PCM_SUBTYPE = 'PCM_16'
SWITCH_INTERVAL_S = 0.0005  # As bench/sonification_bench.py's clock process.
DEFAULT_PEAK_DB = -1.0


class AudioDeviceError(RuntimeError):
  """The sound card cannot be used (no PortAudio, no device, open failed)."""


def write_wav(path: str, audio: np.ndarray, sample_rate: int) -> str:
  """Writes float32 ``audio [frames, 2]`` as 16-bit PCM, atomically; 0644.

  Returns:
    path.
  """
  import soundfile  # pylint: disable=g-import-not-at-top
  directory = os.path.dirname(os.path.abspath(path))
  os.makedirs(directory, exist_ok=True)
  fd, tmp = tempfile.mkstemp(suffix='.wav', dir=directory)
  os.close(fd)
  os.chmod(tmp, 0o644)
  try:
    soundfile.write(tmp, audio, int(sample_rate), subtype=PCM_SUBTYPE)
    os.replace(tmp, path)
  finally:
    if os.path.exists(tmp):
      os.remove(tmp)
  return path


def normalise(audio: np.ndarray, peak_db: float = DEFAULT_PEAK_DB
              ) -> np.ndarray:
  """``audio`` scaled so its peak is ``peak_db`` dBFS (silence unchanged)."""
  peak = float(np.max(np.abs(audio))) if audio.size else 0.0
  if peak <= 0.0:
    return audio
  return (audio * np.float32(10.0 ** (peak_db / 20.0) / peak)).astype(
      np.float32)


class WavWriter:
  """Collects blocks ``[frames, 2]``; writes them on ``close()``.

  Args:
    path: output .wav path.
    sample_rate: Hz.
    peak_db: normalise the file to this peak (dBFS); None keeps the levels.
  """

  def __init__(self, path: str, sample_rate: int,
               peak_db: Optional[float] = DEFAULT_PEAK_DB):
    self.path = path
    self.sample_rate = int(sample_rate)
    self.peak_db = peak_db
    self._blocks: List[np.ndarray] = []
    self._closed = False

  def __call__(self, block: np.ndarray) -> None:
    self._blocks.append(np.array(block, np.float32))

  def audio(self) -> np.ndarray:
    """Everything so far, float32 ``[frames, 2]`` (not normalised)."""
    if not self._blocks:
      return np.zeros((0, 2), np.float32)
    return np.concatenate(self._blocks)

  def close(self) -> Optional[str]:
    """Writes the file (once); returns its path."""
    if self._closed:
      return None
    self._closed = True
    audio = self.audio()
    if self.peak_db is not None:
      audio = normalise(audio, self.peak_db)
    return write_wav(self.path, audio, self.sample_rate)


def pump(engine, consumer: Callable[[np.ndarray], None], frames: int,
         block_size: Optional[int] = None) -> None:
  """Renders ``frames`` samples block by block into ``consumer``."""
  block = int(block_size or engine.block_size)
  done = 0
  while done < frames:
    n = min(block, frames - done)
    consumer(engine.render(n))
    done += n


def render(engine, seconds: float, block_size: int = 4096) -> np.ndarray:
  """Renders ``seconds`` of audio offline: float32 ``[frames, 2]``."""
  total = engine.seconds_to_frame(seconds)
  out = np.zeros((total, 2), np.float32)
  done = 0
  while done < total:
    n = min(block_size, total - done)
    out[done:done + n] = engine.render(n)
    done += n
  return out


class PacedOutput:
  """Renders blocks at the sample rate's pace into a callable, in a thread:
  an output for consumers without their own clock (a browser stream).

  Args:
    engine: an engine.Engine (its sample_rate and block_size are used).
    consumer: called with each float32 ``[block_size, 2]`` block.
    warm_up: compile the kernels before the first block.

  The thread sleeps until each block's due time; when it falls behind (a
  slow consumer) it renders at once and counts the late blocks in
  ``late``, never skipping audio.
  """

  def __init__(self, engine, consumer: Callable[[np.ndarray], None],
               warm_up: bool = True):
    self.engine = engine
    self.consumer = consumer
    self.late = 0
    self.blocks = 0
    self._stop = threading.Event()
    self._thread = threading.Thread(target=self._run, name='audio-paced',
                                    daemon=True)
    self._warm_up = warm_up

  def _run(self) -> None:
    period = self.engine.block_size / float(self.engine.sample_rate)
    due = time.perf_counter()
    while not self._stop.is_set():
      self.consumer(self.engine.render(self.engine.block_size))
      self.blocks += 1
      due += period
      delay = due - time.perf_counter()
      if delay > 0:
        self._stop.wait(delay)
      else:
        self.late += 1
        due = time.perf_counter()

  def start(self) -> 'PacedOutput':
    if self._warm_up:
      self.engine.warm_up()
    self._thread.start()
    return self

  def close(self) -> None:
    self._stop.set()
    self._thread.join(timeout=5.0)


def _sounddevice():
  try:
    import sounddevice  # pylint: disable=g-import-not-at-top
  except OSError as e:  # sounddevice raises OSError without PortAudio.
    raise AudioDeviceError(
        f'PortAudio library not found ({e}); install the Debian package '
        'libportaudio2, or render offline with --wav_out=FILE.wav') from e
  return sounddevice


class SoundDeviceOutput:
  """Plays an engine through the sound card (PortAudio callback stream).

  Args:
    engine: an engine.Engine; its sample_rate and block_size are used.
    device: a PortAudio output device index or name substring (None: the
      default device).
    latency: PortAudio's suggested latency: 'low', 'high' or seconds.
    stream_factory: builds the stream (``sounddevice.OutputStream``'s
      keyword arguments); tests pass a fake.
    timing_size: how many recent callback durations ``timings`` keeps.
    tap: called with every block played (e.g. a WavWriter recording the
      session); it runs in the audio callback, so it must be quick.
    switch_interval_s: on start, lowers Python's thread switch interval
      (sys.setswitchinterval, default 5 ms) to this, so the audio callback
      waits at most about this long for the GIL while other threads (the
      clock, a learning agent) run Python; None leaves it.

  Raises:
    AudioDeviceError: no PortAudio, no output device, or the stream cannot
      open; the message names the device problem and the WAV alternative.
  """

  def __init__(self, engine, device: Union[int, str, None] = None,
               latency: Union[str, float] = 'low',
               stream_factory: Optional[Callable] = None,
               timing_size: int = 100000,
               tap: Optional[Callable[[np.ndarray], None]] = None,
               switch_interval_s: Optional[float] = SWITCH_INTERVAL_S):
    self.engine = engine
    self.tap = tap
    self.switch_interval_s = switch_interval_s
    self.timings: Deque[float] = collections.deque(maxlen=timing_size)
    self.underruns = 0
    kwargs = dict(samplerate=engine.sample_rate,
                  blocksize=engine.block_size, channels=2, dtype='float32',
                  latency=latency, callback=self._callback, device=device)
    if stream_factory is None:
      sd = _sounddevice()
      try:
        outputs = [d for d in sd.query_devices()
                   if d['max_output_channels'] > 0]
      except Exception as e:  # pylint: disable=broad-except
        raise AudioDeviceError(f'cannot list sound devices: {e}') from e
      if not outputs:
        raise AudioDeviceError(
            'no sound card: PortAudio lists no output device; render '
            'offline with --wav_out=FILE.wav instead')
      stream_factory = sd.OutputStream
    try:
      self.stream = stream_factory(**kwargs)
    except Exception as e:  # pylint: disable=broad-except
      raise AudioDeviceError(
          f'cannot open sound device {device if device is not None else "(default)"}'
          f' at {engine.sample_rate} Hz, block {engine.block_size}: {e}'
      ) from e

  def _callback(self, outdata, frames, time_info, status) -> None:
    del time_info
    if status:
      self.underruns += 1
    t0 = time.perf_counter()
    block = self.engine.render(frames)
    outdata[:] = block
    if self.tap is not None:
      self.tap(block)
    self.timings.append(time.perf_counter() - t0)

  def start(self) -> 'SoundDeviceOutput':
    self.engine.warm_up()
    if (self.switch_interval_s is not None and
        self.switch_interval_s < sys.getswitchinterval()):
      sys.setswitchinterval(self.switch_interval_s)
    self.stream.start()
    return self

  def close(self) -> None:
    self.stream.stop()
    self.stream.close()
