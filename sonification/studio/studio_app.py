"""The studio's live app: a drum session and CARL on one clock.

:class:`StudioApp` is a ``LiveSession`` app (sonification/live_session.py:
``on_tick``, ``handlers``, ``close``) that runs a drum program
(sonification/drum_live.py) and, optionally, a CARL session
(sonification/carl/carl_session.py) on the same clock. Every verb arrives as
an osc_control.Command drained by the clock thread, so the studio page, OSC
and MIDI drive the session the same way.

Agents are never built on the clock thread: a program that needs a new beat
agent, new meta-parameters (``drums/hparams``) and a session import build
and warm up the agents in a worker thread; the clock keeps playing the old
program meanwhile, and the result is swapped in at the next tick boundary.

After each tick the clock thread publishes a snapshot (:meth:`snapshot`):
the bar's source, target and predicted hits per tick, the playing tick, the
mean loss per bar, modes, tempo and CARL's rewards, memory and losses. The
web server reads it from another thread; a snapshot is never mutated after
it is published.

Verbs beyond drum_live's and CARL's: ``hush`` (stop all sound until the next
program), ``drums/hparams`` (meta-parameters "a=1,b=2"; resets the agents),
``studio/export PATH`` and ``studio/import PATH`` (a whole session as JSON,
sonification/studio/studio_store.py).
"""

import collections
import logging
import os
import tempfile
import threading
from typing import Callable, Dict, Optional

from drums import beat_agent_hparams
from drums import language
from drums import session as session_lib
from sonification import drum_live
from sonification.studio import studio_store

LOSS_BARS = 64  # bars of loss history kept for the plot.
AgentFactoryFn = Callable[[beat_agent_hparams.BeatAgentHParams],
                          Callable[[str], object]]


