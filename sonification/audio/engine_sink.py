"""The audio engine as a live session's sink (sonification/sinks.py).

:class:`EngineSink` turns the sink calls of the live apps into engine events:

  * a drum program's statements (``drum_program``, ``statement_hit``,
    ``statement_note``, ``control_input``): one track per statement with its
    own effect chain (program_tracks); ``mousex``/``mousey`` move the synth
    parameters bound to them;
  * ``note_on`` / ``note_off`` on a melodic channel (RL Tuner melodies): a
    held note on the chosen voice (``voice``: lead or bass), one track per
    channel; on the drum channel (9) the GM drum notes 36/38/42/46 play the
    engine's kick/snare/closedhat/openhat; CC 74/71/72 set the channel's
    cut/res/env (value / 127 * 100). Once a drum program is given, these
    (its General MIDI rendition) are ignored: the statement events play it;
  * ``parameters`` (CARL's actor outputs in [0, 1]): the 'carl' track.

Time: events carry seconds on the session's clock. Offline (no sound card)
the engine follows that clock: time 0 is the first event, and the engine
renders into the WAV writer up to LAG_S behind the latest event (so events a
little in the future, e.g. hits between ticks, are never late); ``close``
renders the rest plus a tail. Realtime, the first event is anchored at the
sound card's current frame plus the latency, and the mapping is re-anchored
whenever the two clocks drift more than DRIFT_S apart (judged on the tick
time; a statement event's ``offset_s`` within its tick is added after).
"""

import logging
from typing import Callable, Optional, Sequence

from drums import schedule
from sonification import sinks as sinks_lib
from sonification.audio import carl_voice
from sonification.audio import engine as engine_lib
from sonification.audio import outputs
from sonification.audio import program_tracks

LAG_S = 0.5  # Offline: the engine renders this far behind the latest event.
DRIFT_S = 0.1  # Realtime: re-anchor when event times drift this far.
HELD_NOTE_S = 600.0  # A note_on without note_off sounds at most this long.
SYNTH_CCS = {74: 'cut', 71: 'res', 72: 'env'}  # MIDI 1.0 RP-021.
GM_DRUMS = {note: name for name, note in schedule.GM_DRUM_NOTES.items()}


