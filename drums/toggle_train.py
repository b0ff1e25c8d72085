"""Trains (or tests) the DQN on the kick/snare toggle environment.

  bazel run //drums:toggle_train -- --output_dir=/tmp/toggle --episodes=300
  bazel run //drums:toggle_train -- --output_dir=/tmp/toggle --test

Training saves checkpoints (tf.train.CheckpointManager, restore-or-initialize)
under OUTPUT_DIR/checkpoints and a reward figure OUTPUT_DIR/rewards.png.
Evaluation (at the end of training, or alone with --test) starts every episode
from bad patterns (the snare on the kick, and random ones), acts greedily and
reports how the reward changes over the episode: at the start, after 8 steps,
the best and the last; written to OUTPUT_DIR/eval.json and eval.png.
"""

import json
import os

from absl import app
from absl import flags
from absl import logging
import numpy as np
import tensorflow as tf

from drums import toggle_dqn
from drums import toggle_env
from rl_tuner import flag_checks
from rl_tuner import run_state

FLAGS = flags.FLAGS
flags.DEFINE_string('output_dir', None, 'Checkpoints, figures, eval.json.')
flags.DEFINE_integer('episodes', 300, 'Training episodes (50 steps each).',
                     lower_bound=0)
flags.DEFINE_boolean('test', False, 'Only evaluate the latest checkpoint.')
flags.DEFINE_boolean('noop', True, 'Give the agent a no-op action.')
flags.DEFINE_integer('seed', 0, 'Seed of the agent and the environment.')
flags.DEFINE_integer('eval_episodes', 20, 'Random-start evaluation episodes.')
flags.DEFINE_integer('checkpoint_every', 50, 'Episodes between checkpoints.')

BAD_START = toggle_env.KICK.tolist()  # Snare on the kick: reward -1.


def evaluate(env, agent, episodes: int, seed: int):
  """Greedy episodes from the worst pattern and from random ones."""
  runs = [toggle_dqn.run_episode(env, agent, learn=False, snare=BAD_START)]
  runs += [toggle_dqn.run_episode(env, agent, learn=False, seed=seed + 10_000
                                  + i) for i in range(episodes)]
  def stats(run):
    r = run['rewards']
    return {'start': float(run['start_reward']), 'after_8': float(r[7]),
            'best': float(r.max()), 'last': float(r[-1]),
            'mean': float(r.mean())}
  return {'bad_start': stats(runs[0]),
          # Reward of the starting pattern, then after each step.
          'bad_start_rewards': [float(runs[0]['start_reward'])] +
                               runs[0]['rewards'].tolist(),
          'random_starts': {k: float(np.mean([stats(r)[k] for r in runs[1:]]))
                            for k in ('start', 'after_8', 'best', 'last',
                                      'mean')}}


def plot(path, train_rewards, eval_rewards):
  import matplotlib  # pylint: disable=g-import-not-at-top
  matplotlib.use('Agg')
  from matplotlib import pyplot as plt  # pylint: disable=g-import-not-at-top
  fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.5))
  if len(train_rewards):
    a.plot(np.mean(train_rewards, axis=1), label='mean over episode')
    a.plot(np.asarray(train_rewards)[:, -1], alpha=0.5, label='last step')
  a.set_xlabel('training episode')
  a.set_ylabel('reward')
  a.legend()
  b.plot(eval_rewards, marker='.')
  b.set_xlabel('steps taken (greedy, from snare = kick)')
  b.set_ylabel('reward')
  b.set_ylim(-1.05, 1.05)
  fig.tight_layout()
  tmp = path + '.tmp.png'
  fig.savefig(tmp, dpi=90)
  plt.close(fig)
  os.replace(tmp, path)


def main(argv):
  del argv
  if not FLAGS.output_dir:
    raise app.UsageError('--output_dir is required')
  output_dir = flag_checks.output_dir('output_dir', FLAGS.output_dir)
  flag_checks.int_in_range('episodes', FLAGS.episodes, 0, 10_000_000)
  flag_checks.int_in_range('eval_episodes', FLAGS.eval_episodes, 0, 100_000)
  flag_checks.int_in_range('checkpoint_every', FLAGS.checkpoint_every, 1,
                           10_000_000)
  env = toggle_env.KickSnareToggleEnv(noop=FLAGS.noop)
  agent = toggle_dqn.ToggleDQNAgent(
      env.observation_space.n, env.action_space.n,
      toggle_dqn.ToggleDQNHParams(seed=FLAGS.seed))
  episode = tf.Variable(0, dtype=tf.int64)
  checkpoint = agent.checkpoint()
  checkpoint.episode = episode
  manager = tf.train.CheckpointManager(
      checkpoint, os.path.join(output_dir, 'checkpoints'), max_to_keep=3)
  restored = run_state.restore_managed(checkpoint, manager)
  if restored:
    logging.info('restored %s', restored)
  elif FLAGS.test:
    raise app.UsageError(f'--test: no checkpoint in {output_dir}/checkpoints')
  train_rewards = []
  while not FLAGS.test and int(episode) < FLAGS.episodes:
    run = toggle_dqn.run_episode(env, agent, learn=True,
                                 seed=FLAGS.seed * 100_003 + int(episode))
    train_rewards.append(run['rewards'])
    episode.assign_add(1)
    if int(episode) % FLAGS.checkpoint_every == 0:
      manager.save(checkpoint_number=int(episode))
      logging.info('episode %d: mean reward %.3f, epsilon %.3f',
                   int(episode), run['rewards'].mean(), float(agent.epsilon()))
  if not FLAGS.test:
    manager.save(checkpoint_number=int(episode))
  result = evaluate(env, agent, FLAGS.eval_episodes, FLAGS.seed)
  result['episodes_trained'] = int(episode)
  with open(os.path.join(output_dir, 'eval.json.tmp'), 'w') as f:
    json.dump(result, f, indent=1)
  os.replace(os.path.join(output_dir, 'eval.json.tmp'),
             os.path.join(output_dir, 'eval.json'))
  plot(os.path.join(output_dir, 'eval.png' if FLAGS.test else 'rewards.png'),
       train_rewards, result['bad_start_rewards'])
  print(json.dumps({k: v for k, v in result.items()
                    if k != 'bad_start_rewards'}, indent=1))


if __name__ == '__main__':
  flag_checks.run(main)
