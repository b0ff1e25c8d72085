"""Figures of an RL Tuner run (matplotlib, Agg backend, atomic PNG writes).

  * :func:`plot_reward_history`: mean total, music-theory and Note RNN reward
    per composition against training steps (the public code's plot crashed
    on Python 3);
  * :func:`plot_note_probabilities`: the softmax over the 38 events at each
    step of one composition, the chosen event marked (the public
    ``visualize_probs``).
"""

import os
from typing import Dict, Sequence

import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
import numpy as np

from rl_tuner import encoding


def _save(fig, path: str) -> str:
  os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
  tmp = path + '.tmp.png'
  fig.savefig(tmp, dpi=100, bbox_inches='tight')
  plt.close(fig)
  os.replace(tmp, path)
  return path


def plot_reward_history(history: Dict[str, np.ndarray], path: str,
                        title: str = '') -> str:
  """Plots reward histories.

  Args:
    history: 'step' [E] and any of 'total_reward', 'music_theory_reward',
      'note_rnn_reward' [E] (means per composition at each evaluation).
    path: PNG path.
    title: figure title.

  Returns:
    ``path``.
  """
  names = [n for n in ('total_reward', 'music_theory_reward',
                       'note_rnn_reward') if n in history]
  fig, axes = plt.subplots(len(names), 1, figsize=(7, 2.5 * len(names)),
                           sharex=True, squeeze=False)
  for ax, name in zip(axes[:, 0], names):
    ax.plot(history['step'], history[name], marker='.')
    ax.set_ylabel(name.replace('_', ' '))
    ax.grid(True, alpha=0.3)
  axes[-1, 0].set_xlabel('training steps')
  if title:
    axes[0, 0].set_title(title)
  return _save(fig, path)


def plot_note_probabilities(probabilities: np.ndarray,
                            actions: Sequence[int], path: str,
                            title: str = 'Note probabilities') -> str:
  """Heat map of per-step event probabilities, the chosen events marked.

  Args:
    probabilities: float ``[T, 38]`` softmax at each step.
    actions: int ``[T]`` the events chosen.
    path: PNG path.
    title: figure title.

  Returns:
    ``path``.
  """
  probabilities = np.asarray(probabilities)
  fig, ax = plt.subplots(figsize=(9, 6))
  image = ax.imshow(probabilities.T, origin='lower', aspect='auto',
                    cmap='viridis', vmin=0.0, vmax=1.0)
  ax.plot(np.arange(len(actions)), actions, 'r.', markersize=6,
          label='chosen')
  labels = ['off', 'hold'] + [str(encoding.PITCH_OFFSET + a)
                              for a in range(2, encoding.NUM_CLASSES)]
  ax.set_yticks(range(encoding.NUM_CLASSES))
  ax.set_yticklabels(labels, fontsize=6)
  ax.set_ylabel('event (MIDI pitch)')
  ax.set_xlabel('step (sixteenth notes)')
  ax.set_title(title)
  ax.legend(loc='upper right')
  fig.colorbar(image, ax=ax, label='probability')
  return _save(fig, path)


def plot_metric_comparison(ours: Dict[str, Dict[str, float]],
                           paper: Dict[str, Dict[str, float]],
                           metrics: Sequence[str], path: str) -> str:
  """Grouped bars: each metric, ours (solid) beside the paper's (hatched).

  Args:
    ours: {model: {metric: value}}.
    paper: {model: {metric: value}} (missing entries are skipped).
    metrics: metric names, one panel each.
    path: PNG path.

  Returns:
    ``path``.
  """
  models = list(ours)
  cols = 3
  rows = -(-len(metrics) // cols)
  fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 2.8 * rows),
                           squeeze=False)
  x = np.arange(len(models))
  for ax, metric in zip(axes.flat, metrics):
    ax.bar(x - 0.2, [ours[m].get(metric, np.nan) for m in models], 0.4,
           label='ours')
    ax.bar(x + 0.2, [paper.get(m, {}).get(metric, np.nan) for m in models],
           0.4, hatch='//', alpha=0.6, label='paper')
    ax.set_xticks(x)
    ax.set_xticklabels(models, fontsize=8)
    ax.set_title(metric.replace('_', ' '), fontsize=9)
  for ax in list(axes.flat)[len(metrics):]:
    ax.axis('off')
  axes[0, 0].legend(fontsize=8)
  fig.tight_layout()
  return _save(fig, path)