class StudioApp:
  """A drum program and an optional CARL session on one clock.

  Args:
    program_text: the first program (Rubber Gosling language).
    sink: where notes, programs and CCs go (a sinks.Sink).
    carl: a started carl_session.CarlSession, or None.
    hparams: the beat agents' meta-parameters.
    agent_factory_fn: hparams -> (instrument -> agent); default
      drums.session.default_agent_factory (TF BeatAgents). Tests pass fakes.
    set_bpm: called with a program's bpm when it is applied (the clock's
      set_bpm), or None.
    background: build agents in a worker thread (False: at once, for
      deterministic tests).

  Raises:
    language.ParseError: if program_text does not parse.
  """

  def __init__(self, program_text: str, sink, carl=None,
               hparams: beat_agent_hparams.BeatAgentHParams = (
                   beat_agent_hparams.BeatAgentHParams()),
               agent_factory_fn: Optional[AgentFactoryFn] = None,
               set_bpm: Optional[Callable[[float], None]] = None,
               background: bool = True):
    self.sink = sink
    self.carl = carl
    self.set_bpm = set_bpm
    self._factory_fn = agent_factory_fn or session_lib.default_agent_factory
    self._background = background
    self._lock = threading.Lock()  # guards _pending and _generation.
    self._pending = None  # a callable run by the clock thread at a tick.
    self._generation = 0
    self._building = 0
    self.build_errors = []
    self.hushed = False
    self.program_text = program_text
    self.hparams = hparams
    self.drums = self._make_drums(program_text, hparams)
    self._loss_history: Dict[str, collections.deque] = {}
    self._bar_losses: Dict[str, list] = {}
    self._bar = None
    self._pattern = self._empty_pattern()
    self._snapshot = self._make_snapshot(None)

  # ----------------------------------------------------------- building --

  def _make_drums(self, program, hparams) -> drum_live.DrumLiveApp:
    """A warmed-up DrumLiveApp (builds agents: call off the clock thread)."""
    session = drum_live.make_drum_session(
        program, hparams=hparams, agent_factory=self._factory_fn(hparams))
    return drum_live.DrumLiveApp(session, self.sink, session.ticks_per_bar)

  def _build(self, work: Callable[[], Callable[[], None]]) -> None:
    """Runs ``work`` (off the clock) and swaps its result in at a tick.

    ``work()`` returns the install function the clock thread calls; a later
    build supersedes an earlier one that has not been installed.
    """
    with self._lock:
      self._generation += 1
      generation = self._generation
      self._building += 1

    def run():
      try:
        install = work()
      except Exception as e:  # pylint: disable=broad-except
        logging.exception('studio: building agents failed')
        self.build_errors.append(str(e))
        install = None
      with self._lock:
        self._building -= 1
        if install is not None and generation == self._generation:
          self._pending = install

    if self._background:
      threading.Thread(target=run, name='studio-build', daemon=True).start()
    else:
      run()
      self._install_pending()

  def _cancel_builds(self) -> None:
    with self._lock:
      self._generation += 1
      self._pending = None

  def _install_pending(self) -> None:
    with self._lock:
      install, self._pending = self._pending, None
    if install is not None:
      install()

  def _swap_drums(self, new_drums, program_text, hparams) -> None:
    self.drums.notes.all_off()
    self.drums = new_drums
    self.program_text = program_text
    self.hparams = hparams
    self._pattern = self._empty_pattern()
    self._apply_bpm(new_drums.session.bpm)

  def _apply_bpm(self, bpm: float) -> None:
    if self.set_bpm is not None:
      self.set_bpm(float(bpm))

  @property
  def building(self) -> bool:
    """True while agents are being built in the background."""
    return self._building > 0

  # -------------------------------------------------------------- verbs --

  def set_program(self, text: str) -> None:
    """Runs a new program; agents it lacks are built off the clock first.

    Ends a hush. The written part of the old program plays until the new
    agents are ready. The program's bpm becomes the clock's tempo.

    Raises:
      language.ParseError: the old program keeps playing.
    """
    program = language.parse(text)
    self.hushed = False
    session = self.drums.session
    missing = sorted({s.instrument for s in program.drums()
                      if s.role in session_lib.AGENT_ROLES} -
                     set(session.agents))
    if not missing:
      self._cancel_builds()  # a slower, older program must not land later.
      session.set_program(program)
      self.program_text = text
      self._apply_bpm(program.bpm)
      return
    factory = self._factory_fn(self.hparams)

    def work():
      agents = {}
      for instrument in missing:
        agents[instrument] = factory(instrument)
        if hasattr(agents[instrument], 'warm_up'):
          agents[instrument].warm_up()

      def install():
        for instrument, agent in agents.items():
          session.agents.setdefault(instrument, agent)
        session.set_program(program)
        self.program_text = text
        self._apply_bpm(program.bpm)
      return install

    self._build(work)

  def set_hparams(self, overrides: str) -> None:
    """New meta-parameters ("a=1,b=2" over the defaults); fresh agents.

    Raises:
      ValueError: naming a bad field or value.
    """
    hparams = beat_agent_hparams.parse_hparams(overrides)
    if hparams.ticks_per_bar != self.hparams.ticks_per_bar:
      raise ValueError(f'drums/hparams: ticks_per_bar is fixed at '
                       f'{self.hparams.ticks_per_bar}')
    text = self.program_text
    modes = self.drums.session.modes

    def work():
      new_drums = self._make_drums(text, hparams)
      return lambda: (self._swap_drums(new_drums, text, hparams),
                      _restore_modes(new_drums.session, modes))

    self._build(work)

  def hush(self) -> None:
    """Stops all sound (notes off, drums and CARL silent) until a program."""
    self.hushed = True
    self.drums.notes.all_off()
    for sink in getattr(self.sink, 'sinks', [self.sink]):
      all_off = getattr(sink, 'all_off', None)
      if all_off is not None:  # the audio engine: ringing sounds stop too.
        all_off()

  def export_session(self, path: str) -> str:
    """Writes the whole session (program, settings, agents) as JSON."""
    with tempfile.TemporaryDirectory() as tmp:
      agents_path = None
      if self.drums.session.agents:
        agents_path = self.drums.session.save(os.path.join(tmp, 'agents'))
      return studio_store.write_session(
          path, self.program_text, self.settings(), agents_path)

  def import_session(self, path: str) -> None:
    """Loads a session written by :meth:`export_session` (off the clock).

    Raises:
      studio_store.SessionError: on a malformed file (nothing changes).
    """
    data = studio_store.read_session(path)
    text = data['program']
    language.parse(text)  # a ParseError names line and column.
    settings = data['settings']
    hparams = beat_agent_hparams.parse_hparams(
        studio_store.hparams_overrides(settings['hparams']))

    def work():
      new_drums = self._make_drums(text, hparams)
      with tempfile.TemporaryDirectory() as tmp:
        agents_path = studio_store.extract_agents(data, tmp)
        if agents_path:
          new_drums.session.load(agents_path)

      def install():
        self._swap_drums(new_drums, text, hparams)
        self.hushed = False
        _restore_modes(new_drums.session, settings.get('modes', {}))
        self._apply_bpm(settings.get('bpm', new_drums.session.bpm))
        carl = settings.get('carl')
        if self.carl is not None and carl:
          self.carl.set_reward_scale(carl['reward_scale'])
          self.carl.set_optimise_every(carl['optimise_every'])
          self.carl.set_noise(carl['noise'])
      return install

    self._build(work)

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
    """Command name -> function (osc_control.ADDRESS_TABLE names)."""
    verbs = {
        'drums/mode': lambda i, m: self.drums.session.set_mode(i, m),
        'drums/program': self.set_program,
        'drums/reset': lambda: self.drums.session.reset(),
        'drums/save': lambda path: self.drums.session.save(path),
        'drums/load': lambda path: self.drums.session.load(path),
        'drums/control': lambda n, v: self.drums.session.set_control(n, v),
        'drums/hparams': self.set_hparams,
        'hush': self.hush,
        'studio/export': self.export_session,
        'studio/import': self.import_session,
    }
    if self.carl is not None:
      verbs.update(self.carl.handlers())
    return verbs

  # ------------------------------------------------------------- clock --

  def on_tick(self, tick) -> None:
    """One clock tick: swap in built agents, play, publish a snapshot."""
    self._install_pending()
    record = None
    if not self.hushed:
      self.drums.on_tick(tick)
      record = self.drums.session.records[-1]
      if self.carl is not None:
        self.carl.on_tick(tick)
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
      for instrument, loss in record.losses.items():
        self._bar_losses.setdefault(instrument, []).append(float(loss))
    self._snapshot = self._make_snapshot(tick)

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
        build_errors=list(self.build_errors[-3:]),
        modes=self.drums.session.modes,
        pattern=self._pattern,
        loss={k: [list(p) for p in v] for k, v in
              self._loss_history.items()},
        hparams=studio_store.hparams_to_json(self.hparams),
        program=self.program_text, carl=carl)

  def snapshot(self) -> dict:
    """The last published state (read from any thread; never mutated)."""
    return self._snapshot

  def close(self) -> None:
    self.drums.close()  # notes off, closes the sink.
    if self.carl is not None:
      self.carl.close()


def _restore_modes(session, modes: Dict[str, str]) -> None:
  for instrument, mode in modes.items():
    if instrument in session.modes:
      session.set_mode(instrument, mode)