class EngineSink(sinks_lib.Sink):
  """Plays sink calls on an engine, offline into a WAV and/or live.

  Args:
    engine: an engine.Engine.
    wav_path: write everything played to this WAV at close ('' or None:
      no file).
    open_output: None for offline rendering; else a callable
      ``(engine, tap) -> output`` that starts a realtime output (e.g.
      SoundDeviceOutput) calling ``tap(block)`` with every block it plays.
    voice: the instrument of notes on melodic channels ('lead' or 'bass').
    carl_mapping: CARL voice parameter per actor output (default
      carl_voice.default_mapping(N)).
    latency_s: realtime: how far after the sound card's current frame the
      first event is placed.
    tail_s: seconds rendered after the last event (offline).

  Raises:
    ValueError: on an unknown voice or a bad CARL mapping.
    outputs.AudioDeviceError: when the realtime output cannot open.
  """

  def __init__(self, engine: engine_lib.Engine, wav_path: Optional[str] = None,
               open_output: Optional[Callable] = None, voice: str = 'lead',
               carl_mapping: Optional[Sequence[str]] = None,
               latency_s: float = 0.02, tail_s: float = 1.0):
    if voice not in engine_lib.SYNTHS:
      raise ValueError(f'unknown melody voice {voice!r}; expected one of '
                       f'{", ".join(engine_lib.SYNTHS)}')
    if carl_mapping is not None:
      carl_voice.check_mapping(carl_mapping)
    self.engine = engine
    self.voice = voice
    self.carl_mapping = tuple(carl_mapping) if carl_mapping else None
    self.tail_s = float(tail_s)
    self.writer = (outputs.WavWriter(wav_path, engine.sample_rate)
                   if wav_path else None)
    self._latency = engine.seconds_to_frame(latency_s)
    self._anchor = None  # (session time s, engine frame).
    self._latest = 0  # Latest event frame.
    self._statements = 0
    self._program_mode = False
    self._tracks = set()
    self._closed = False
    self.output = None
    engine.warm_up()  # Kernels and samples now, not on the first tick.
    if open_output is not None:
      self.output = open_output(engine, self.writer)

  @property
  def realtime(self) -> bool:
    return self.output is not None

  # ------------------------------------------------------------------ time --

  def _frame(self, time_s: float, offset_s: float = 0.0) -> int:
    """The engine frame of session time ``time_s`` (now, on the session's
    clock) plus ``offset_s`` (an event later in the tick); see the module
    docstring. Drift is judged on ``time_s`` alone."""
    time_s = float(time_s)
    offset = self.engine.seconds_to_frame(max(0.0, float(offset_s)))
    if self._anchor is None:
      start = self.engine.frame + (self._latency if self.realtime else 0)
      self._anchor = (time_s, start)
    t0, f0 = self._anchor
    frame = f0 + self.engine.seconds_to_frame(time_s - t0)
    if self.realtime:
      now = self.engine.frame
      drift = self.engine.seconds_to_frame(DRIFT_S)
      if frame < now or frame > now + self._latency + drift:
        self._anchor = (time_s, now + self._latency)
        frame = now + self._latency
      return frame + offset
    frame = max(frame + offset, self.engine.frame)
    self._latest = max(self._latest, frame)
    self._follow(self._latest - self.engine.seconds_to_frame(LAG_S))
    return frame

  def _follow(self, until: int) -> None:
    """Offline: renders into the writer up to frame ``until``."""
    if until > self.engine.frame:
      outputs.pump(self.engine, self.writer or (lambda block: None),
                   until - self.engine.frame, block_size=4096)

  def _ensure(self, track: str, instrument: str, **kwargs) -> None:
    if track not in self._tracks:
      self._tracks.add(track)
      self.engine.set_track(track, instrument, **kwargs)

  # ------------------------------------------------------- program events --

  def drum_program(self, program, time_s=0.0):
    self._program_mode = True
    self._statements = program_tracks.configure(
        self.engine, program, self._statements, frame=self._frame(time_s))

  def statement_hit(self, statement, time_s=0.0, offset_s=0.0):
    self.engine.trigger(program_tracks.statement_track(statement),
                        frame=self._frame(time_s, offset_s))

  def statement_note(self, statement, pitch, duration_s, time_s=0.0,
                     offset_s=0.0):
    duration = self.engine.seconds_to_frame(
        duration_s * program_tracks.SYNTH_GATE)
    self.engine.trigger(program_tracks.statement_track(statement),
                        frame=self._frame(time_s, offset_s), pitch=pitch,
                        duration=max(1, duration))

  def control_input(self, name, value, time_s=0.0):
    # Live: at once (controls arrive between ticks; time_s is the last
    # tick's). Offline: at the session time.
    frame = None if self.realtime else self._frame(time_s)
    self.engine.set_control(name, value, frame=frame)

  # ----------------------------------------------------------- MIDI-style --

  def note_on(self, pitch, velocity=100, channel=0, time_s=0.0):
    if self._program_mode:
      return
    frame = self._frame(time_s)
    if channel == sinks_lib.DRUM_CHANNEL:
      instrument = GM_DRUMS.get(int(pitch))
      if instrument is not None:
        self._ensure(f'gm_{instrument}', instrument)
        self.engine.trigger(f'gm_{instrument}', frame=frame,
                            velocity=velocity / 127.0)
      return
    track = f'ch{int(channel)}'
    self._ensure(track, self.voice)
    self.engine.trigger(track, frame=frame, pitch=int(pitch),
                        velocity=velocity / 127.0,
                        duration=self.engine.seconds_to_frame(HELD_NOTE_S))

  def note_off(self, pitch, channel=0, time_s=0.0):
    if self._program_mode or channel == sinks_lib.DRUM_CHANNEL:
      return
    self.engine.release(f'ch{int(channel)}', frame=self._frame(time_s))

  def control_change(self, control, value, channel=0, time_s=0.0):
    name = SYNTH_CCS.get(int(control))
    if self._program_mode or name is None:
      return
    track = f'ch{int(channel)}'
    self._ensure(track, self.voice)
    self.engine.set_params(track, {name: 100.0 * int(value) / 127.0},
                           frame=self._frame(time_s))

  def parameters(self, values, time_s=0.0):
    values = list(values)
    mapping = self.carl_mapping or carl_voice.default_mapping(len(values))
    self._ensure('carl', 'carl', mapping=mapping)
    self.engine.set_carl('carl', values, frame=self._frame(time_s))

  def all_off(self) -> None:
    """Silence now (the studio's hush): removes every track this sink set
    up, so ringing hits, held notes and CARL's voice stop; the next program
    (``drum_program``) or event sets them up again."""
    frame = None if self.realtime else self.engine.frame
    for i in range(self._statements):
      self.engine.remove_track(program_tracks.statement_track(i), frame=frame)
    for track in self._tracks:
      self.engine.remove_track(track, frame=frame)
    self._statements = 0
    self._tracks = set()

  # ----------------------------------------------------------------- close --

  def close(self):
    if self._closed:
      return
    self._closed = True
    if self.realtime:
      try:
        self.output.close()
      except Exception:  # pylint: disable=broad-except
        logging.exception('closing the sound device failed')
    else:
      self._follow(self._latest + self.engine.seconds_to_frame(self.tail_s))
    if self.writer is not None:
      path = self.writer.close()
      logging.info('wrote %s', path)
