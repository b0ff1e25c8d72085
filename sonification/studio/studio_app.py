"""The studio's live app: a drum session and CARL, each on its own clock.

:class:`StudioApp` is a ``LiveSession`` app (sonification/live_session.py:
``on_tick``, ``handlers``, ``attach_runtime``, ``close``) around a
sonification.drum_live.DrumLiveApp, plus an optional CARL session
(sonification/carl/carl_session.py) that runs at its own control rate
(:meth:`carl_tick`, driven by a second clock; issue 11 item 4). Every verb
arrives as an osc_control.Command drained by the clock thread, so the studio
page, OSC and MIDI drive the session the same way.

No agent is built, reset, loaded or imported on the clock thread, and no
TensorFlow is imported in the clock's process: everything slow goes through
the live runtime (sonification/jobs.py BackgroundJobs; the default agents are
drums/remote_beat_agent.py child processes) and is swapped in at a tick
boundary, exactly as ``live --program`` does (DrumLiveApp's own verbs are
reused). Until an agent is ready its instrument plays as written.

After each tick the clock thread publishes a snapshot (:meth:`snapshot`):
the bar's source, target and predicted hits per tick, what each statement of
the program played per tick (``plays``), the playing tick, the mean loss per
bar, modes, tempo, the 0-1 control inputs the synths follow (``controls``:
``cut_mousex`` and the like) and CARL's rewards, memory and losses. The
web server reads it from another thread; a snapshot is never mutated after
it is published.

Verbs beyond drum_live's and CARL's: ``hush`` (stop all sound until the next
program), ``drums/hparams`` (meta-parameters "a=1,b=2"; a fresh session with
new agents, built off the clock), ``studio/export PATH`` and
``studio/import PATH`` (a whole session as JSON,
sonification/studio/studio_store.py; written and read off the clock).
"""

import collections
import os
import queue
import tempfile
import threading
from typing import Callable, Dict, Optional

from drums import beat_agent_hparams
from drums import session as session_lib
from sonification import drum_live
from sonification.studio import studio_store

LOSS_BARS = 64  # bars of loss history kept for the plot.
AgentFactoryFn = Callable[[beat_agent_hparams.BeatAgentHParams],
                          Callable[[str], object]]
_DRUM_VERBS = ('drums/mode', 'drums/program', 'drums/reset', 'drums/save',
               'drums/load', 'drums/control')


def remote_factory_fn(hparams: beat_agent_hparams.BeatAgentHParams,
                      pipelined: bool = True):
  """hparams -> (instrument -> RemoteBeatAgent): agents in child processes
  (drums/remote_beat_agent.py), so the clock's process never imports TF;
  pipelined (drums/agent_pipeline.py), so the clock never waits on them."""
  from drums import remote_beat_agent  # pylint: disable=g-import-not-at-top
  return remote_beat_agent.remote_agent_factory(hparams, pipelined)


