"""A sweep's results table (Markdown + CSV) and figure (no Ray, no TF).

From the finished trials' ``trial_result.json`` (rl_tuner/sweeps/trial.py):

  * ``OUT/results.csv``: one row per trial: name, config, algorithm, seed,
    grid values, then every metric;
  * ``OUT/results.md``: the per-trial table of the headline metrics, then per
    config (trials differing only in seed): each paper target's seed mean,
    min-max and the number of seeds meeting it (targets:
    ``rl_tuner.evaluation.RL_TARGETS``, then issue 14's log p > -2.5,
    pitch-class entropy >= 2.8 bits and top opening <= 10%);
  * ``OUT/results.png``: mean log p(a|s) against mean r_MT (both per event)
    per trial, coloured by config, the untuned Note RNN and the pure-RL
    log p level marked.
"""

import collections
import csv
import io
import os
from typing import Dict, List, Sequence

import numpy as np

# Issue 4's targets, as rl_tuner/evaluation.py has them (copied so the sweep's
# driver does not import TensorFlow through evaluation's imports).
RL_TARGETS = (
    ('notes_excessively_repeated_pct', 'max', 0.02),
    ('notes_not_in_key_pct', 'max', 0.6),
    ('starting_with_tonic_pct', 'min', 28.8),
    ('leaps_resolved_pct', 'min', 91.1),
    ('notes_in_motif_pct', 'min', 75.7),
)
PURE_RL_LOG_P = -3.65  # The paper's pure-RL log p(a|s) per event.
# Issue 14's variety targets (evaluation.DIVERSITY_TARGETS, LOG_P_TARGET).
VARIETY_TARGETS = (
    ('mean_log_p_note_rnn', 'min', -2.5),
    ('pitch_class_entropy_bits', 'min', 2.8),
    ('top_opening_pct', 'max', 10.0),
)
TARGETS = RL_TARGETS + VARIETY_TARGETS
HEADLINE = ('step', 'mean_music_theory_reward', 'mean_log_p_note_rnn') + tuple(
    m for m, _, _ in RL_TARGETS) + (
        'unique_max_note_pct', 'unique_min_note_pct',
        'pitch_class_entropy_bits', 'top_opening_pct')


def _fmt(value) -> str:
  if value is None or (isinstance(value, float) and np.isnan(value)):
    return '-'
  if isinstance(value, float) and value.is_integer() and abs(value) >= 1000:
    return str(int(value))  # Steps.
  if isinstance(value, float):
    return f'{value:.3g}'
  return str(value)


def meets(value: float, kind: str, bound: float) -> bool:
  """Whether ``value`` meets a 'max' (<=) or 'min' (>=) target."""
  return value <= bound if kind == 'max' else value >= bound


def config_summary(results: Sequence[Dict]) -> List[Dict]:
  """Per config (seeds pooled): for each target, mean, min, max and met.

  Args:
    results: trial result dicts ('config', 'seed', 'metrics').

  Returns:
    One dict per config, in first-seen order: {'config', 'seeds': [..],
    metric: (mean, min, max, seeds meeting)} for each TARGETS metric.
  """
  groups = collections.OrderedDict()
  for r in results:
    groups.setdefault(r['config'], []).append(r)
  rows = []
  for config, rs in groups.items():
    row = {'config': config, 'seeds': [r['seed'] for r in rs]}
    for metric, kind, bound in TARGETS:
      values = np.array([r['metrics'].get(metric, np.nan) for r in rs],
                        np.float64)
      row[metric] = (float(values.mean()), float(values.min()),
                     float(values.max()),
                     int(sum(meets(v, kind, bound) for v in values)))
    rows.append(row)
  return rows


