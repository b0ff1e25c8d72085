"""The drum session (drums/session.py) on the live clock.

Per tick, :class:`DrumLiveApp` steps the session and plays what it returns:

* drum hits (learn/predict/off already applied) as General MIDI drum notes on
  channel 10 (drums.schedule.GM_DRUM_NOTES), one tick long;
* synth notes (``lead``, ``bass``) on channels 1 and 2 (0-based 0 and 1) with
  the General MIDI programs of drums.session_output.SYNTH_PROGRAMS (the same
  as the session's MIDI file), as long as written (in ticks, at least one).
  Before each note its ``cut``, ``res`` and ``env`` (0-100, or following
  ``mousex``/``mousey``) go out as the sound-controller CCs of
  :data:`SYNTH_CCS` (MIDI 1.0 RP-021: 74 brightness, 71 harmonic content,
  72 release time), which hardware and software synths map to filter cutoff,
  resonance and envelope (fluidsynth's General MIDI soundfont, the
  ``--synth=gm`` path, ignores them).

The same events go to the sinks by statement as well (``drum_program``,
``statement_hit``, ``statement_note``, ``control_input``; sinks.Sink), at
their exact written time (hits between ticks too): the audio engine
(sonification.audio.engine_sink) plays each statement on its own voice and
effect chain, with cut/res/env and the mouse controls heard.

Verbs (OSC, MIDI, the pad): drums/mode, drums/program, drums/reset,
drums/save, drums/load, and drums/control NAME VALUE, the 0-1 control inputs
(``mousex``, ``mousey``) that ``cut_mousex``-style synth values follow.

No stalls (issue 11 item 3, issue 12 item 2): attached to a live session's
runtime (:meth:`DrumLiveApp.attach_runtime`), the slow verbs run off the clock
thread on the runtime's BackgroundJobs and are swapped in at a tick boundary:

* program: parsed and scheduled by the worker, switched at a tick; its
  ``bpm`` sets the clock's tempo; agents it needs are built and warmed up by
  the worker (seconds: TF import, network, tracing) and added when ready,
  and until then their instruments play as written;
* reset: fresh weights made by the worker (numpy), assigned at a tick;
* save: a snapshot at a tick (~1 ms per agent), written by the worker;
* load: read, checked (and missing agents built) by the worker, assigned at
  a tick.

A failure (a parse error with its line and column, a missing file) goes to
the runtime's error log and back to the sender (``/error`` over OSC); the old
program and agents keep playing.
"""

from typing import Callable, Dict

from drums import schedule
from drums import session as session_lib
from drums import session_output
from sonification import sinks as sinks_lib

# Sound controllers (MIDI 1.0 RP-021) for a synth note's cut, res, env.
SYNTH_CCS = {'cut': 74, 'res': 71, 'env': 72}
# synth -> MIDI channel (0-based): lead 0, bass 1, as in the session's MIDI.
SYNTH_CHANNELS = {name: i for i, name in
                  enumerate(session_output.SYNTH_PROGRAMS)}


def make_drum_session(program_text: str, **kwargs) -> session_lib.DrumSession:
  """Builds a drum session from program text (drums.session.from_program).

  Pass ``build_agents=False`` for a live clock (agents built off it).

  Raises:
    ValueError: on a program that does not parse (line, column, expected).
  """
  return session_lib.from_program(program_text, **kwargs)


