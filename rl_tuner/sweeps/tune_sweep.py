"""Runs a sweep's trials on Ray Tune (the only module that imports Ray).

Each trial is a plain function trainable calling
:func:`rl_tuner.sweeps.trial.run_trial` (one CPU each; ``max_concurrent``
bounds how many run at once), which reports every evaluation with
``tune.report``. Ray runs embedded on this machine (``ray.init()``) or joins
a running cluster (``ray_address='HOST:PORT'``, e.g. started with
``ray start --head --port=6379`` and ``ray start --address=HOST:6379`` on
each other machine; every node needs this repository at the same path, or
on its PYTHONPATH, and the Note RNN checkpoint and output dir on a shared
path).

Fault tolerance lives in the trials' run dirs, not in Ray's experiment
state: a trial whose worker dies is retried by Tune (``max_failures``) and
resumes from its checkpoint; rerunning a killed sweep starts a new Tune
experiment whose finished trials return at once and whose unfinished ones
resume (rl_tuner/sweeps/trial.py).
"""

import os
import time
from typing import Dict, List, Optional

from absl import logging

from rl_tuner.sweeps import sweep_results
from rl_tuner.sweeps import sweep_spec as sweep_spec_lib
from rl_tuner.sweeps import trial as trial_lib

# The repository root (for the workers' PYTHONPATH): rl_tuner/sweeps/../..
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def _trainable(config, trials, sweep, output_dir, note_rnn_dir):
  """Ray Tune function trainable: one trial by name (config['trial'])."""
  from ray import tune  # pylint: disable=g-import-not-at-top
  trial_lib.run_trial(trials[config['trial']], sweep, output_dir,
                      note_rnn_dir, report=tune.report)


def run_sweep(sweep: sweep_spec_lib.SweepSpec, output_dir: str,
              note_rnn_dir: str, ray_address: Optional[str] = None,
              asha_metric: Optional[str] = None, asha_mode: str = 'max',
              max_failures: int = 3, ray_temp_dir: Optional[str] = None,
              title: str = '') -> List[Dict]:
  """Runs every trial of ``sweep`` on Ray Tune; writes the results table.

  Args:
    sweep: the trials and their run length.
    output_dir: OUT (absolute or relative to the working dir): trials go to
      OUT/trials/<name>, Tune's own files to OUT/ray_results, the table and
      figure to OUT/results.{md,csv,png}.
    note_rnn_dir: the trained Note RNN checkpoint directory.
    ray_address: 'HOST:PORT' of a running Ray cluster; None starts Ray
      embedded on this machine.
    asha_metric: if set, ASHA stops trials whose value of this reported
      metric (e.g. 'mean_music_theory_reward') trails at an evaluation.
    asha_mode: 'max' or 'min' for ``asha_metric``.
    max_failures: retries of a trial whose worker died.
    ray_temp_dir: Ray's session dir for an embedded Ray (short path).
    title: the results' title.

  Returns:
    The finished trials' result dicts (see trial.py), in sweep order.

  Raises:
    ValueError: if asha_mode is not 'max' or 'min'.
  """
  import ray  # pylint: disable=g-import-not-at-top
  from ray import tune  # pylint: disable=g-import-not-at-top
  if asha_mode not in ('max', 'min'):
    raise ValueError(f"asha_mode must be 'max' or 'min', got {asha_mode!r}")
  output_dir = os.path.abspath(output_dir)
  note_rnn_dir = os.path.abspath(note_rnn_dir)
  trials = {t.name: t for t in sweep.trials()}
  pythonpath = os.pathsep.join(
      p for p in [REPO_ROOT, os.environ.get('PYTHONPATH', '')] if p)
  runtime_env = {'env_vars': {'PYTHONPATH': pythonpath,
                              'TF_CPP_MIN_LOG_LEVEL': '2',
                              'CUDA_VISIBLE_DEVICES': ''}}
  if not ray.is_initialized():
    if ray_address:
      ray.init(address=ray_address, runtime_env=runtime_env,
               log_to_driver=False)
    else:
      ray.init(runtime_env=runtime_env, include_dashboard=False,
               log_to_driver=False, _temp_dir=ray_temp_dir)
  scheduler = None
  if asha_metric:
    scheduler = tune.schedulers.ASHAScheduler(
        time_attr='step', metric=asha_metric, mode=asha_mode,
        max_t=sweep.num_steps, grace_period=sweep.eval_every,
        reduction_factor=2)
  trainable = tune.with_resources(
      tune.with_parameters(_trainable, trials=trials, sweep=sweep,
                           output_dir=output_dir, note_rnn_dir=note_rnn_dir),
      {'cpu': max(sweep.num_threads, 1)})
  tuner = tune.Tuner(
      trainable,
      param_space={'trial': tune.grid_search(list(trials))},
      tune_config=tune.TuneConfig(
          scheduler=scheduler,
          max_concurrent_trials=sweep.max_concurrent or None),
      run_config=tune.RunConfig(
          name=time.strftime('sweep_%Y%m%d_%H%M%S'),
          storage_path=os.path.join(output_dir, 'ray_results'),
          failure_config=tune.FailureConfig(max_failures=max_failures),
          verbose=1))
  start = time.time()
  grid = tuner.fit()
  errors = [r.error for r in grid if r.error]
  logging.info('Sweep of %d trials ran %.0f s on Ray; %d ended in error',
               len(trials), time.time() - start, len(errors))
  for e in errors:
    logging.warning('Trial error: %s', e)
  results = [r for r in (trial_lib.read_result(output_dir, name)
                         for name in trials) if r is not None]
  if results:
    paths = sweep_results.write_results(results, output_dir, title)
    logging.info('Results: %s', paths)
  return results
