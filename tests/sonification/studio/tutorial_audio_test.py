"""Both Sema tutorials through the studio, every change heard.

Each step of the Rubber Gosling tutorials (parts 1-2: drums, effects, tempo,
synths with cut/res/env and the mouse) and of the Interactive RL tutorial
(learn -> predict -> off, meta-parameters, save/load of agents) goes in the
way the page sends it: ``StudioServer.handle`` (the ``/ws`` messages of
static/studio.js: ``eval``, ``osc``, ``hparams``, ``save_agent``,
``load_agent``), the command queue, ``LiveSession`` on the studio's clock,
``StudioApp`` and the audio engine's ``EngineSink`` in realtime mode on the
``BrowserOutput`` the page hears (as studio_main wires them). The clock runs
on fake time whose sleeps render the stream (what the studio's pump thread
does in real time), so the audio is deterministic and its frames map
exactly to the clock: tick time t sounds at frame ``t * SR + latency``.

Agents are scripted (no TF): an agent plays a fixed pattern of ticks that it
keeps in its state (saved and loaded with it), so "predict" must be heard as
exactly that pattern.
"""

import asyncio
import collections
import os

import numpy as np
from absl.testing import absltest
from tornado import testing

from drums import language
from sonification import clock as clock_lib
from sonification import live_session
from sonification import sinks
from sonification.audio import engine as engine_lib
from sonification.audio import engine_sink
from sonification.studio import audio_blocks
from sonification.studio import studio_app
from sonification.studio import studio_server
from sonification.studio import studio_store
from tests.sonification.audio import audio_measures as am

SR = 16000  # Hz: small and fast; the snare's sample needs > 12 kHz.
LATENCY_S = 0.001  # EngineSink latency: events land this long after "now".
# Frames from a tick's time to its sound: the latency and the limiter's
# look-ahead delay.
ALIGN = int(round(LATENCY_S * SR)) + engine_lib.Limiter(SR).window - 1
Result = collections.namedtuple('Result', 'action reward loss q_values')
WHOLE = ('bpm 132;\n'
         '// the agent listens to the kick and learns the snare\n'
         'source kick*2 3,3,2;\n'
         'learn snare*2+0.5;\n'
         'closedhat*4 1,1,2 (amp:0.6, hpf:5000);\n')


class ScriptedAgent:
  """Plays the ticks of its ``pattern`` (state, saved and loaded); a
  learning tick's loss is 0.5."""

  def __init__(self, pattern):
    self.state = {'pattern': np.array(pattern, np.int64)}

  def tick(self, tick, source, target, mode):
    del source, target
    if mode == 'off':
      return Result(None, None, None, None)
    action = int(self.state['pattern'][tick % 8])
    return Result(action, None, 0.5 if mode == 'learn' else None, None)

  def reset(self, weights=None):
    del weights

  def state_dict(self):
    return dict(self.state)

  def check_state_dict(self, arrays):
    if 'pattern' not in arrays:
      raise ValueError('no pattern')

  def load_state_dict(self, arrays):
    self.state = {'pattern': np.array(arrays['pattern'])}

  def close(self):
    pass


class AudioTime(clock_lib.FakeTime):
  """Fake time whose sleeps render the browser stream up to "now" (the
  studio's pump thread, in step with the clock)."""

  def __init__(self, output):
    super().__init__()
    self.output = output
    self.blocks = []
    self.frames = 0

  def sleep(self, seconds):
    super().sleep(seconds)
    frames = int(round(self.now * SR)) - self.frames
    if frames > 0:
      self.blocks.append(self.output.render(frames)[:, 0])
      self.frames += frames


