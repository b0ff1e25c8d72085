"""Audio for the studio: sources of ``[frames, 2]`` float32 blocks.

The studio streams whatever a *block source* renders to the browser (an
AudioWorklet). A block source is any object with ``sample_rate`` (Hz) and
``render(frames) -> [frames, 2]`` float32 in [-1, 1]: :class:`BrowserOutput`
(the audio engine as sonification.audio.engine_sink.EngineSink's realtime
output), or :class:`TestTone` (a sine, to test the stream and its latency:
``--test_tone``).

No TensorFlow here (it runs beside the realtime clock).
"""

import numpy as np

DEFAULT_SAMPLE_RATE = 48000  # Hz; the Web Audio default on most machines.
BLOCK_FRAMES = 1024  # 21.3 ms at 48 kHz: one websocket message.


class TestTone:
  """A continuous sine (both channels).

  Args:
    frequency_hz: pitch of the tone.
    gain: peak amplitude in [0, 1].
    sample_rate: Hz.
  """

  def __init__(self, frequency_hz: float = 440.0, gain: float = 0.2,
               sample_rate: int = DEFAULT_SAMPLE_RATE):
    self.frequency_hz = float(frequency_hz)
    self.gain = float(gain)
    self.sample_rate = int(sample_rate)
    self._frame = 0

  def render(self, frames: int) -> np.ndarray:
    """The next ``frames`` samples, ``[frames, 2]`` float32."""
    n = np.arange(self._frame, self._frame + frames)
    self._frame += frames
    mono = self.gain * np.sin(2 * np.pi * self.frequency_hz * n /
                              self.sample_rate)
    return np.repeat(mono[:, None], 2, axis=1).astype(np.float32)


class BrowserOutput:
  """The audio engine's realtime output when the browser plays it.

  sonification.audio.engine_sink.EngineSink's ``open_output(engine, tap)``
  for the studio (:func:`open_browser_output`): the studio's streamer
  (studio_server) pulls :meth:`render` at the real-time pace, heard or not,
  so the engine's frame counter is "now" and the sink anchors events to it
  as it does to a sound card's.

  Args:
    engine: a sonification.audio.engine.Engine.
    tap: called with every block rendered (e.g. a WavWriter), or None.
  """

  def __init__(self, engine, tap=None):
    self.engine = engine
    self.tap = tap
    self.closed = False

  @property
  def sample_rate(self) -> int:
    """The engine's sample rate (Hz)."""
    return self.engine.sample_rate

  def render(self, frames: int) -> np.ndarray:
    """The engine's next ``frames`` samples, ``[frames, 2]`` float32
    (silence once closed)."""
    if self.closed:
      return np.zeros((frames, 2), np.float32)
    block = self.engine.render(frames)
    if self.tap is not None:
      self.tap(block)
    return block

  def close(self) -> None:
    """Stops rendering the engine (the stream then sends silence)."""
    self.closed = True


def open_browser_output(engine, tap=None) -> BrowserOutput:
  """EngineSink's ``open_output`` for the browser (see BrowserOutput)."""
  return BrowserOutput(engine, tap)


def block_duration_s(frames: int, sample_rate: int) -> float:
  """Seconds one block lasts: frames / sample_rate."""
  if frames <= 0 or sample_rate <= 0:
    raise ValueError(f'frames ({frames}) and sample_rate ({sample_rate}) '
                     f'must be positive')
  return frames / sample_rate
