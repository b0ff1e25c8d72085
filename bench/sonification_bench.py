r"""Tick jitter of the realtime clock while CARL learns and OSC floods in.

Lateness = the time a tick's callbacks start minus its deadline, measured on
time.monotonic. Each scenario runs the clock on the main thread with CARL's
hot path (numpy actor + OU noise -> a sink) and the OSC command drain as tick
callbacks; CARL's learner runs in its worker thread (one DDPG step requested
every tick, so it is busy most of the time), and the OSC server in its own
thread, fed by a separate sender process (a flood of valid and malformed
datagrams on loopback, bounded in count and time). The MIDI scenario adds a
thread that feeds MIDI in (midi_control) as mido's callback thread would:
CCs, notes and unmapped messages at --midi_rate_hz.

Run:
  PYTHONPATH=. .venv/bin/python bench/sonification_bench.py
  PYTHONPATH=. .venv/bin/python bench/sonification_bench.py --ticks=10000 \
      --period_ms=2 --slow_ticks=50 --switch_interval_ms=0.5

Target (issue 6): p99 < 2 ms over 10,000 ticks while learning.

The drum rows (issues 11 and 12) run a live drum session (LiveSession +
DrumLiveApp, beat agents in child processes) on the clock: the first
learn/predict program of the session sent live (its agent built and warmed
up off the clock while the written part plays), then program changes,
learn -> predict, resets, saves and loads every few ticks; and a loopback
flood of 20,000 mixed datagrams (resets, programs, loads, huge and
non-finite numbers, garbage). Target: p99 < 2 ms, max < 20 ms. The agents
are pipelined (drums/agent_pipeline.py); "tick done" is when a tick's last
callback returned (its notes are out), and a late agent step is one not
answered by its tick (the written part played).
"""

import multiprocessing
import os
import sys
import threading
import time

from absl import app
from absl import flags

from sonification.carl import carl_hparams
from sonification.carl import carl_remote
from sonification.carl import carl_session
from sonification import clock
from sonification import midi_control
from sonification import osc_control
from sonification import sinks

FLAGS = flags.FLAGS
flags.DEFINE_integer('ticks', 10_000, 'ticks per fast scenario')
flags.DEFINE_float('period_ms', 2.0, 'tick period of the fast scenarios, ms')
flags.DEFINE_integer('slow_ticks', 50, 'ticks of the real 150 bpm scenario '
                     '(200 ms each; 0 skips it)')
flags.DEFINE_integer('flood_messages', 20_000, 'datagrams in the OSC flood')
flags.DEFINE_float('flood_seconds', 10.0, 'the flood is spread over this')
flags.DEFINE_float('midi_rate_hz', 2000.0, 'MIDI messages per second in '
                   'the MIDI flood (a controller sends at most ~1000/s over '
                   '31.25 kbaud DIN)')
flags.DEFINE_list('learners', ['process', 'thread'], 'CARL learner kinds '
                  'to measure: process (carl_remote) and/or thread')
flags.DEFINE_bool('realtime', True, 'run the clock thread with SCHED_FIFO '
                  'priority (clock.try_realtime_priority)')
flags.DEFINE_integer('drum_ticks', 600, 'ticks of each drum row (75 ms '
                     'each; 0 skips them)')
flags.DEFINE_enum('carl_learner_algo', 'pref',
                  sorted(carl_hparams.LEARNERS), 'the CARL learner of the '
                  'CARL rows (live\'s default: pref)')
flags.DEFINE_string('carl_hparams', '', 'CarlHParams overrides "a=1,b=2" '
                    'for the CARL rows')
flags.DEFINE_float('switch_interval_ms', 0.5, 'sys.setswitchinterval for the '
                   'clock process (Python default 5 ms); 0 keeps the default')