class StudioApp:
  """A drum program and an optional CARL session for the studio.

  Call :meth:`attach_runtime` (LiveSession does) before any verb: the
  agents of the first program are built by the runtime's worker then.

  Args:
    program_text: the first program (Rubber Gosling language).
    sink: where notes, programs and CCs go (a sinks.Sink).
    carl: a started carl_session.CarlSession, or None. It is stepped by
      :meth:`carl_tick` (its own clock), never by the drum clock.
    hparams: the beat agents' meta-parameters.
    agent_factory_fn: hparams -> (instrument -> agent); default
      :func:`remote_factory_fn` (TF agents in child processes). Tests pass
      fakes.

  Raises:
    language.ParseError: if program_text does not parse.
  """

  def __init__(self, program_text: str, sink, carl=None,
               hparams: beat_agent_hparams.BeatAgentHParams = (
                   beat_agent_hparams.BeatAgentHParams()),
               agent_factory_fn: Optional[AgentFactoryFn] = None):
    self.sink = sink
    self.carl = carl
    self.runtime = None
    self._factory_fn = agent_factory_fn or remote_factory_fn
    self._carl_calls = queue.SimpleQueue()  # (function, args) for CARL.
    self._carl_clock = None
    self._carl_thread = None
    self.hushed = False
    self.build_errors = collections.deque(maxlen=3)  # failed slow jobs.
    self.program_text = program_text
    self.hparams = hparams
    self.drums = self._make_drums(self._make_session(program_text, hparams))
    self._retired_agent_stats: Dict[str, int] = {}  # sessions replaced.
    self._loss_history: Dict[str, collections.deque] = {}
    self._bar_losses: Dict[str, list] = {}
    self._bar = None
    self._pattern = self._empty_pattern()
    self._plays_program = None  # the program self._plays is for.
    self._plays = []
    self._snapshot = self._make_snapshot(None)

  # ----------------------------------------------------------- building --

  def _make_session(self, program_text, hparams):
    """A drum session without agents (fast: parse and schedule)."""
    return drum_live.make_drum_session(
        program_text, hparams=hparams, build_agents=False,
        agent_factory=self._factory_fn(hparams))

  def _make_drums(self, session) -> drum_live.DrumLiveApp:
    drums = drum_live.DrumLiveApp(session, self.sink, session.ticks_per_bar,
                                  warm_up=False)
    drums.on_program = self._programmed
    return drums

  def attach_runtime(self, runtime) -> None:
    """Slow verbs go to ``runtime.jobs`` (sonification.live_session.Runtime);
    the first program's agents start building now."""
    self.runtime = runtime
    report = runtime.errors.report

    def report_and_keep(kind: str, message: str) -> bool:
      if kind.startswith('job/'):  # failed builds, loads, imports: shown.
        self.build_errors.append(message)
      return report(kind, message)

    runtime.errors.report = report_and_keep
    self.drums.attach_runtime(runtime)

  def _programmed(self, prepared) -> None:
    """DrumLiveApp switched to a new program (clock thread). The program's
    ``bpm`` (default 120) becomes the tempo even when it equals the last
    program's (DrumLiveApp sets it only on a change): a tempo set on the
    page since gives way to the evaluated program, as the page says."""
    self.hushed = False
    self.program_text = self.drums.program_text
    if self.runtime is not None and self.runtime.set_tempo is not None:
      self.runtime.set_tempo(float(prepared.program.bpm))

  def _swap_drums(self, session, hparams) -> None:
    """Clock thread: a new session (agents built or to be built) replaces
    the old one, whose agents are closed off the clock."""
    old = self.drums
    old.notes.all_off()
    for name, value in old.session.controls.items():  # the mouse stays.
      session.set_control(name, value)
    for key, value in old.session.agent_stats.items():
      self._retired_agent_stats[key] = (
          self._retired_agent_stats.get(key, 0) + value)
    self.drums = self._make_drums(session)
    self.hparams = hparams
    self._pattern = self._empty_pattern()
    if self.runtime.set_tempo is not None:
      self.runtime.set_tempo(float(session.bpm))
    self.drums.attach_runtime(self.runtime)  # builds what it still lacks.
    # The old session's agents are closed off the clock once every job
    # submitted before now has committed (the worker and the commits keep
    # submission order), so an agent still being built for it is closed too.
    jobs = self.runtime.jobs
    jobs.submit('drums/retire', lambda: None,
                lambda _: jobs.submit('drums/close', old.session.close))

  @property
  def agent_stats(self) -> Dict[str, int]:
    """The beat agents' steps over the whole run (replaced sessions too):
    'steps' taken at their tick, 'late' (asked for ahead, not answered in
    time: the written part played), 'not_ahead' (a new agent's first tick);
    drums.session.DrumSession.agent_stats."""
    stats = dict(self.drums.session.agent_stats)
    for key, value in self._retired_agent_stats.items():
      stats[key] = stats.get(key, 0) + value
    return stats

  @property
  def building(self) -> bool:
    """True while agents are being built in the background."""
    return self.drums.building

  # -------------------------------------------------------------- verbs --

  def set_program(self, text: str) -> None:
    """Runs a new program (DrumLiveApp.set_program: parsed off the clock,
    switched at a tick; agents it lacks built off the clock while their
    instruments play as written). Ends a hush at the switch. A parse error
    goes to the sender; the old program keeps playing."""
    self.drums.set_program(text)

  def set_hparams(self, overrides: str) -> None:
    """New meta-parameters ("a=1,b=2" over the defaults): a fresh session
    and agents (built off the clock), modes kept.

    Raises:
      ValueError: naming a bad field or value.
    """
    hparams = beat_agent_hparams.parse_hparams(overrides)
    if hparams.ticks_per_bar != self.hparams.ticks_per_bar:
      raise ValueError(f'drums/hparams: ticks_per_bar is fixed at '
                       f'{self.hparams.ticks_per_bar}')
    text = self.program_text
    modes = self.drums.session.modes

    def commit(session):
      _restore_modes(session, modes)
      self._swap_drums(session, hparams)

    self.runtime.jobs.submit(
        'drums/hparams', lambda: self._make_session(text, hparams), commit,
        self.runtime.error_reply())

  def hush(self) -> None:
    """Stops all sound (notes off, drums and CARL silent) until a program."""
    self.hushed = True
    self.drums.notes.all_off()
    for sink in getattr(self.sink, 'sinks', [self.sink]):
      all_off = getattr(sink, 'all_off', None)
      if all_off is not None:  # an audio engine: ringing sounds stop too.
        all_off()

  def export_session(self, path: str) -> None:
    """Writes the whole session (program, settings, agents) as JSON: the
    agents' arrays are asked for now (queued after their ticks so far),
    collected and written off the clock."""
    arrays = (self.drums.session.snapshot_later()
              if self.drums.session.agents else None)
    text, settings = self.program_text, self.settings()

    def work():
      with tempfile.TemporaryDirectory() as tmp:
        agents_path = None
        if arrays:
          agents_path = session_lib.write_snapshot(
              os.path.join(tmp, 'agents.npz'), arrays())
        return studio_store.write_session(path, text, settings, agents_path)

    self.runtime.jobs.submit('studio/export', work, None,
                             self.runtime.error_reply())

  def import_session(self, path: str) -> None:
    """Loads a session written by :meth:`export_session`: read, built and
    loaded off the clock, swapped in at a tick. A malformed file
    (studio_store.SessionError) goes to the sender; nothing changes."""

    def work():
      data = studio_store.read_session(path)
      settings = data['settings']
      hparams = beat_agent_hparams.parse_hparams(
          studio_store.hparams_overrides(settings['hparams']))
      session = self._make_session(data['program'], hparams)
      with tempfile.TemporaryDirectory() as tmp:
        agents_path = studio_store.extract_agents(data, tmp)
        if agents_path:
          session.load(agents_path)  # builds (child processes) and loads.
      return data, hparams, session

    def commit(result):
      data, hparams, session = result
      settings = data['settings']
      _restore_modes(session, settings.get('modes', {}))
      self._swap_drums(session, hparams)
      self.program_text = data['program']
      self.hushed = False
      if self.runtime.set_tempo is not None:
        self.runtime.set_tempo(float(settings.get('bpm', session.bpm)))
      carl = settings.get('carl')
      if self.carl is not None and carl:
        self._carl_calls.put((self.carl.set_reward_scale,
                              (carl['reward_scale'],)))
        self._carl_calls.put((self.carl.set_optimise_every,
                              (carl['optimise_every'],)))
        self._carl_calls.put((self.carl.set_noise, (carl['noise'],)))

    self.runtime.jobs.submit('studio/import', work, commit,
                             self.runtime.error_reply())

  def settings(self) -> dict:
    """Tempo, meta-parameters, modes and CARL's settings (JSON-able)."""
    carl = None
    if self.carl is not None:
      carl = dict(reward_scale=self.carl.reward_scale,
                  optimise_every=self.carl.optimise_every,
                  noise=self.carl.noise.sigma)
    return dict(bpm=self._snapshot.get('bpm') or self.drums.session.bpm,
                hparams=studio_store.hparams_to_json(self.hparams),
                modes=self.drums.session.modes, carl=carl)

  def handlers(self) -> Dict[str, Callable]:
    """Command name -> function (osc_control.ADDRESS_TABLE names). The drum
    verbs are the current DrumLiveApp's (it is replaced by hparams and
    import); CARL's run on CARL's clock thread (:meth:`carl_tick`)."""
    verbs = {name: (lambda *args, name=name:
                    self.drums.handlers()[name](*args))
             for name in _DRUM_VERBS}
    verbs.update({
        'drums/program': self.set_program,
        'drums/hparams': self.set_hparams,
        'hush': self.hush,
        'studio/export': self.export_session,
        'studio/import': self.import_session,
    })
    if self.carl is not None:
      for name, function in self.carl.handlers().items():
        verbs[name] = (lambda *args, function=function:
                       self._carl_calls.put((function, args)))
    return verbs

  # ------------------------------------------------------------- clocks --

  def carl_tick(self, tick) -> None:
    """One tick of CARL's own clock (its control rate): its queued verbs,
    then a step unless hushed."""
    while True:
      try:
        function, args = self._carl_calls.get_nowait()
      except queue.Empty:
        break
      try:
        function(*args)
      except (TypeError, ValueError) as e:
        if self.runtime is not None:
          self.runtime.errors.report('carl/command', f'{e}')
    if not self.hushed:
      self.carl.on_tick(tick)

  def on_tick(self, tick) -> None:
    """One drum clock tick: play, publish a snapshot."""
    record = None
    if not self.hushed:
      self.drums.on_tick(tick)
      record = self.drums.session.records[-1]
    self._publish(tick, record)

  def _empty_pattern(self) -> dict:
    n = self.hparams.ticks_per_bar
    return dict(source=[0] * n, target={}, predicted={})

  def _publish(self, tick, record) -> None:
    """Updates the pattern and loss history; publishes a new snapshot."""
    if tick.bar != self._bar:
      for instrument, losses in self._bar_losses.items():
        if losses:
          self._loss_history.setdefault(
              instrument, collections.deque(maxlen=LOSS_BARS)).append(
                  (self._bar, sum(losses) / len(losses)))
      self._bar_losses = {}
      self._bar = tick.bar
    if record is not None:
      step = record.tick
      n = len(self._pattern['source'])
      pattern = dict(source=list(self._pattern['source']), target={},
                     predicted={})
      pattern['source'][step] = int(record.source)
      for instrument, target in record.targets.items():
        row = list(self._pattern['target'].get(instrument, [0] * n))
        row[step] = int(target)
        pattern['target'][instrument] = row
        row = list(self._pattern['predicted'].get(instrument, [0] * n))
        row[step] = int(record.actions.get(instrument) or 0)
        pattern['predicted'][instrument] = row
      self._pattern = pattern
      self._update_plays(record)
      for instrument, loss in record.losses.items():
        self._bar_losses.setdefault(instrument, []).append(float(loss))
    self._snapshot = self._make_snapshot(tick)

  def _update_plays(self, record) -> None:
    """What each statement played at ``record``'s tick (a new list of rows;
    rows start empty when the program changes)."""
    program = self.drums.session.program
    n = len(self._pattern['source'])
    if program is not self._plays_program:
      self._plays_program = program
      self._plays = [dict(line=st.line, name=st.instrument, hits=[0] * n)
                     for st in program.statements]
    played = {hit.statement for hit in record.hits if hit.statement >= 0}
    played.update(note.statement for note in record.notes
                  if note.statement >= 0)
    rows = []
    for i, row in enumerate(self._plays):
      hits = list(row['hits'])
      hits[record.tick] = int(i in played)
      rows.append(dict(row, hits=hits))
    self._plays = rows

  def _make_snapshot(self, tick) -> dict:
    carl = None
    if self.carl is not None:
      status = self.carl.status()
      carl = dict(memory=status.pop('memory'), rewards=status.pop('rewards'),
                  optimisations=status.pop('optimisations'),
                  losses={k: float(v) for k, v in status.items()},
                  reward_scale=self.carl.reward_scale,
                  optimise_every=self.carl.optimise_every,
                  noise=float(self.carl.noise.sigma),
                  input=[float(x) for x in self.carl.input],
                  params=[float(x) for x in self.carl.last_action])
    return dict(
        tick=None if tick is None else tick.index,
        bar=None if tick is None else tick.bar,
        step=None if tick is None else tick.step,
        bpm=None if tick is None else float(tick.bpm),
        hushed=self.hushed, building=self.building,
        build_errors=list(self.build_errors),
        modes=self.drums.session.modes,
        pattern=self._pattern, plays=self._plays,
        controls=dict(self.drums.session.controls),
        loss={k: [list(p) for p in v] for k, v in
              self._loss_history.items()},
        hparams=studio_store.hparams_to_json(self.hparams),
        program=self.program_text, carl=carl)

  def snapshot(self) -> dict:
    """The last published state (read from any thread; never mutated)."""
    return self._snapshot

  def run_carl(self, clock) -> None:
    """Starts ``clock`` (CARL's own, e.g. 50 ticks a second) in a thread,
    calling :meth:`carl_tick`; :meth:`close` stops it."""
    clock.add_callback(self.carl_tick)
    self._carl_clock = clock
    self._carl_thread = threading.Thread(target=clock.run, name='carl-clock',
                                         daemon=True)
    self._carl_thread.start()

  def close(self) -> None:
    """Stops CARL's clock, closes CARL, then notes off, the agents (child
    processes) and the sink."""
    if self._carl_clock is not None:
      self._carl_clock.stop()
      self._carl_thread.join(timeout=10.0)
      self._carl_clock = None
    if self.carl is not None:
      self.carl.close()
    self.drums.close()


def _restore_modes(session, modes: Dict[str, str]) -> None:
  for instrument, mode in modes.items():
    if instrument in session.modes:
      session.set_mode(instrument, mode)
