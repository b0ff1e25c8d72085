"""The beat agent for any sequencer: OSC ticks in, predictions out.

The Interactive RL tutorial's point is that the agent learns from what the
user's own engine plays. A DAW, Tidal, Sema's default language, Max, Pure
Data or a ``python-osc``/``mido`` script drives one beat agent
(drums.beat_agent, SPEC.md section 2) without our language: each of its
ticks it sends

  ``/agent/tick SRC... TARGET``  source hit(s) 0/1 (any 1 counts, as the
  language's ``source`` statements together), then the target hit 0/1 while
  teaching or -1 for none (integers),

and gets back, from the same port, ``/agent/prediction ACTION TICK``: the
agent's action for this tick (1 play, 0 silence; -1 while the agent is
still being built or in mode off) and the tick in the bar. The prediction
is also played as a drum note (``instrument``, General MIDI) on the
session's sinks (MIDI out, OSC out, the sound card). The tick counter is the
bridge's own (8 per bar, from 0 at the first tick the agent answers;
``/agent/reset`` restarts it).

A MIDI sequencer instead plays notes: with ``clock_ticks`` (``live --agent
--agent_ticks=clock``, with ``--midi_clock`` to follow its clock) the source
and target notes, each a note on one channel (``--agent_source_channel``,
``--agent_source_note``, ``--agent_target_channel``, ``--agent_target_note``;
default kick 36 and snare 38 on channel 10; midi_control.agent_note_bindings),
are latched, and at each clock tick the agent steps on them (no target note
while learning is a 0); its predicted hits go out as notes on the sinks
(``--midi_port``) on their own channel (``--agent_out_channel``).

Modes and verbs as in a drum session: ``/agent/mode learn|predict|off``
(learn needs the target), ``/agent/reset``, ``/agent/save PATH``,
``/agent/load PATH``; meta-parameters with ``live --agent
--agent_hparams="structure=16/8,learning_rate=0.01,..."``. The agent lives
in a child process, built off the clock thread (drums.remote_beat_agent),
and pipelined (drums.agent_pipeline): the clock thread queues each step and
never waits on the child; the ``/agent/prediction`` reply goes out from the
agent's own thread the moment it answers (~2-3 ms), and the predicted hit
is played by the clock thread's next poll (between ticks, every ~10 ms).
Slow verbs run on the runtime's worker, as in sonification.drum_live.
"""

from typing import Callable, Dict, Optional

import numpy as np

from drums import npz_files
from drums import schedule
from sonification import sinks as sinks_lib

NOT_READY = -1