def _flood(port: int, count: int, seconds: float) -> None:
  """Sender process: valid and malformed datagrams, paced over seconds."""
  import socket  # pylint: disable=g-import-not-at-top
  from pythonosc import udp_client  # pylint: disable=g-import-not-at-top
  client = udp_client.SimpleUDPClient('127.0.0.1', port)
  sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
  kinds = [
      lambda i: client.send_message('/carl/input', [i % 7 / 7, 0.5, 0.25]),
      lambda i: client.send_message('/carl/reward', [1.0 if i % 2 else -1.0]),
      lambda i: sock.sendto(b'\x00garbage' * (i % 5), ('127.0.0.1', port)),
      lambda i: client.send_message('/no/such/address', [i]),
      lambda i: client.send_message('/carl/noise', ['loud']),
      lambda i: client.send_message('/carl/reward', [1e30]),  # refused.
      lambda i: client.send_message('/carl/input', [3e38, float('nan'),
                                                    0.0]),  # refused.
      lambda i: client.send_message('/carl/randomise_critic', []),
  ]
  start = time.monotonic()
  for i in range(count):
    kinds[i % len(kinds)](i)
    due = start + seconds * (i + 1) / count
    delay = due - time.monotonic()
    if delay > 0:
      time.sleep(delay)


DRUM_PLAIN = 'bpm 400; source kick*2 3,3,2; snare*2+0.5; closedhat*4;'
DRUM_LEARN = 'bpm 400; source kick*2 3,3,2; learn snare*2+0.5; closedhat*4;'
DRUM_PREDICT = DRUM_LEARN.replace('learn', 'predict')


def _drum_flood(port: int, count: int, seconds: float, save_path: str) -> None:
  """Sender process: a mixed flood at a drum session (bounded)."""
  import socket  # pylint: disable=g-import-not-at-top
  from pythonosc import udp_client  # pylint: disable=g-import-not-at-top
  client = udp_client.SimpleUDPClient('127.0.0.1', port)
  sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
  kinds = [
      lambda i: client.send_message('/drums/reset', []),
      lambda i: client.send_message('/drums/mode', [
          'snare', 'predict' if i % 2 else 'learn']),
      lambda i: client.send_message('/tempo', [1e30]),  # refused.
      lambda i: client.send_message('/drums/control', ['mousex', 3e38]),
      lambda i: sock.sendto(b'#bundle\x00\xff' * (i % 7), ('127.0.0.1', port)),
      lambda i: client.send_message('/drums/program', [
          DRUM_LEARN if i % 3 else 'tom;']),
      lambda i: client.send_message('/drums/save', [save_path]),
      lambda i: client.send_message('/drums/load', [save_path]),
      lambda i: client.send_message('/drums/control', ['mousey', 0.5]),
      lambda i: client.send_message('/carl/reward', [float('inf')]),
  ]
  start = time.monotonic()
  for i in range(count):
    kinds[i % len(kinds)](i)
    delay = start + seconds * (i + 1) / count - time.monotonic()
    if delay > 0:
      time.sleep(delay)


def _drum_scenario(name: str, ticks: int, flood: bool) -> dict:
  """A live drum session at 400 bpm (75 ms ticks); see the module doc."""
  import tempfile  # pylint: disable=g-import-not-at-top
  from drums import beat_agent_hparams  # pylint: disable=g-import-not-at-top
  from drums import remote_beat_agent  # pylint: disable=g-import-not-at-top
  from sonification import drum_live  # pylint: disable=g-import-not-at-top
  from sonification import live_session  # pylint: disable=g-import-not-at-top
  session = drum_live.make_drum_session(
      DRUM_PLAIN, build_agents=False,
      agent_factory=remote_beat_agent.remote_agent_factory(
          beat_agent_hparams.BeatAgentHParams()))
  app_ = drum_live.DrumLiveApp(session, sinks.Sink(), warm_up=False)
  server = osc_control.OscControlServer(port=0)
  ck = clock.Clock(bpm=400.0)
  live = live_session.LiveSession(app_, ck, {'osc': server})
  save_path = os.path.join(tempfile.mkdtemp(prefix='drum_bench_'), 'agents')
  script = {}  # tick -> (command, args): the program changes of the row.
  if not flood:
    script[10] = ('drums/program', (DRUM_LEARN,))
    for k in range(1, 1000):
      at = 10 + 40 * k
      script[at] = [('drums/program', (DRUM_PREDICT,)),
                    ('drums/program', (DRUM_LEARN,)),
                    ('drums/reset', ()), ('drums/save', (save_path,)),
                    ('drums/load', (save_path,)),
                    ('drums/program', (DRUM_PLAIN,))][k % 6]
  ready = []

  def on_tick(tick):
    if tick.index in script:
      command, args = script[tick.index]
      live.submit(command, *args)
    if not ready and 'snare' in session.agents:
      ready.append(tick.index)

  ck.add_callback(on_tick)
  sender = None
  if flood:
    live.submit('drums/program', DRUM_LEARN)
    sender = multiprocessing.Process(
        target=_drum_flood, args=(server.port, FLAGS.flood_messages,
                                  min(FLAGS.flood_seconds, ticks * 0.075),
                                  save_path))
  t0 = time.monotonic()
  if sender:
    sender.start()
  stats = live.run(num_ticks=ticks)
  wall = time.monotonic() - t0
  if sender is not None:
    sender.join(30.0)
  s = stats['jitter_ms']
  d = stats['done_ms']
  a = session.agent_stats
  return dict(name=name, ticks=s['count'], period_ms=75.0, p50=s['p50_ms'],
              p99=s['p99_ms'], max=s['max_ms'], wall=wall,
              opt=(f'agent ready at tick {ready[0] if ready else "never"}; '
                   f'tick done p99 {d["p99_ms"]:.2f} / max {d["max_ms"]:.2f} '
                   f'ms; late agent steps {a["late"]} of {a["steps"]}'),
              osc=server.stats['datagrams'], bad=server.malformed,
              midi=0, midi_unmapped=0,
              tf_loaded='tensorflow' in sys.modules,
              handled=stats['router']['handled'],
              errors=sum(stats['errors'].values()),
              jobs=stats['jobs']['committed'])


