r"""CARL learning while played: a simulated player, 60 s at --carl_rate.

The player (issue 11 item 4) has a hidden target mapping from the input
(x, y, z in [0, 1]) to the four parameters, three of them input-dependent:

  p0 = x,  p1 = 1 - y,  p2 = 0.5,  p3 = (x + z) / 2

It moves the input to a new random position every --move_s seconds and gives
one reward per second, judging the parameters it hears against the target:
+1 if they are closer than at its previous judgement, -1 otherwise (like /
dislike); ``--player=median`` compares with the median of its last
judgements instead (the previous judgement is often at another input). Exploration noise stays on. The control loop runs --carl_rate
times a second and asks for a DDPG step every tick (simulated time: the
learner runs synchronously, as fast as it can, so the figures do not depend
on this machine's load; bench/sonification_bench.py measures the realtime
side).

Reported on 256 fixed probe inputs: the mean distance to the target before
and after (target: at least halved) and, per input-dependent parameter, the
correlation of the actor's output with its target (target: > 0.8).
By default it runs DDPG with the SPEC defaults and the reward-weighted
supervised learner (``algo=rwsl``, sonification/carl/carl_rwsl.py); "learner
calls" counts DDPG steps, or rwsl calls of ``steps_per_call`` steps each.

  PYTHONPATH=. .venv/bin/python bench/carl_learning_bench.py
  PYTHONPATH=. .venv/bin/python bench/carl_learning_bench.py \
      --hparams="actor_lr=1e-3;batch_size=16" --seeds=0,1,2
"""

from absl import app
from absl import flags
import numpy as np

from sonification import clock
from sonification.carl import carl_agent
from sonification.carl import carl_hparams
from sonification.carl import carl_session

FLAGS = flags.FLAGS
# The reward-weighted supervised learner (sonification/carl/carl_rwsl.py).
RWSL = 'algo=rwsl;actor_lr=1e-2;steps_per_call=10'
flags.DEFINE_integer('carl_rate', 50, 'control loop rate, Hz')
flags.DEFINE_float('seconds', 60.0, 'simulated play, seconds')
flags.DEFINE_float('move_s', 2.0, 'the player moves the input this often')
flags.DEFINE_float('reward_every_s', 1.0, 'one reward per this many seconds')
flags.DEFINE_list('hparams', ['', RWSL], 'CarlHParams overrides, one run '
                  'each, fields separated by ";" ("" = SPEC.md section 3 '
                  'DDPG defaults; the second default is the rwsl learner)')
flags.DEFINE_list('seeds', ['0'], 'seeds')
flags.DEFINE_enum('player', 'previous', ['previous', 'median'],
                  'how the player judges: previous = +1 if closer than at '
                  'its previous judgement (often at another input: a coin '
                  'toss then); median = +1 if closer than the median of its '
                  'last --median_window judgements (every reward says '
                  'something about the current sound)')
flags.DEFINE_integer('median_window', 9, 'judgements in the median player\'s '
                     'running median')

DEPENDENT = (0, 1, 3)  # input-dependent parameters.


def target(x: np.ndarray) -> np.ndarray:
  """The hidden mapping ``[N, 3] -> [N, 4]``."""
  x = np.atleast_2d(x)
  return np.stack([x[:, 0], 1 - x[:, 1], np.full(len(x), 0.5),
                   (x[:, 0] + x[:, 2]) / 2], axis=1)


def evaluate(actor, probe):
  out, want = actor(probe), target(probe)
  distance = float(np.mean(np.linalg.norm(out - want, axis=1)))
  corr = [float(np.corrcoef(out[:, j], want[:, j])[0, 1])
          if np.std(out[:, j]) > 1e-9 else 0.0 for j in DEPENDENT]
  return distance, corr


def run(overrides: str, seed: int) -> dict:
  hp = carl_hparams.CarlHParams.parse(overrides.replace(';', ','), seed=seed)
  session = carl_session.CarlSession(carl_agent.make_agent(hp),
                                     threaded=False)
  rng = np.random.default_rng(seed)
  probe = np.random.default_rng(1234).uniform(size=(256, 3))
  before, _ = evaluate(session.actor, probe)
  rate = FLAGS.carl_rate
  ticks = int(FLAGS.seconds * rate)
  previous = None
  judged = []
  for i in range(ticks):
    if i % int(FLAGS.move_s * rate) == 0:
      session.set_input(*rng.uniform(size=3))
    tick = clock.Tick(i, i // rate, i % rate, (i % rate) / rate, i / rate,
                      i / rate, 240.0)
    output = session.on_tick(tick)
    if (i + 1) % int(FLAGS.reward_every_s * rate) == 0:
      d = float(np.linalg.norm(output - target(session.input)[0]))
      if FLAGS.player == 'median':
        previous = (float(np.median(judged[-FLAGS.median_window:]))
                    if judged else None)
      if previous is not None:
        session.reward(1.0 if d < previous else -1.0)
      previous = d
      judged.append(d)
  after, corr = evaluate(session.actor, probe)
  return dict(hparams=overrides or 'SPEC defaults', seed=seed, before=before,
              after=after, corr=corr, steps=session.optimisations,
              rewards=session.rewards_stored)


def main(argv):
  del argv
  print(f'{FLAGS.seconds:g} s at {FLAGS.carl_rate} Hz, one reward per '
        f'{FLAGS.reward_every_s:g} s, input moved every {FLAGS.move_s:g} s, '
        f'player {FLAGS.player}')
  print('| hparams | seed | distance before | after | ratio | corr p0, p1, '
        'p3 | learner calls | rewards | met |')
  print('|---|---|---|---|---|---|---|---|---|')
  for overrides in FLAGS.hparams:
    for seed in FLAGS.seeds:
      r = run(overrides, int(seed))
      met = r['after'] <= r['before'] / 2 and min(r['corr']) > 0.8
      print(f"| {r['hparams']} | {r['seed']} | {r['before']:.3f} | "
            f"{r['after']:.3f} | {r['after'] / r['before']:.2f} | "
            f"{', '.join(f'{c:.2f}' for c in r['corr'])} | {r['steps']} | "
            f"{r['rewards']} | {'yes' if met else 'no'} |", flush=True)


if __name__ == '__main__':
  app.run(main)