class DrumLiveApp:
  """The drum app for LiveSession.

  Args:
    session: a drums.session.DrumSession (step(tick_index) -> TickRecord,
      synth_value, set_control and the verbs).
    sink: where notes, programs and CCs go.
    ticks_per_bar: the session's tick grid (8), to turn a synth note's
      length in bars into ticks.
    warm_up: build and trace the agents now (blocking), not on the clock's
      first tick. A live session with a runtime passes False and a session
      made with ``build_agents=False``: the runtime's worker builds them.
  """

  def __init__(self, session, sink: sinks_lib.Sink,
               ticks_per_bar: int = 8, warm_up: bool = True):
    self.session = session
    self.sink = sink
    self.ticks_per_bar = ticks_per_bar
    self.notes = sinks_lib.NoteScheduler(sink)
    self._programs_sent = False
    self._program = None  # The drum program the sinks last got.
    self._last_time_s = 0.0
    self._losses: Dict[str, list] = {}  # instrument -> this bar's losses.
    self.runtime = None
    self.program_text = None  # the text of the last program switched to.
    self.on_program = None  # on_program(prepared) after a switch (clock).
    self._building = set()  # instruments whose agent the worker builds.
    if warm_up and getattr(session, 'warm_up', None):
      session.warm_up()

  def attach_runtime(self, runtime) -> None:
    """Runs the slow verbs on ``runtime.jobs`` from now on (see module doc).

    Args:
      runtime: has ``jobs`` (sonification.jobs.BackgroundJobs),
        ``set_tempo(bpm)`` (or None) and ``error_reply()`` (the current
        command's ``/error`` reply).
    """
    self.runtime = runtime
    self._build_missing()

  def _build_missing(self) -> None:
    if getattr(self.session, 'build_agents', True):
      return
    for instrument in self.session.missing_agents():
      if instrument in self._building:
        continue
      self._building.add(instrument)
      self.runtime.jobs.submit(
          f'drums/agent/{instrument}',
          lambda i=instrument: self.session.new_agent(i),
          lambda agent, i=instrument: self._add_agent(i, agent),
          lambda text, i=instrument: self._building.discard(i))

  def _add_agent(self, instrument, agent) -> None:
    self._building.discard(instrument)
    self.session.add_agent(instrument, agent)

  def set_program(self, text: str) -> None:
    """Parses off the clock; switches (and sets the tempo) at a tick."""
    self.runtime.jobs.submit(
        'drums/program', lambda: self.session.prepare_program(text),
        lambda prepared: self._switch_program(prepared, text),
        self.runtime.error_reply())

  def _switch_program(self, prepared, text=None) -> None:
    if text is not None:
      self.program_text = text
    old_bpm = self.session.program.bpm
    self.session.apply_program(prepared)
    if prepared.program.bpm != old_bpm and self.runtime.set_tempo:
      self.runtime.set_tempo(prepared.program.bpm)
    self._build_missing()
    if self.on_program is not None:
      self.on_program(prepared)

  def reset(self) -> None:
    """Fresh weights made off the clock, assigned at a tick."""
    self.runtime.jobs.submit('drums/reset', self.session.fresh_weights,
                             self.session.reset, self.runtime.error_reply())

  def save(self, path: str) -> None:
    """The agents' state asked for now (queued after their ticks so far),
    collected and written off the clock."""
    arrays = self.session.snapshot_later()
    self.runtime.jobs.submit(
        'drums/save', lambda: session_lib.write_snapshot(path, arrays()),
        None, self.runtime.error_reply())

  def load(self, path: str) -> None:
    """Read and checked off the clock, assigned at a tick."""
    self.runtime.jobs.submit(
        'drums/load', lambda: self.session.prepare_load(path),
        self.session.apply_load, self.runtime.error_reply())

  @property
  def building(self) -> bool:
    """True while the worker builds an agent this program needs."""
    return bool(self._building)

  def recent_ticks(self, count: int = 8) -> list:
    """The last ``count`` ticks for a live pattern view (the studio): dicts
    with index, bar, tick, source, targets, modes, actions (the predicted
    hits) and losses, oldest first."""
    records = list(self.session.records)[-count:]
    return [dict(index=r.index, bar=r.bar, tick=r.tick, source=r.source,
                 targets=dict(r.targets), modes=dict(r.modes),
                 actions=dict(r.actions), losses=dict(r.losses))
            for r in records]

  def on_tick(self, tick) -> None:
    if not self._programs_sent:  # at the first tick's time, on its clock.
      self._programs_sent = True
      for synth, channel in SYNTH_CHANNELS.items():
        self.sink.program_change(session_output.SYNTH_PROGRAMS[synth],
                                 channel, tick.time_s)
    self._last_time_s = tick.time_s
    if self.session.program is not self._program:
      self._program = self.session.program
      self.sink.drum_program(self._program, tick.time_s)
    self.notes.advance(tick.index, tick.time_s)
    record = self.session.step(tick.index, ahead=False)
    self._play_statements(tick, record)
    for instrument, loss in record.losses.items():
      self._losses.setdefault(instrument, []).append(loss)
    for hit in record.hits:
      pitch = schedule.GM_DRUM_NOTES.get(hit.instrument)
      if pitch is not None:
        self.notes.play(tick.index, tick.time_s, pitch,
                        int(max(1, min(127, hit.velocity))),
                        sinks_lib.DRUM_CHANNEL)
    for note in record.notes:
      channel = SYNTH_CHANNELS[note.synth]
      for name, control in SYNTH_CCS.items():
        value = self.session.synth_value(getattr(note, name))  # 0-100.
        self.sink.control_change(control, _cc_value(value), channel,
                                 tick.time_s)
      length = max(1, int(round(note.duration * self.ticks_per_bar)))
      self.notes.play(tick.index, tick.time_s, note.pitch,
                      int(max(1, min(127, note.velocity))), channel, length)
    # The tick is out: now ask the agents for the next one (never waits).
    send_ahead = getattr(self.session, 'send_ahead', None)
    if send_ahead is not None:
      send_ahead()

  def _play_statements(self, tick, record) -> None:
    """Each hit and note by statement, at its written time in the tick."""
    tick_s = 60.0 / tick.bpm * schedule.BEATS_PER_BAR / self.ticks_per_bar
    bar_s = tick_s * self.ticks_per_bar
    for hit in record.hits:
      if hit.statement >= 0:
        offset = float(hit.phase) * self.ticks_per_bar - record.tick
        self.sink.statement_hit(hit.statement, tick.time_s,
                                max(0.0, offset) * tick_s)
    for note in record.notes:
      offset = float(note.phase) * self.ticks_per_bar - record.tick
      self.sink.statement_note(note.statement, note.pitch,
                               float(note.duration) * bar_s, tick.time_s,
                               max(0.0, offset) * tick_s)

  def _set_control(self, name: str, value: float) -> None:
    self.session.set_control(name, value)
    self.sink.control_input(name, float(value), self._last_time_s)

  def status(self) -> dict:
    """For the live display: modes and each agent's mean loss since the
    last call (the agents' learning curve, bar by bar)."""
    losses = {k: sum(v) / len(v) for k, v in self._losses.items() if v}
    self._losses = {}
    status = dict(modes=dict(self.session.modes), loss=losses)
    agent_stats = getattr(self.session, 'agent_stats', None)
    if agent_stats and agent_stats['late']:
      status['late_agent_steps'] = agent_stats['late']
    if self._building:
      status['building'] = ','.join(sorted(self._building))
    return status

  _SLOW_VERBS = ('program', 'reset', 'save', 'load')

  def handlers(self) -> Dict[str, Callable]:
    """Command name -> function; with a runtime the slow verbs go to its
    worker (attach_runtime is called before handlers by LiveSession)."""
    verbs = {'drums/mode': 'set_mode', 'drums/program': 'set_program',
             'drums/reset': 'reset', 'drums/save': 'save',
             'drums/load': 'load', 'drums/control': 'set_control'}
    handlers = {name: getattr(self.session, method)
                for name, method in verbs.items()}
    if self.runtime is not None:
      for verb in self._SLOW_VERBS:
        handlers[f'drums/{verb}'] = getattr(self, verbs[f'drums/{verb}'])
    handlers['drums/control'] = self._set_control
    return handlers

  def close(self) -> None:
    self.notes.all_off()
    close = getattr(self.session, 'close', None)
    if close:
      close()
    self.sink.close()


def _cc_value(value_0_100: float) -> int:
  """A synth value 0-100 as a 7-bit CC value: round(127 * v / 100)."""
  return sinks_lib.to_cc_value(float(value_0_100) / 100.0)