def _midi_flood(midi, seconds: float, rate_hz: float, stop) -> None:
  """Feeds MIDI messages to midi.on_message at rate_hz until seconds/stop."""
  import mido  # pylint: disable=g-import-not-at-top
  kinds = [
      lambda i: mido.Message('control_change', control=1, value=i % 128),
      lambda i: mido.Message('control_change', control=2, value=(3 * i) % 128),
      lambda i: mido.Message('note_on', note=60 if i % 2 else 62,
                             velocity=100),
      lambda i: mido.Message('pitchwheel', pitch=i % 8000),  # unmapped.
      lambda i: mido.Message('control_change', control=99, value=1),
  ]
  start = time.monotonic()
  count = int(seconds * rate_hz)
  for i in range(count):
    if stop.is_set():
      return
    midi.on_message(kinds[i % len(kinds)](i))
    delay = start + (i + 1) / rate_hz - time.monotonic()
    if delay > 0:
      time.sleep(delay)


def _scenario(name, ticks, period_s, learn, flood, hp, learner='process',
              midi_flood=False):
  if learner == 'process':
    agent = carl_remote.RemoteAgent(hp)
  else:  # TF in this process: the thread rows run last (see main).
    from sonification.carl import carl_agent  # pylint: disable=g-import-not-at-top
    agent = carl_agent.make_agent(hp)
  session = carl_session.CarlSession(agent, sink=sinks.Sink())  # discard.
  for _ in range(hp.memory_size):
    session.reward(1.0)
  session.set_optimise_every(1 if learn else hp.optimise_every_max)
  server = osc_control.OscControlServer(port=0).start()
  router = osc_control.CommandRouter(session.handlers())
  bpm = 60.0 * 4 / 8 / period_s
  ck = clock.Clock(bpm=bpm)
  ck.add_callback(lambda tick: router.drain(server.commands))
  midi = midi_control.MidiControlInput(
      midi_control.default_midi_map(hp.input_size),
      optimise_every_max=hp.optimise_every_max)
  ck.add_callback(lambda tick: router.drain(midi.commands))
  ck.add_callback(session.on_tick)
  session.start()
  # Warm up: the first train step traces the tf.function.
  session.on_tick(clock.Tick(0, 0, 1, 0.125, 0, 0, bpm))
  session.wait_idle(60.0)
  sender = None
  if flood:
    sender = multiprocessing.Process(
        target=_flood, args=(server.port, FLAGS.flood_messages,
                             min(FLAGS.flood_seconds, ticks * period_s)))
    sender.start()
  midi_stop = threading.Event()
  midi_thread = None
  if midi_flood:
    # The flood moves inputs x, y (CC 1, 2) and likes/dislikes (notes 60,
    # 62); it leaves optimise_every (CC 15) alone, so learning goes on.
    midi_thread = threading.Thread(
        target=_midi_flood, args=(midi, min(FLAGS.flood_seconds,
                                            ticks * period_s),
                                  FLAGS.midi_rate_hz, midi_stop))
    midi_thread.start()
  optimisations = session.optimisations
  t0 = time.monotonic()
  ck.run(num_ticks=ticks)
  wall = time.monotonic() - t0
  if sender is not None:
    sender.join(30.0)
  if midi_thread is not None:
    midi_stop.set()
    midi_thread.join(30.0)
  session.close(save=False)
  if learner == 'process':
    agent.close()
  server.close()
  s = ck.jitter.summary()
  return dict(name=f'{name} [{learner}]', ticks=s['count'], period_ms=period_s * 1e3,
              p50=s['p50_ms'], p99=s['p99_ms'], max=s['max_ms'],
              wall=wall, opt=session.optimisations - optimisations,
              osc=server.stats['datagrams'], bad=server.malformed,
              midi=midi.stats['messages'], midi_unmapped=midi.stats['unmapped'],
              tf_loaded='tensorflow' in sys.modules,
              handled=router.stats['handled'])


