"""A drum session: plays a program tick by tick and drives the beat agents.

The clock is 8 ticks per bar. At each tick the session looks up the bar's
schedule (drums.schedule; hits between ticks are latched to their tick), feeds
each ``learn``/``predict`` instrument's agent the source hit (all ``source``
statements together) and, when learning, the written target hit, and returns
what to play:

  * plain and ``source`` statements play as written;
  * ``learn``: the written pattern is still heard while the agent learns;
  * ``predict``: the agent's action replaces the written pattern;
  * mode ``off`` (set_mode): the agent is ignored, the pattern plays as written.

There is one agent per target instrument. A new program (set_program) keeps
what each instrument's agent has learned (so ``learn`` can become
``predict``); :meth:`DrumSession.reset` forgets it, and a new session starts
from fresh agents.

The clock here is simulated (ticks are iterations); sonification/drum_live.py
drives the same API from the realtime clock:

  * ``on_tick(tick_index) -> [(instrument, velocity)]`` (drums to play now);
  * ``step(tick_index) -> TickRecord`` (everything, including synth notes,
    losses and predictions);
  * verbs ``set_mode``, ``set_program``, ``set_control``, ``reset``, ``save``,
    ``load`` and the ``bpm`` attribute.

This module imports no TensorFlow itself: agents are built on first need by
``agent_factory`` (default: drums.beat_agent.BeatAgent, which imports TF), so a
program without ``learn``/``predict`` never loads TF.
"""

import collections
import dataclasses
import fractions
from typing import Callable, Deque, Dict, List, Optional, Tuple, Union

import numpy as np

from drums import beat_agent_hparams
from drums import language
from drums import npz_files
from drums import schedule
from rl_tuner import file_errors

Fraction = fractions.Fraction
AGENT_ROLES = ('learn', 'predict')


@dataclasses.dataclass(frozen=True)
class PlayedHit:
  """A drum hit the session played: instrument, loudness, exact bar phase,
  and the index of the statement whose effect chain it goes through."""
  instrument: str
  velocity: int
  phase: Fraction
  predicted: bool = False  # True when the agent chose it (mode predict).
  statement: int = -1  # Index in Program.statements (-1: none).


@dataclasses.dataclass(frozen=True)
class TickRecord:
  """What happened at one tick.

  Attributes:
    index: ticks since the session started.
    bar: bar number; tick: tick in the bar.
    source: latched source hit (0/1).
    targets: instrument -> written hit (0/1) of learn/predict statements.
    modes: instrument -> mode ('learn', 'predict', 'off').
    actions: instrument -> the agent's action (0/1) (absent when 'off').
    losses: instrument -> loss of the learning step (absent if none).
    hits: drum hits played, PlayedHit.
    notes: synth notes starting in this tick, schedule.SynthNote.
  """
  index: int
  bar: int
  tick: int
  source: int
  targets: Dict[str, int]
  modes: Dict[str, str]
  actions: Dict[str, int]
  losses: Dict[str, float]
  hits: Tuple[PlayedHit, ...]
  notes: Tuple[schedule.SynthNote, ...]


def default_agent_factory(hparams: beat_agent_hparams.BeatAgentHParams
                          ) -> Callable[[str], object]:
  """A factory building one BeatAgent per instrument (imports TF lazily)."""

  def make(instrument: str):
    from drums import beat_agent  # pylint: disable=g-import-not-at-top
    seed = hparams.seed + language.DRUM_INSTRUMENTS.index(instrument)
    return beat_agent.BeatAgent(dataclasses.replace(hparams, seed=seed))

  return make


