"""The session's notes played by the audio engine (sonification/audio/).

:class:`EngineSink` is a sinks.Sink: what the drum session and CARL send to
MIDI and OSC also becomes engine events, and the engine (a block source:
``sample_rate``, ``render(frames) -> [frames, 2]`` float32) is what the
studio streams to the browser or plays on the sound card.

Mapping (the same channels and controllers as sonification/drum_live.py):

* channel 10 (0-based 9), General MIDI drum keys (drums.schedule
  GM_DRUM_NOTES) -> a hit on the track of that instrument, velocity / 127;
* channels 1 and 2 (lead, bass) -> a synth note of :data:`NOTE_S` seconds
  (the engine needs the length up front; the sink sees only note-ons);
* CC 74, 71, 72 on those channels -> the synth's cut, res, env (0-100);
* CARL's parameters -> the 'carl' track's values (its continuous voice).

No TensorFlow (the realtime path).
"""

from typing import Optional

from drums import schedule
from sonification import drum_live
from sonification import sinks as sinks_lib
from sonification.audio import carl_voice
from sonification.audio import engine as engine_lib

NOTE_S = 0.25  # seconds a synth note lasts.
_DRUM_BY_NOTE = {note: name for name, note in schedule.GM_DRUM_NOTES.items()}
_SYNTH_BY_CHANNEL = {ch: name for name, ch in drum_live.SYNTH_CHANNELS.items()}
_PARAM_BY_CC = {cc: name for name, cc in drum_live.SYNTH_CCS.items()}


class EngineSink(sinks_lib.Sink):
  """Turns sink calls into engine events (at the next block).

  Args:
    engine: an engine.Engine.
    carl_outputs: CARL's output size (0: no CARL track).

  Attributes:
    events: engine events posted (hits, notes, params, CARL values).
  """

  def __init__(self, engine: engine_lib.Engine, carl_outputs: int = 0):
    self.engine = engine
    self.carl_outputs = int(carl_outputs)
    self.events = 0
    self._up = False
    self._tracks_up()

  @property
  def sample_rate(self) -> int:
    return self.engine.sample_rate

  def render(self, frames: Optional[int] = None):
    """The engine's next block, ``[frames, 2]`` float32."""
    return self.engine.render(frames)

  def _tracks_up(self) -> None:
    if self._up:
      return
    for name in schedule.GM_DRUM_NOTES:
      self.engine.set_track(name, name)
    for name in _SYNTH_BY_CHANNEL.values():
      self.engine.set_track(name, name)
    if self.carl_outputs:
      self.engine.set_track('carl', 'carl', mapping=carl_voice.default_mapping(
          self.carl_outputs))
    self._up = True

  def note_on(self, pitch, velocity=100, channel=0, time_s=0.0):
    del time_s
    self._tracks_up()
    if channel == sinks_lib.DRUM_CHANNEL:
      name = _DRUM_BY_NOTE.get(int(pitch))
      if name is not None:
        self.engine.trigger(name, velocity=velocity / 127.0)
        self.events += 1
    elif channel in _SYNTH_BY_CHANNEL:
      self.engine.trigger(_SYNTH_BY_CHANNEL[channel], velocity=velocity / 127.0,
                          pitch=int(pitch),
                          duration=int(NOTE_S * self.engine.sample_rate))
      self.events += 1

  def control_change(self, control, value, channel=0, time_s=0.0):
    del time_s
    name = _PARAM_BY_CC.get(int(control))
    if name is not None and channel in _SYNTH_BY_CHANNEL:
      self.engine.set_params(_SYNTH_BY_CHANNEL[channel],
                             {name: 100.0 * int(value) / 127.0})
      self.events += 1

  def parameters(self, values, time_s=0.0):
    del time_s
    if self.carl_outputs:
      self._tracks_up()
      self.engine.set_carl('carl', values)
      self.events += 1

  def all_off(self) -> None:
    """Silence: removes every track (ringing hits and CARL's voice stop);
    the next event brings them back."""
    for name in list(schedule.GM_DRUM_NOTES) + list(
        _SYNTH_BY_CHANNEL.values()) + (['carl'] if self.carl_outputs else []):
      self.engine.remove_track(name)
    self._up = False