def main(argv):
  del argv
  if FLAGS.switch_interval_ms > 0:
    sys.setswitchinterval(FLAGS.switch_interval_ms / 1e3)
  realtime = FLAGS.realtime and clock.try_realtime_priority()
  hp = carl_hparams.CarlHParams.for_learner(FLAGS.carl_learner_algo,
                                           FLAGS.carl_hparams, seed=0)
  fast = FLAGS.period_ms / 1e3
  # The child-process learner keeps TF out of this (the clock's) process;
  # the thread learner imports TF here, so its rows run after all others.
  learners = sorted(FLAGS.learners, key=lambda kind: kind == 'thread')
  rows = []
  if FLAGS.drum_ticks:
    rows += [
        _drum_scenario('drums 400 bpm: first learn program sent live, then '
                       'predict/learn/reset/save/load/plain every 40 ticks',
                       FLAGS.drum_ticks, flood=False),
        _drum_scenario('drums 400 bpm: learning + 20,000-datagram mixed '
                       'OSC flood (resets, programs, loads, huge numbers)',
                       FLAGS.drum_ticks, flood=True),
    ]
  if FLAGS.ticks:
    rows += [_scenario('idle (no learning)', FLAGS.ticks, fast, False, False,
                       hp, learners[0])]
  for i, learner in enumerate(learners if FLAGS.ticks else []):
    rows += [
        _scenario('CARL learning', FLAGS.ticks, fast, True, False, hp,
                  learner),
        _scenario('CARL learning + OSC flood', FLAGS.ticks, fast, True, True,
                  hp, learner),
    ]
    if i == 0:
      rows.append(_scenario('CARL learning + OSC and MIDI floods',
                            FLAGS.ticks, fast, True, True, hp, learner,
                            midi_flood=True))
      if FLAGS.slow_ticks:
        rows.append(_scenario('150 bpm, learning + flood', FLAGS.slow_ticks,
                              0.2, True, True, hp, learner))
  print(f'switch interval {sys.getswitchinterval() * 1e3:.2f} ms, '
        f'real-time clock thread: {realtime}')
  print('| scenario | TF in clock process | ticks | period ms | p50 ms | '
        'p99 ms | max ms | '
        'DDPG steps (drums: agent ready) | OSC datagrams (malformed) | '
        'MIDI messages (unmapped) | '
        'commands run |')
  print('|---|---|---|---|---|---|---|---|---|---|---|')
  for r in rows:
    print(f"| {r['name']} | {'yes' if r['tf_loaded'] else 'no'} | "
          f"{r['ticks']} | {r['period_ms']:.1f} | "
          f"{r['p50']:.3f} | {r['p99']:.3f} | {r['max']:.3f} | {r['opt']} | "
          f"{r['osc']} ({r['bad']}) | {r['midi']} ({r['midi_unmapped']}) | "
          f"{r['handled']} |")


if __name__ == '__main__':
  app.run(main)