class Studio:
  """A studio as studio_main wires it, on fake time, with scripted agents.

  Args:
    program: the first program.
    patterns: each new agent's pattern, in build order (the last repeats).
    store_dir: saved programs and agents.
  """

  def __init__(self, program, patterns, store_dir):
    self.engine = engine_lib.Engine(sample_rate=SR, block_size=256)
    self.audio = engine_sink.EngineSink(
        self.engine, open_output=audio_blocks.open_browser_output,
        latency_s=LATENCY_S)
    self.time = AudioTime(self.audio.output)
    self.clock = clock_lib.Clock(
        bpm=language.parse(program).bpm, time_fn=self.time.time,
        sleep_fn=self.time.sleep, max_sleep_s=0.05)
    self.built = []  # (instrument, hparams) of every agent built.
    patterns = list(patterns)

    def factory_fn(hparams):
      def make(instrument):
        self.built.append((instrument, hparams))
        return ScriptedAgent(patterns[min(len(self.built), len(patterns)) - 1])
      return make

    self.app = studio_app.StudioApp(program, sinks.MultiSink([self.audio]),
                                    agent_factory_fn=factory_fn)
    self.control = studio_server.StudioInput()
    self.live = live_session.LiveSession(self.app, self.clock,
                                         {'studio': self.control},
                                         threaded_jobs=False)
    self.server = studio_server.StudioServer(
        self.app, self.control, studio_store.Store(store_dir), token='t')
    self.tick_times = {}  # tick index -> time (s).
    self.clock.add_callback(
        lambda tick: self.tick_times.setdefault(tick.index, tick.time_s))

  def play(self, bars):
    """Runs ``bars`` bars from a bar's first tick.

    Returns:
      mono float ``[frames]``: what was heard of those bars, aligned so that
      frame 0 is the first tick's sound (its time + the sink's latency +
      the limiter's delay); it ends at the next bar's first tick (the last
      ``ALIGN`` frames of the bars are not in it).
    """
    first = self.clock.next_index
    assert first % 8 == 0, first
    self.clock.run(num_ticks=8 * bars)
    # Render on to the next tick's deadline (the clock stays on time).
    end_s = self.clock.deadline_s(self.clock.next_index)
    self.time.sleep(end_s - self.time.now)
    audio = np.concatenate(self.time.blocks)
    start = int(round(self.tick_times[first] * SR)) + ALIGN
    return audio[start:int(round(end_s * SR))]

  def close(self):
    self.server.close()
    self.live.close()


def bar_phases(audio, bpm, bars):
  """Onset phases in the bar (0-1) of a latency-aligned recording."""
  bar_s = 4 * 60.0 / bpm
  times = am.onsets(audio, SR)
  return [round(float(t / bar_s) % 1.0 * 48) / 48 for t in times
          if t / bar_s < bars]


def tick_levels(audio, bpm, length_s=0.04):
  """Peak of the first ``length_s`` of each of the 8 ticks of one bar of
  an aligned recording (Studio.play)."""
  tick = int(round(60.0 / bpm * 4 / 8 * SR))
  n = int(length_s * SR)
  return [float(np.max(np.abs(audio[i * tick:i * tick + n])))
          for i in range(8)]