class AgentBridgeApp:
  """A LiveSession app: one beat agent driven by ``/agent/tick``.

  Args:
    make_agent: ``make_agent() -> agent`` (slow: runs on the worker).
    sink: where predicted hits are played.
    instrument: the predicted instrument's GM drum note (schedule).
    mode: the starting mode ('learn', 'predict', 'off').
    ticks_per_bar: the bridge's tick grid (8).
    clock_ticks: step the agent at each clock tick on the hits latched by
      ``agent/hit`` (MIDI) instead of on ``/agent/tick`` messages.
    out_channel: the MIDI channel (0-15, mido's numbering) the predicted
      hits go out on (default the General MIDI drum channel, 10 to users).

  Attributes:
    agent: the agent once built (None before).
    stats: 'ticks', 'predictions' (ticks answered by the agent),
      'not_ready' (ticks before it was built).
  """

  def __init__(self, make_agent: Callable[[], object],
               sink: Optional[sinks_lib.Sink] = None,
               instrument: str = 'snare', mode: str = 'learn',
               ticks_per_bar: int = 8, clock_ticks: bool = False,
               out_channel: int = sinks_lib.DRUM_CHANNEL):
    if not 0 <= out_channel <= 15:
      raise ValueError(f'out_channel must be a MIDI channel 0-15 (mido), got '
                       f'{out_channel!r}')
    self.out_channel = out_channel
    self._make_agent = make_agent
    self.sink = sink or sinks_lib.Sink()
    self.notes = sinks_lib.NoteScheduler(self.sink)
    self.pitch = schedule.GM_DRUM_NOTES[instrument]
    self.mode = mode
    self.ticks_per_bar = ticks_per_bar
    self.agent = None
    self.runtime = None
    self.step = 0
    self.clock_tick = None
    self.losses = []
    self.stats = dict(ticks=0, predictions=0, not_ready=0, dropped=0)
    self._sent = 0  # ticks queued on a pipelined agent.
    self.clock_ticks = clock_ticks
    self._latched = {'source': 0, 'target': 0}

  def attach_runtime(self, runtime) -> None:
    """Builds the agent on the runtime's worker (see module doc)."""
    self.runtime = runtime
    runtime.jobs.submit('agent/build', self._make_agent, self._set_agent)

  def _set_agent(self, agent) -> None:
    self.agent = agent

  def on_tick(self, tick) -> None:
    """Ends notes; with clock_ticks, steps on the latched hits."""
    self.clock_tick = tick
    self.notes.advance(tick.index, tick.time_s)
    self.poll()
    if self.clock_ticks:
      hits, self._latched = self._latched, {'source': 0, 'target': 0}
      target = hits['target'] if self.mode == 'learn' else -1
      self.agent_tick(hits['source'], target)

  def hit(self, kind: str) -> None:
    """Latches a 'source' or 'target' hit (a MIDI note) to the next tick."""
    if kind not in self._latched:
      raise ValueError(f'agent/hit: source or target, got {kind!r}')
    self._latched[kind] = 1

  def agent_tick(self, *hits: int) -> int:
    """One tick of the outside sequencer; the prediction (also sent back).

    With a pipelined agent (drums.agent_pipeline.PipelinedAgent, as ``live
    --agent`` builds it) the clock thread does not wait: the step is queued
    and the prediction is sent back when the agent answers (~2-3 ms later).

    Args:
      *hits: source hits (0/1), then the target (0/1, -1 none), as checked
        by osc_control.

    Returns:
      The action (1/0), or -1 before the agent is built or in mode off;
      None when a pipelined agent will answer later.

    Raises:
      ValueError: in mode learn without a target.
    """
    sources, target = hits[:-1], hits[-1]
    source = int(max(sources))
    step = self.step % self.ticks_per_bar
    if self.mode == 'learn' and target < 0:
      raise ValueError('/agent/tick: mode learn needs a target (0/1), got -1')
    action = NOT_READY
    self.stats['ticks'] += 1
    if self.agent is None:  # not counted: tick 0 is the agent's first.
      self.stats['not_ready'] += 1
      if self.runtime is not None:
        self.runtime.send_back('/agent/prediction', action, step)
      return action
    target = None if target < 0 else target
    if hasattr(self.agent, 'submit_tick'):  # drums.agent_pipeline.
      self._submit(step, source, target)
      self.step += 1
      return None
    result = self.agent.tick(step, source, target, self.mode)
    self.step += 1
    action = self._answered(result)
    if self.runtime is not None:
      self.runtime.send_back('/agent/prediction', action, step)
    return action

  def _answered(self, result) -> int:
    """Counts and plays one answer (clock thread); its action or -1."""
    action = NOT_READY
    if result.action is not None:
      action = int(result.action)
      self.stats['predictions'] += 1
    if result.loss is not None:
      self.losses.append(float(result.loss))
    if action == 1 and self.clock_tick is not None:
      self.notes.play(self.clock_tick.index, self.clock_tick.time_s,
                      self.pitch, 100, self.out_channel)
    return action

  def _submit(self, step: int, source: int, target) -> None:
    """Queues the step on a pipelined agent; the OSC reply goes out from its
    exchange thread the moment the agent answers, the hit is played by the
    clock thread's next :meth:`poll` (a few ms later)."""
    send = error = None
    if self.runtime is not None:
      send, error = self.runtime.reply_sender(), self.runtime.error_reply()

    def done(result, exception):
      if exception is not None:
        if error is not None:
          error(f'/agent/tick: {type(exception).__name__}: {exception}')
      elif send is not None:
        send('/agent/prediction',
             NOT_READY if result.action is None else int(result.action), step)

    index = self._sent
    self._sent += 1
    if not self.agent.submit_tick(index, step, source, target, self.mode,
                                  on_done=done):
      self.stats['dropped'] += 1
      if send is not None:
        send('/agent/prediction', NOT_READY, step)

  def poll(self) -> None:
    """Takes a pipelined agent's answers (never blocks; clock thread, at
    each tick and between ticks): counts, losses, predicted hits played."""
    if self.agent is None or not hasattr(self.agent, 'drain'):
      return
    for _, result, exception in self.agent.drain():
      if exception is not None:
        if self.runtime is not None:
          self.runtime.errors.report('agent/tick', f'{exception}')
        continue
      self._answered(result)

  def set_mode(self, mode: str) -> None:
    self.mode = mode

  def reset(self) -> None:
    """Fresh weights made off the clock, assigned at a tick; tick 0 next."""
    if self.agent is None:
      return
    agent = self.agent
    self.runtime.jobs.submit('agent/reset', agent.fresh_weights,
                             self._reset, self.runtime.error_reply())

  def _reset(self, weights) -> None:
    _call_soon(self.agent, 'reset', weights)
    self.step = 0
    self.losses = []

  def save(self, path: str) -> None:
    if self.agent is None:
      raise ValueError('/agent/save: the agent is still being built')
    if hasattr(self.agent, 'call_async'):  # asked now, after the ticks.
      future = self.agent.call_async('state_dict', want_result=True)
      arrays = lambda: future.result(120.0)
    else:
      state = self.agent.state_dict()
      arrays = lambda: state
    self.runtime.jobs.submit('agent/save',
                             lambda: npz_files.save_npz(path, arrays()), None,
                             self.runtime.error_reply())

  def load(self, path: str) -> None:
    if self.agent is None:
      raise ValueError('/agent/load: the agent is still being built')
    agent = self.agent

    def read():
      arrays = npz_files.load_npz(path, 'saved beat agent')
      agent.check_state_dict(arrays)
      return arrays

    self.runtime.jobs.submit(
        'agent/load', read,
        lambda arrays: _call_soon(agent, 'load_state_dict', arrays),
        self.runtime.error_reply())

  def handlers(self) -> Dict[str, Callable]:
    return {'agent/tick': self.agent_tick, 'agent/hit': self.hit,
            'agent/mode': self.set_mode,
            'agent/reset': self.reset, 'agent/save': self.save,
            'agent/load': self.load}

  def status(self) -> dict:
    status = dict(mode=self.mode, **self.stats)
    if self.losses:
      status['loss'] = float(np.mean(self.losses))
      self.losses = []
    if self.agent is None:
      status['building'] = 'agent'
    return status

  def close(self) -> None:
    self.notes.all_off()
    if self.agent is not None and hasattr(self.agent, 'close'):
      self.agent.close()
    self.sink.close()


def _call_soon(agent, method: str, *args) -> None:
  """``agent.method(*args)``, queued without waiting on a pipelined agent
  (its errors surface at a later poll)."""
  if hasattr(agent, 'call_async'):
    agent.call_async(method, *args)
  else:
    getattr(agent, method)(*args)