def markdown(results: Sequence[Dict], title: str = '') -> str:
  """The Markdown results table (see module docstring)."""
  lines = [f'# {title or "Sweep results"}', '',
           f'{len(results)} finished trials. Metrics of each trial\'s last '
           'evaluation (sampled compositions; r_MT and log p per event).', '',
           '| trial | ' + ' | '.join(HEADLINE) + ' |',
           '|---|' + '---|' * len(HEADLINE)]
  for r in results:
    lines.append(f'| {r["trial"]} | ' + ' | '.join(
        _fmt(r['metrics'].get(m)) for m in HEADLINE) + ' |')
  lines += ['', 'Per config across seeds: mean (min-max), seeds meeting the '
            'paper target.', '',
            '| config | seeds | ' + ' | '.join(
                f'{m} ({"<=" if k == "max" else ">="} {b})'
                for m, k, b in TARGETS) + ' |',
            '|---|---|' + '---|' * len(TARGETS)]
  for row in config_summary(results):
    cells = []
    for metric, _, _ in TARGETS:
      mean, lo, hi, met = row[metric]
      cells.append(f'{_fmt(mean)} ({_fmt(lo)}-{_fmt(hi)}), '
                   f'{met}/{len(row["seeds"])}')
    lines.append(f'| {row["config"]} | {len(row["seeds"])} | ' +
                 ' | '.join(cells) + ' |')
  return '\n'.join(lines) + '\n'


def csv_text(results: Sequence[Dict]) -> str:
  """One CSV row per trial: identity and grid columns, then every metric."""
  grid_keys = sorted({k for r in results for k in r.get('grid', {})})
  metric_keys = sorted({k for r in results for k in r['metrics']})
  buf = io.StringIO()
  writer = csv.writer(buf, lineterminator='\n')
  writer.writerow(['trial', 'config', 'algorithm', 'seed'] + grid_keys +
                  metric_keys)
  for r in results:
    writer.writerow([r['trial'], r['config'], r['algorithm'], r['seed']] +
                    [r.get('grid', {}).get(k, '') for k in grid_keys] +
                    [r['metrics'].get(k, '') for k in metric_keys])
  return buf.getvalue()


def _write_atomic(path: str, text: str) -> str:
  os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
  tmp = path + '.tmp'
  with open(tmp, 'w') as f:
    f.write(text)
  os.replace(tmp, path)
  return path


def plot(results: Sequence[Dict], path: str, title: str = '') -> str:
  """Scatter of log p(a|s) against r_MT per trial (per event); PNG path."""
  import matplotlib  # pylint: disable=g-import-not-at-top
  matplotlib.use('Agg')
  import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
  fig, ax = plt.subplots(figsize=(7, 5))
  configs = list(collections.OrderedDict.fromkeys(r['config']
                                                  for r in results))
  colours = plt.get_cmap('tab10')
  for i, config in enumerate(configs):
    rs = [r for r in results if r['config'] == config]
    ax.scatter([r['metrics'].get('mean_music_theory_reward') for r in rs],
               [r['metrics'].get('mean_log_p_note_rnn') for r in rs],
               color=colours(i % 10), label=config)
  baselines = [r['baseline'] for r in results if r.get('baseline')]
  if baselines:
    ax.scatter([b.get('mean_music_theory_reward') for b in baselines[:1]],
               [b.get('mean_log_p_note_rnn') for b in baselines[:1]],
               marker='x', color='k', s=80, label='untuned Note RNN')
  ax.axhline(PURE_RL_LOG_P, color='grey', linestyle='--',
             label=f'paper pure RL log p ({PURE_RL_LOG_P})')
  ax.set_xlabel('mean music-theory reward r_MT per event')
  ax.set_ylabel('mean log p(a|s) per event (Note RNN)')
  ax.set_title(title or 'Sweep: log p against r_MT per trial', fontsize=9,
               wrap=True)
  ax.legend(fontsize=7)
  os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
  tmp = path + '.tmp.png'
  fig.savefig(tmp, dpi=100, bbox_inches='tight')
  plt.close(fig)
  os.replace(tmp, path)
  return path


def write_results(results: Sequence[Dict], output_dir: str,
                  title: str = '') -> Dict[str, str]:
  """Writes results.md, results.csv and results.png into ``output_dir``.

  Raises:
    ValueError: if ``results`` is empty.
  """
  if not results:
    raise ValueError(f'write_results: no finished trial in {output_dir!r}')
  return {
      'markdown': _write_atomic(os.path.join(output_dir, 'results.md'),
                                markdown(results, title)),
      'csv': _write_atomic(os.path.join(output_dir, 'results.csv'),
                           csv_text(results)),
      'figure': plot(results, os.path.join(output_dir, 'results.png')),
  }
