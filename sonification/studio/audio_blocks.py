"""Audio for the studio: sources of ``[frames, 2]`` float32 blocks.

The studio streams whatever a *block source* renders to the browser (an
AudioWorklet) or hands it to the sound card. A block source is any object
with ``sample_rate`` (Hz) and ``render(frames) -> [frames, 2]`` float32 in
[-1, 1]; the audio engine (sonification/audio/, issue 10) is one. Until it
is wired in, two small sources stand in:

* :class:`TestTone`: a sine, to test the stream and measure its latency;
* :class:`HitSynth`: a sinks.Sink that turns the session's notes into short
  decaying sines (drums on channel 10 as pitched clicks, synths at their
  MIDI pitch), so every hit the session plays is heard in the browser.

No TensorFlow here (it runs beside the realtime clock).
"""

import math
import threading
from typing import List

import numpy as np

from sonification import sinks as sinks_lib

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


def midi_to_hz(pitch: float) -> float:
  """Equal temperament, A4 = MIDI 69 = 440 Hz."""
  return 440.0 * 2.0 ** ((pitch - 69.0) / 12.0)


class HitSynth(sinks_lib.Sink):
  """Renders note-ons as exponentially decaying sines (a stand-in voice).

  A drum note (channel 10, 0-based 9) is a 60 ms click at 2 x its General
  MIDI key's frequency (kick 36 -> 131 Hz, snare 38 -> 147 Hz); other
  channels sound their pitch for 250 ms. Amplitude is velocity / 127 x 0.5.
  Notes start in the next rendered block (the block is the latency).

  Args:
    sample_rate: Hz.
    max_voices: the oldest voices are dropped beyond this.
  """

  DRUM_DECAY_S = 0.06
  NOTE_DECAY_S = 0.25

  def __init__(self, sample_rate: int = DEFAULT_SAMPLE_RATE,
               max_voices: int = 32):
    self.sample_rate = int(sample_rate)
    self.max_voices = max_voices
    # [frequency Hz, amplitude, decay s, age in samples]; render thread only.
    self._voices: List[list] = []
    self._new: List[list] = []  # queued by note_on, under the lock.
    self._clear = False
    self._lock = threading.Lock()
    self.notes_heard = 0

  def note_on(self, pitch, velocity=100, channel=0, time_s=0.0):
    del time_s
    drum = channel == sinks_lib.DRUM_CHANNEL
    frequency = midi_to_hz(pitch + (12 if drum else 0))
    decay = self.DRUM_DECAY_S if drum else self.NOTE_DECAY_S
    with self._lock:  # the render thread picks it up at its next block.
      self._new.append([frequency, 0.5 * velocity / 127.0, decay, 0])
      self.notes_heard += 1

  def all_off(self) -> None:
    """Silences every voice from the next block."""
    with self._lock:
      self._new = []
      self._clear = True

  def render(self, frames: int) -> np.ndarray:
    """The next ``frames`` samples, ``[frames, 2]`` float32 in [-1, 1]."""
    with self._lock:
      new, self._new = self._new, []
      clear, self._clear = self._clear, False
    if clear:
      self._voices = []
    self._voices = (self._voices + new)[-self.max_voices:]
    out = np.zeros(frames)
    n = np.arange(frames)
    live = []
    for voice in self._voices:
      frequency, amplitude, decay, age = voice
      t = (age + n) / self.sample_rate
      out += amplitude * np.exp(-t / decay) * np.sin(2 * np.pi * frequency * t)
      voice[3] += frames
      if voice[3] / self.sample_rate < 8 * decay:  # exp(-8): -70 dB, gone.
        live.append(voice)
    self._voices = live
    out = np.clip(out, -1.0, 1.0)
    return np.repeat(out[:, None], 2, axis=1).astype(np.float32)


def block_duration_s(frames: int, sample_rate: int) -> float:
  """Seconds one block lasts: frames / sample_rate."""
  if frames <= 0 or sample_rate <= 0:
    raise ValueError(f'frames ({frames}) and sample_rate ({sample_rate}) '
                     f'must be positive')
  return frames / sample_rate


def peak_db(block: np.ndarray) -> float:
  """Peak level of a block in dBFS (-inf for silence)."""
  peak = float(np.max(np.abs(block))) if block.size else 0.0
  return 20.0 * math.log10(peak) if peak > 0 else float('-inf')