class DrumSession:
  """Plays a program over the tick clock with beat agents.

  Args:
    program: program text or a parsed language.Program.
    hparams: beat agent hyperparameters (ticks_per_bar sets the grid).
    agent_factory: instrument -> agent with ``tick(tick, source, target,
      mode)``, ``reset()``, ``state_dict()``, ``load_state_dict()``; default
      BeatAgent.
    max_records: keep only the last this many TickRecords (None: all; a long
      live session should bound it).
    build_agents: True builds an agent the first time its instrument needs
      one (simulated clock). False (a live clock): agents arrive through
      :meth:`add_agent`, built off the clock thread with :meth:`new_agent`;
      until then the instrument plays as written (as in mode 'off').

  Raises:
    language.ParseError: if the program text does not parse.
  """

  def __init__(self, program: Union[str, language.Program],
               hparams: beat_agent_hparams.BeatAgentHParams = (
                   beat_agent_hparams.BeatAgentHParams()),
               agent_factory: Optional[Callable[[str], object]] = None,
               max_records: Optional[int] = None,
               build_agents: bool = True):
    self.hparams = hparams
    self.build_agents = build_agents
    self.ticks_per_bar = hparams.ticks_per_bar
    self._agent_factory = agent_factory or default_agent_factory(hparams)
    self.agents: Dict[str, object] = {}
    self.controls = {name: 0.5 for name in language.MOUSE_CONTROLS}
    self.records: Deque[TickRecord] = collections.deque(maxlen=max_records)
    # Pipelined agents: ticks taken, late (asked ahead, no answer in time),
    # not_ahead (a new agent's first tick: asked at its tick, so late).
    self.agent_stats = dict(steps=0, late=0, not_ahead=0)
    self._next_index = 0
    self._next_bar = None
    self._load_program(program)

  # --- program and verbs ---

  def _load_program(self, program):
    self.apply_program(self.prepare_program(program))

  def prepare_program(self, program: Union[str, language.Program]
                      ) -> 'PreparedProgram':
    """Parses and schedules a program without switching to it.

    Touches no session state, so a live session runs it off the clock
    thread and switches with :meth:`apply_program` at a tick boundary.

    Raises:
      language.ParseError: if the text does not parse (line, column).
    """
    if isinstance(program, str):
      program = language.parse(program)
    modes = {}
    for statement in program.drums():
      if statement.role in AGENT_ROLES:
        modes[statement.instrument] = statement.role
    return PreparedProgram(program, schedule.ProgramSchedule(
        program, self.ticks_per_bar), modes)

  def apply_program(self, prepared: 'PreparedProgram') -> None:
    """Switches to a prepared program (fast: three references)."""
    self.program = prepared.program
    self.schedule = prepared.schedule
    self._modes = dict(prepared.modes)

  def missing_agents(self) -> List[str]:
    """Instruments whose mode needs an agent that is not built yet."""
    return [i for i in self._modes if i not in self.agents]

  def new_agent(self, instrument: str):
    """Builds and warms up an agent for ``instrument`` without adding it.

    Slow (imports TF, builds and traces the network: seconds); a live
    session calls it off the clock thread, then :meth:`add_agent`.
    """
    agent = self._agent_factory(instrument)
    if hasattr(agent, 'warm_up'):
      agent.warm_up()
    return agent

  def add_agent(self, instrument: str, agent) -> None:
    """Adds an agent built by :meth:`new_agent` (an existing one is kept
    and the new one closed)."""
    if instrument in self.agents:
      if hasattr(agent, 'close'):
        agent.close()
      return
    self.agents[instrument] = agent

  def close(self) -> None:
    """Closes agents that hold resources (child processes)."""
    for agent in self.agents.values():
      if hasattr(agent, 'close'):
        agent.close()

  @property
  def bpm(self) -> float:
    """Tempo of the current program (quarter notes per minute)."""
    return self.program.bpm

  def set_program(self, text: str) -> None:
    """Switches to a new program at the next tick; agents keep their learning.

    Modes come from the new program's prefixes (set_mode overrides end).

    Raises:
      language.ParseError: the old program keeps playing.
    """
    self._load_program(text)

  def set_mode(self, instrument: str, mode: str) -> None:
    """Sets an agent instrument to 'learn', 'predict' or 'off'.

    Raises:
      ValueError: on an unknown mode, or an instrument that has no
        learn/predict statement in the program.
    """
    if mode not in beat_agent_hparams.MODES:
      raise ValueError(f'set_mode: unknown mode {mode!r}; expected one of '
                       f'{list(beat_agent_hparams.MODES)}')
    if instrument not in self._modes:
      raise ValueError(f'set_mode: {instrument!r} has no learn/predict '
                       f'statement in the program; agents: '
                       f'{sorted(self._modes)}')
    self._modes[instrument] = mode

  @property
  def modes(self) -> Dict[str, str]:
    """Agent instrument -> current mode."""
    return dict(self._modes)

  def set_control(self, name: str, value: float) -> None:
    """Sets a 0-1 control input ('mousex', 'mousey') that synths can follow.

    Raises:
      ValueError: on an unknown name or a value outside [0, 1].
    """
    if name not in self.controls or not 0.0 <= value <= 1.0:
      raise ValueError(f'set_control: need a name in {sorted(self.controls)} '
                       f'and a value in [0, 1], got {name!r}={value!r}')
    self.controls[name] = float(value)

  def agent(self, instrument: str):
    """The agent of an instrument (built on first use)."""
    if instrument not in self.agents:
      self.agents[instrument] = self._agent_factory(instrument)
    return self.agents[instrument]

  def warm_up(self) -> None:
    """Builds and traces the agents the program needs (before a live clock).

    Imports TensorFlow (when the program has learn/predict statements) so a
    realtime clock's first tick does not.
    """
    for instrument in self._modes:
      agent = self.agent(instrument)
      if hasattr(agent, 'warm_up'):
        agent.warm_up()

  def reset(self, weights: Optional[Dict[str, list]] = None) -> None:
    """Resets every agent (fresh weights, empty replay memory).

    Args:
      weights: instrument -> :meth:`fresh_weights` made off the clock thread
        (agents without an entry make their own).
    """
    weights = weights or {}
    for instrument, agent in self.agents.items():
      if instrument in weights:
        _call_soon(agent, 'reset', weights[instrument])
      else:
        _call_soon(agent, 'reset')

  def fresh_weights(self) -> Dict[str, list]:
    """instrument -> new random weights for :meth:`reset` (numpy; agents
    with a ``fresh_weights`` method only). Safe off the clock thread."""
    return {instrument: agent.fresh_weights()
            for instrument, agent in list(self.agents.items())
            if hasattr(agent, 'fresh_weights')}

  def snapshot(self) -> Dict[str, np.ndarray]:
    """Every agent's model and replay memory as named arrays (~1 ms per
    agent), written by :func:`write_snapshot`. Waits on pipelined agents:
    on a clock thread use :meth:`snapshot_later`."""
    return self.snapshot_later()()

  def snapshot_later(self) -> Callable[[], Dict[str, np.ndarray]]:
    """Asks every agent for its state now (never blocks on a pipelined
    agent: the request is queued after its ticks so far); returns
    ``collect()``, which waits for the answers (on a worker thread) and
    returns the arrays of :meth:`snapshot`."""
    parts = {}
    for instrument, agent in self.agents.items():
      if hasattr(agent, 'call_async'):
        parts[instrument] = agent.call_async('state_dict', want_result=True)
      else:
        parts[instrument] = agent.state_dict()
    instruments = np.array(sorted(self.agents))

    def collect() -> Dict[str, np.ndarray]:
      arrays = {}
      for instrument, part in parts.items():
        if hasattr(part, 'result'):
          part = part.result(120.0)
        for name, value in part.items():
          arrays[f'{instrument}/{name}'] = value
      arrays['instruments'] = instruments
      return arrays

    return collect

  def save(self, path: str) -> str:
    """Saves every agent's model and replay memory in one .npz (atomic)."""
    return write_snapshot(path, self.snapshot())

  def prepare_load(self, path: str) -> Dict[str, tuple]:
    """Reads and checks a file written by :meth:`save` (off the clock).

    Builds (with :meth:`new_agent`) the agents the file has and the session
    lacks.

    Returns:
      instrument -> (new agent or None, that agent's arrays).

    Raises:
      FileNotFoundError: naming the path.
      file_errors.CorruptFileError: (a ValueError) naming the path if the
        file is not a saved session or does not fit.
    """
    try:
      return self._prepare_load(path)
    except FileNotFoundError:
      raise
    except (KeyError, ValueError, IndexError, TypeError) as e:
      if isinstance(e, file_errors.CorruptFileError):
        raise
      raise file_errors.CorruptFileError(
          path, f'not a saved drum session ({file_errors.describe(e)})') from e

  def _prepare_load(self, path: str) -> Dict[str, tuple]:
    arrays = npz_files.load_npz(path)
    if 'instruments' not in arrays:
      raise ValueError(f'{path}: not a saved drum session (no instruments)')
    prepared = {}
    for instrument in arrays['instruments']:
      instrument = str(instrument)
      if instrument not in language.DRUM_INSTRUMENTS:
        raise ValueError(f'{path}: unknown instrument {instrument!r}')
      prefix = f'{instrument}/'
      mine = {k[len(prefix):]: v for k, v in arrays.items()
              if k.startswith(prefix)}
      agent = self.agents.get(instrument)
      new = None
      if agent is None:
        agent = new = self.new_agent(instrument)
      if hasattr(agent, 'check_state_dict'):
        agent.check_state_dict(mine)
      prepared[instrument] = (new, mine)
    return prepared

  def apply_load(self, prepared: Dict[str, tuple]) -> None:
    """Loads what :meth:`prepare_load` read (clock thread, ~1 ms/agent)."""
    for instrument, (new, arrays) in prepared.items():
      if new is not None:
        self.add_agent(instrument, new)
      _call_soon(self.agents[instrument], 'load_state_dict', arrays)

  def load(self, path: str) -> None:
    """Loads agents saved by :meth:`save` (building them as needed).

    Raises:
      FileNotFoundError: naming the path.
      file_errors.CorruptFileError: (a ValueError) naming the path and what
        is wrong: unreadable, not saved by :meth:`save`, or saved for agents
        of another size.
    """
    self.apply_load(self.prepare_load(path))

  # --- the clock ---

  def step(self, tick_index: Optional[int] = None,
           bar: Optional[int] = None, ahead: bool = True) -> TickRecord:
    """Plays one tick and records it.

    An agent with ``submit_tick`` (drums.agent_pipeline.PipelinedAgent) is
    never waited for: its answer for this tick was asked for at the end of
    the previous tick (:meth:`send_ahead`) and is taken if it is there; if
    not, the tick is late (``agent_stats['late']``) and the instrument plays
    as written (mode 'off' in the record). Other agents are stepped in place.

    Args:
      tick_index: ticks since the start (default: the tick after the last).
      bar: the bar number, if the caller counts bars itself (default
        ``tick_index // ticks_per_bar``).
      ahead: queue the next tick's step on pipelined agents at the end
        (:meth:`send_ahead`).

    Returns:
      The TickRecord (also appended to ``records``).
    """
    if tick_index is None:
      tick_index = self._next_index
    self._next_index = tick_index + 1
    tick = tick_index % self.ticks_per_bar
    if bar is None:
      bar = tick_index // self.ticks_per_bar
    bar_schedule = self.schedule.bar(bar)
    source = bar_schedule.source_grid()[tick]
    hits_now = bar_schedule.hits_at(tick)
    targets, actions, losses = {}, {}, {}
    modes = dict(self._modes)
    for instrument, mode in modes.items():
      target = bar_schedule.grid(instrument, AGENT_ROLES)[tick]
      targets[instrument] = target
      if self.build_agents:
        agent = self.agent(instrument)
      else:
        agent = self.agents.get(instrument)
        if agent is None:  # Not built yet: the written part plays.
          modes[instrument] = 'off'
          continue
      if hasattr(agent, 'submit_tick'):  # drums.agent_pipeline: no wait.
        result, late = self._take(agent, tick_index, tick, source, target,
                                  mode)
        late_losses = [r.loss for r in late if r.loss is not None]
        if late_losses:  # steps learned from but not played: still plotted.
          losses[instrument] = sum(late_losses) / len(late_losses)
        if result is None:  # Late: the written part plays.
          modes[instrument] = 'off'
          continue
      else:
        result = agent.tick(tick, source, target, mode)
      if result.action is not None:
        actions[instrument] = result.action
      if result.loss is not None:
        losses[instrument] = result.loss
    played = self._played(hits_now, modes, actions, tick)
    record = TickRecord(tick_index, bar, tick, source, targets, modes, actions,
                        losses, played, bar_schedule.notes_at(tick))
    self.records.append(record)
    self._next_bar = bar + (1 if tick + 1 == self.ticks_per_bar else 0)
    if ahead:
      self.send_ahead()
    return record

  def _take(self, agent, tick_index, tick, source, target, mode):
    """A pipelined agent's answer for this tick, or None (late)."""
    if not agent.in_flight(tick_index):  # A new agent: nothing sent ahead.
      self.agent_stats['not_ahead'] += 1
      agent.submit_tick(tick_index, tick, source, target, mode)
      result, late = agent.take_tick(tick_index)
      return result, late
    result, late = agent.take_tick(tick_index)
    self.agent_stats['steps'] += 1
    if result is None:
      self.agent_stats['late'] += 1
    return result, late

  def send_ahead(self) -> None:
    """Queues the next tick's step on every pipelined agent
    (drums.agent_pipeline.PipelinedAgent; never blocks): its written source
    and target are known now, so the agent works while the clock waits and
    the next :meth:`step` finds the answer there. Called by :meth:`step`
    unless ``ahead=False`` (the live app calls it after playing the tick)."""
    index = self._next_index
    tick = index % self.ticks_per_bar
    bar = (self._next_bar if self._next_bar is not None
           else index // self.ticks_per_bar)
    bar_schedule = None
    for instrument, mode in self._modes.items():
      agent = self.agents.get(instrument)
      if (agent is None or not hasattr(agent, 'submit_tick') or
          agent.in_flight(index)):
        continue
      if bar_schedule is None:
        bar_schedule = self.schedule.bar(bar)
        source = bar_schedule.source_grid()[tick]
      target = bar_schedule.grid(instrument, AGENT_ROLES)[tick]
      agent.submit_tick(index, tick, source, target, mode)

  def _played(self, hits_now, modes, actions, tick) -> Tuple[PlayedHit, ...]:
    """Written hits (minus predicted instruments) plus the agents' hits."""
    agent_statements = {}
    played = {}
    velocities = {}
    for hit in hits_now:
      velocities.setdefault(hit.instrument, hit.velocity)
      if hit.role in AGENT_ROLES:
        agent_statements.setdefault(hit.instrument, hit.statement)
      if hit.role in AGENT_ROLES and modes.get(hit.instrument) == 'predict':
        continue
      if hit.instrument not in played:  # Latched: one hit per tick.
        played[hit.instrument] = PlayedHit(hit.instrument, hit.velocity,
                                           hit.phase, statement=hit.statement)
    for instrument, mode in modes.items():
      if mode == 'predict' and actions.get(instrument):
        velocity = velocities.get(instrument, self._velocity(instrument))
        played[instrument] = PlayedHit(
            instrument, velocity, Fraction(tick, self.ticks_per_bar),
            predicted=True, statement=agent_statements.get(
                instrument, self._agent_statement(instrument)))
    return tuple(played.values())

  def _agent_statement(self, instrument) -> int:
    """Index of the learn/predict statement of ``instrument`` (-1: none)."""
    for i, statement in enumerate(self.program.statements):
      if (isinstance(statement, language.DrumStatement) and
          statement.instrument == instrument and
          statement.role in AGENT_ROLES):
        return i
    return -1

  def _velocity(self, instrument):
    for statement in self.program.drums():
      if statement.instrument == instrument and statement.role in AGENT_ROLES:
        return schedule.velocity_of(statement.effects)
    return schedule.DEFAULT_VELOCITY

  def on_tick(self, tick_index: int, bar: Optional[int] = None
              ) -> List[Tuple[str, int]]:
    """Plays one tick; the drums to sound now as (instrument, velocity)."""
    return [(h.instrument, h.velocity) for h in self.step(tick_index, bar).hits]

  def synth_value(self, value: language.SynthValue) -> float:
    """A synth parameter 0-100, following a control for 'mousex'/'mousey'."""
    if isinstance(value, str):
      return 100.0 * self.controls[value]
    return float(value)

  def run(self, bars: int) -> List[TickRecord]:
    """Plays ``bars`` bars from the current position; their records."""
    return [self.step() for _ in range(bars * self.ticks_per_bar)]


def _call_soon(agent, method: str, *args) -> None:
  """``agent.method(*args)``; queued without waiting on a pipelined agent
  (drums.agent_pipeline: in order after its ticks, errors raised at a later
  tick)."""
  if hasattr(agent, 'call_async'):
    agent.call_async(method, *args)
  else:
    getattr(agent, method)(*args)


@dataclasses.dataclass(frozen=True)
class PreparedProgram:
  """A parsed and scheduled program (DrumSession.prepare_program)."""
  program: language.Program
  schedule: schedule.ProgramSchedule
  modes: Dict[str, str]


def write_snapshot(path: str, arrays: Dict[str, np.ndarray]) -> str:
  """Writes DrumSession.snapshot() arrays to one .npz atomically; the path
  (.npz added if missing). No TF."""
  return npz_files.save_npz(path, arrays)


LIVE_MAX_RECORDS = 1024  # 128 bars: enough for a live display, bounded.


def from_program(program_text: str, **kwargs) -> DrumSession:
  """A DrumSession for program text (the realtime adapter's entry point).

  Keeps only the last LIVE_MAX_RECORDS tick records unless ``max_records``
  is given.
  """
  kwargs.setdefault('max_records', LIVE_MAX_RECORDS)
  return DrumSession(program_text, **kwargs)