class TutorialAudioTest(testing.AsyncTestCase):

  def setUp(self):
    super().setUp()
    self.studio = None

  def tearDown(self):
    if self.studio is not None:
      self.studio.close()
    super().tearDown()

  def start(self, program, patterns=((0, 0, 0, 0, 0, 0, 0, 0),)):
    store = os.path.join(absltest.get_default_test_tmpdir(),
                         f'store-{self.id()}')
    self.studio = Studio(program, patterns, store)
    return self.studio

  async def send(self, **message):
    """A message of the page to the server; its reply."""
    reply = await self.studio.server.handle(message)
    self.assertNotEqual((reply or {}).get('type'), 'error', reply)
    return reply

  async def evaluate(self, text):
    reply = await self.send(op='eval', text=text)
    self.assertTrue(reply['ok'], reply)

  # ------------------------------------------------ Rubber Gosling, part 1 --

  @testing.gen_test(timeout=120)
  async def test_part_1_drums_each_step_heard(self):
    studio = self.start('bpm 120; kick;')
    audio = studio.play(2)
    self.assertEqual(bar_phases(audio, 120, 2), [0.0, 0.0])
    # Each evaluation switches at the next tick; the bar after is heard.
    steps = [
        ('bpm 120; kick*4;', [0, 1 / 4, 1 / 2, 3 / 4]),
        # SPEC: kick*2 3,3,2 -> 0, 3/16, 6/16, 1/2, 11/16, 14/16 (the 3/16
        # hits fall between ticks and keep their written time).
        ('bpm 120; kick*2 3,3,2;', [0, 3 / 16, 6 / 16, 1 / 2, 11 / 16,
                                    14 / 16]),
        ('bpm 120; closedhat*1 3,3,2;', [0, 3 / 8, 6 / 8]),
        ('bpm 120; snare*2+0.5;', [1 / 4, 3 / 4]),
        ('bpm 120; openhat*2 1,1,2 (amp:0.7, hpf:4000);',
         [0, 1 / 8, 1 / 4, 1 / 2, 5 / 8, 3 / 4]),
    ]
    for text, phases in steps:
      await self.evaluate(text)
      studio.play(1)  # the switch lands in this bar.
      audio = studio.play(1)
      self.assertEqual(bar_phases(audio, 120, 1),
                       [round(p * 48) / 48 for p in phases], msg=text)

  @testing.gen_test(timeout=120)
  async def test_part_1_effects_and_tempo_heard(self):
    studio = self.start('bpm 120; kick*4;')

    async def bar_of(text):
      await self.evaluate(text)
      studio.play(1)
      audio = studio.play(1)
      return audio

    # lpf takes the top off the snare: the centroid falls (a kick has
    # almost nothing above 200 Hz for an lpf to take).
    plain = await bar_of('bpm 120; snare*2;')
    dark = await bar_of('bpm 120; snare*2 (lpf:1000);')
    self.assertLess(am.spectral_centroid(dark, SR),
                    0.5 * am.spectral_centroid(plain, SR))
    # dist drives the kick into the waveshaper: louder, and its share
    # above 200 Hz (the harmonics it adds) grows.
    kick = await bar_of('bpm 120; kick*4;')
    hot = await bar_of('bpm 120; kick*4 (dist:8);')
    self.assertGreater(am.rms(hot), 2 * am.rms(kick))
    self.assertGreater(am.band_share(hot, SR, 200, SR / 2),
                       2 * am.band_share(kick, SR, 200, SR / 2))
    full = await bar_of('bpm 120; openhat*2 1,1,2 (hpf:4000);')
    half = await bar_of('bpm 120; openhat*2 1,1,2 (hpf:4000, amp:0.5);')
    # amp:0.5 is -6.02 dB (SPEC section 5), effects in the written order.
    self.assertAlmostEqual(am.db(am.rms(half) / am.rms(full)), -6.02,
                           delta=0.3)
    self.assertGreater(am.band_share(full, SR, 4000, SR / 2), 0.9)
    # bpm 90: a bar lasts 2.667 s and kick*4 hits every 0.667 s.
    await self.evaluate('bpm 90; kick*4;')
    studio.play(1)
    audio = studio.play(1)
    self.assertEqual(len(audio), round(4 * 60 / 90 * SR) - ALIGN)
    self.assertEqual(bar_phases(audio, 90, 1), [0, 1 / 4, 1 / 2, 3 / 4])
    # Ctrl-. (the page sends /hush): silence until the next evaluation.
    await self.send(op='osc', address='/hush')
    studio.play(1)
    audio = studio.play(1)
    self.assertEqual(am.rms(audio), 0.0)
    await self.evaluate('bpm 90; kick*4;')
    studio.play(1)
    audio = studio.play(1)
    self.assertEqual(bar_phases(audio, 90, 1), [0, 1 / 4, 1 / 2, 3 / 4])

  # ------------------------------------------------ Rubber Gosling, part 2 --

  @testing.gen_test(timeout=120)
  async def test_part_2_synths_each_change_heard_on_the_next_note(self):
    studio = self.start('bpm 120; bass*2 3,3,2 36,43,48 cut40 res70 env30 '
                        '(dist:3, lpf:400);')
    audio = studio.play(1)
    # Six notes on the 3,3,2 grid of *2 (SPEC): 0, 3/16, 6/16, 1/2, 11/16,
    # 14/16 of a 2 s bar; the notes cycle 36, 43, 48 (65.4, 98.0, 130.8 Hz).
    starts = [0, 3 / 16, 6 / 16, 1 / 2, 11 / 16, 14 / 16]
    for start, pitch in zip(starts, (36, 43, 48) * 2):
      note = audio[int((2 * start + 0.03) * SR):int((2 * start + 0.2) * SR)]
      self.assertAlmostEqual(
          am.fundamental_hz(note, SR) / engine_lib.voices.midi_to_hz(pitch),
          1.0, delta=0.03, msg=(start, pitch))

    async def bar_of(text):
      await self.evaluate(text)
      studio.play(1)
      audio = studio.play(1)
      return audio

    # Notes are MIDI numbers: one held note's fundamental (2 s bars, the
    # note held 0.9 of its half bar; measure 0.1-0.8 s).
    for pitch in (36, 48, 60):
      audio = await bar_of(f'bpm 120; bass*2 1 {pitch} cut60 res0 env0;')
      hz = am.fundamental_hz(audio[int(0.1 * SR):int(0.8 * SR)], SR)
      self.assertAlmostEqual(hz / engine_lib.voices.midi_to_hz(pitch), 1.0,
                             delta=0.02, msg=pitch)
    # Every note of the tutorial's range sounds: 20..60 (41 notes) cycled
    # over eighths, so any 41 eighths in a row play each once; 6 bars hold
    # 48. Each eighth (0.25 s at 120 bpm) is above -30 dB RMS.
    notes = ','.join(str(n) for n in range(20, 61))
    await self.evaluate(f'bpm 120; bass*8 1 {notes} cut40 res30 env30;')
    studio.play(1)
    audio = studio.play(6)
    eighth = SR // 4
    levels = [am.db(am.rms(audio[i * eighth:(i + 1) * eighth]))
              for i in range(41)]
    self.assertGreater(min(levels), -30.0, msg=np.round(levels, 1))
    # cut: a lower cutoff, a lower centroid.
    bright = await bar_of('bpm 120; bass*4 1 36 cut80 res0 env0;')
    dull = await bar_of('bpm 120; bass*4 1 36 cut20 res0 env0;')
    self.assertLess(am.spectral_centroid(dull, SR),
                    0.5 * am.spectral_centroid(bright, SR))
    # res: the band around the cutoff (cut50 = 800 Hz) rises.
    flat = await bar_of('bpm 120; bass*4 1 36 cut50 res0 env0;')
    peaky = await bar_of('bpm 120; bass*4 1 36 cut50 res90 env0;')
    share = lambda x: am.band_share(x, SR, 600, 1070)  # +-1/2 octave.
    self.assertGreater(share(peaky), 3 * share(flat))
    # env: each note's first 40 ms brighter (the filter opens at the note
    # and falls back): its power share above 1 kHz grows over 5 times.
    still = await bar_of('bpm 120; bass*4 1 36 cut30 res0 env0;')
    swept = await bar_of('bpm 120; bass*4 1 36 cut30 res0 env90;')
    def attack(x):  # the mean over the bar's four notes (every 0.5 s).
      return np.mean([am.band_share(x[i * SR // 2:i * SR // 2 + SR // 25],
                                    SR, 1000, SR / 2) for i in range(4)])
    self.assertGreater(attack(swept), 5 * attack(still))

  @testing.gen_test(timeout=120)
  async def test_part_2_the_mouse_moves_cut_mousex(self):
    studio = self.start('bpm 120; lead*4 1 60,64,67 cut_mousex res_mousey '
                        'env0;')
    shares = []  # the lead's power above 1 kHz (cut_mousex opens it).
    for x in (0.1, 0.5, 0.9):  # the Mouse pad sends /drums/control.
      await self.send(op='osc', address='/drums/control', args=['mousex', x])
      studio.play(1)
      audio = studio.play(3)  # the 3 notes over 4 onsets repeat in 3 bars.
      shares.append(am.band_share(audio, SR, 1000, SR / 2))
      self.assertEqual(studio.app.snapshot()['controls']['mousex'], x)
    self.assertLess(3 * shares[0], shares[1])
    self.assertLess(3 * shares[1], shares[2])
    # A re-evaluation keeps following the mouse where it is.
    await self.evaluate('bpm 120; lead*4 1 60,64,67 cut_mousex res_mousey '
                        'env0;')
    studio.play(1)
    audio = studio.play(3)
    self.assertAlmostEqual(am.band_share(audio, SR, 1000, SR / 2) / shares[2],
                           1.0, delta=0.01)

  # --------------------------------------------------- Interactive RL --

  @testing.gen_test(timeout=120)
  async def test_learn_predict_off_each_heard(self):
    # The agent's pattern: ticks 1 and 7, which neither the kick (3,3,2:
    # ticks 0, 1, 3, 4, 5, 7 of phases 0, 3/16, ...) hiss nor the written
    # snare (ticks 2, 6) share as snare hits.
    agent = (0, 1, 0, 0, 0, 0, 0, 1)
    studio = self.start(WHOLE, [agent])
    studio.play(1)  # the agent is built (synchronous jobs) and added.

    def snare_ticks(audio):
      """Ticks whose first 40 ms has a snare's hiss: a peak above 0.08
      over 5 kHz (a snare hit: 0.17; the kick's click: 0.01)."""
      levels = tick_levels(am.high_pass(audio, SR, 5000.0), 132)
      return [i for i, level in enumerate(levels) if level > 0.08]

    no_hats = WHOLE.replace('closedhat*4 1,1,2 (amp:0.6, hpf:5000);', '')
    await self.evaluate(no_hats)
    studio.play(1)
    audio = studio.play(1)
    # learn: the written snare (snare*2+0.5: ticks 2 and 6) is heard.
    self.assertEqual(studio.app.drums.session.modes, {'snare': 'learn'})
    self.assertEqual(snare_ticks(audio), [2, 6])
    # predict (the mode button sends /drums/mode): the agent's hits.
    await self.send(op='osc', address='/drums/mode', args=['snare',
                                                           'predict'])
    studio.play(1)
    audio = studio.play(1)
    predicted = studio.app.snapshot()['pattern']['predicted']['snare']
    self.assertEqual(predicted, list(agent))
    self.assertEqual(snare_ticks(audio), [1, 7])
    self.assertEqual(studio.app.snapshot()['plays'][1]['hits'], list(agent))
    # off: the agent is ignored, the written part plays again.
    await self.send(op='osc', address='/drums/mode', args=['snare', 'off'])
    studio.play(1)
    audio = studio.play(1)
    self.assertEqual(snare_ticks(audio), [2, 6])
    # `predict` written in the program does the same as the button.
    await self.evaluate(no_hats.replace('learn snare', 'predict snare'))
    studio.play(1)
    audio = studio.play(1)
    self.assertEqual(snare_ticks(audio), [1, 7])
    # The whole program, its hats too: the snare's line plays the agent's
    # hits (the hats hiss on every tick, so the pattern view tells).
    await self.evaluate(WHOLE.replace('learn snare', 'predict snare'))
    studio.play(1)
    self.assertEqual(studio.app.snapshot()['plays'][1]['hits'], list(agent))

  @testing.gen_test(timeout=120)
  async def test_meta_parameters_and_saved_agents_heard(self):
    first, fresh = (0, 1, 0, 0, 0, 0, 0, 1), (1, 0, 0, 0, 1, 0, 0, 0)
    studio = self.start(WHOLE.replace('learn snare', 'predict snare').replace(
        'closedhat*4 1,1,2 (amp:0.6, hpf:5000);', ''), [first, fresh])
    studio.play(1)

    def snare_ticks():
      studio.play(1)
      audio = studio.play(1)
      levels = tick_levels(am.high_pass(audio, SR, 5000.0), 132)
      return [i for i, level in enumerate(levels) if level > 0.08]

    self.assertEqual(snare_ticks(), [1, 7])
    # The server waits for the file, written while the clock runs on.
    saving = asyncio.ensure_future(self.send(op='save_agent', name='mine'))
    await asyncio.sleep(0)  # queued; it polls for the file.
    studio.play(1)
    reply = await saving
    self.assertEqual(reply['agents'], ['mine'])
    # The Interactive RL tutorial's meta-parameters (source history 1, its
    # network, memory, learning rate, discount, exploration): a new agent
    # (here scripted to play ticks 0 and 4), the mode kept.
    await self.send(op='hparams', values=dict(
        structure=[16], source_history=1, action_memory=2, replay_size=64,
        learning_rate=0.01, discount=0.5, epsilon=0.05))
    self.assertEqual(snare_ticks(), [0, 4])
    hparams = studio.built[-1][1]
    self.assertEqual((hparams.structure, hparams.source_history,
                      hparams.action_memory, hparams.replay_size,
                      hparams.discount, hparams.epsilon),
                     ((16,), 1, 2, 64, 0.5, 0.05))
    self.assertEqual(studio.app.drums.session.modes, {'snare': 'predict'})
    # Loading the saved agent brings its part back.
    await self.send(op='load_agent', name='mine')
    self.assertEqual(snare_ticks(), [1, 7])


if __name__ == '__main__':
  absltest.main()
