"""One sweep trial: an ordinary, resumable rl_tuner_train run dir (no Ray).

``run_trial`` trains one :class:`~rl_tuner.sweeps.sweep_spec.TrialSpec` with
the project's runner into ``OUT/trials/<trial name>/`` and hands the metrics
of every evaluation to ``report`` (the sweep passes Ray Tune's
``tune.report``). Re-entrant by design, which is the sweep's fault tolerance:

  * a trial whose ``trial_result.json`` exists finished: it is not rerun, its
    final metrics are reported once more and returned;
  * otherwise the runner resumes from the run dir's latest checkpoint (a
    killed worker or sweep loses at most ``checkpoint_every`` steps).

Each start appends one line to ``OUT/trials/<name>/attempts.jsonl`` (process
id, the step it started from, and whether it was skipped as finished).
"""

import json
import os
import re
import time
from typing import Callable, Dict, Optional

from rl_tuner.sweeps import sweep_spec as sweep_spec_lib

RESULT_FILENAME = 'trial_result.json'
# A committed checkpoint unit's manifest (rl_tuner/run_state.py).
_UNIT_RE = re.compile(r'^unit-(\d+)\.json$')
ATTEMPTS_FILENAME = 'attempts.jsonl'


def trial_dir(output_dir: str, trial_name: str) -> str:
  """The run dir of a trial: ``output_dir/trials/<trial_name>``."""
  return os.path.join(output_dir, 'trials', trial_name)


def trial_metrics(stats: Dict, composition_length: int = 32) -> Dict[str, float]:
  """Numeric Tune metrics from a runner evaluation's statistics dict.

  Adds ``mean_log_p_note_rnn``: log p(a|s) per event under the Note RNN
  (the per-composition ``note_rnn_reward`` over ``composition_length``
  events), named as in rl_tuner/evaluation.py. ``mean_music_theory_reward``
  (r_MT per event) comes from the statistics.
  """
  out = {k: float(v) for k, v in stats.items()
         if isinstance(v, (int, float)) and not isinstance(v, bool)}
  if 'note_rnn_reward' in out:
    out['mean_log_p_note_rnn'] = out['note_rnn_reward'] / composition_length
  return out


def _latest_checkpoint_step(run_dir: str) -> int:
  """The step of the newest committed checkpoint unit of ``run_dir`` (or 0).

  Units are rl_tuner/run_state.py's ``OUT/checkpoints/unit-<step>.json``
  manifests (read here without importing TensorFlow).
  """
  ckpt_dir = os.path.join(run_dir, 'checkpoints')
  if not os.path.isdir(ckpt_dir):
    return 0
  steps = [int(m.group(1)) for m in map(_UNIT_RE.match, os.listdir(ckpt_dir))
           if m]
  return max(steps, default=0)


def _log_attempt(run_dir: str, **fields) -> None:
  os.makedirs(run_dir, exist_ok=True)
  fields.update(pid=os.getpid(), time=time.time())
  with open(os.path.join(run_dir, ATTEMPTS_FILENAME), 'a') as f:
    f.write(json.dumps(fields, sort_keys=True) + '\n')


def read_result(output_dir: str, trial_name: str) -> Optional[Dict]:
  """A finished trial's result dict ({'metrics', 'baseline', ...}) or None."""
  path = os.path.join(trial_dir(output_dir, trial_name), RESULT_FILENAME)
  if not os.path.exists(path):
    return None
  with open(path) as f:
    return json.load(f)


def run_trial(trial: sweep_spec_lib.TrialSpec,
              sweep: sweep_spec_lib.SweepSpec, output_dir: str,
              note_rnn_dir: str,
              report: Optional[Callable[[Dict[str, float]], None]] = None
              ) -> Dict[str, float]:
  """Trains (or resumes, or skips) one trial; returns its final metrics.

  Args:
    trial: the trial.
    sweep: its sweep (run length, intervals, threads).
    output_dir: the sweep's OUT; the run dir is ``OUT/trials/<name>``.
    note_rnn_dir: the trained Note RNN checkpoint directory.
    report: called with the metrics (:func:`trial_metrics`, plus 'step') of
      every evaluation of the tuned model.

  Returns:
    The final evaluation's metrics.

  Raises:
    ValueError: if the trial's hparams do not parse.
  """
  # TensorFlow only here: importing the sweep modules stays cheap.
  # pylint: disable=g-import-not-at-top
  from rl_tuner import midi_io
  from rl_tuner import paths
  from rl_tuner import rl_tuner as rl_tuner_lib
  from rl_tuner import rl_tuner_hparams
  from rl_tuner import rl_tuner_runner
  from rl_tuner import run_state
  # pylint: enable=g-import-not-at-top
  report = report or (lambda metrics: None)
  run_dir = trial_dir(output_dir, trial.name)
  done = read_result(output_dir, trial.name)
  if done is not None:
    _log_attempt(run_dir, start_step=done['metrics'].get('step'),
                 skipped=True)
    report(done['metrics'])
    return done['metrics']
  _log_attempt(run_dir, start_step=_latest_checkpoint_step(run_dir),
               skipped=False)
  rl_tuner_lib.configure_cpu_threads(sweep.num_threads)
  hparams = rl_tuner_hparams.parse_hparams(trial.hparams)
  primer = (midi_io.load_primer_actions(
      sweep.midi_primer or paths.DEFAULT_MIDI_PRIMER)
            if hparams.priming == 'midi' else None)
  agent = rl_tuner_lib.RLTuner.from_note_rnn_checkpoint(
      hparams, note_rnn_dir, primer)
  steps = sweep.num_steps
  config = rl_tuner_runner.RunnerConfig(
      num_steps=steps, log_every=max(steps // 10, 1),
      summary_every=max(steps // 100, 1), eval_every=sweep.eval_every,
      checkpoint_every=sweep.checkpoint_every,
      num_eval_compositions=sweep.num_eval_compositions, num_midi=1)
  length = hparams.composition_length
  runner = rl_tuner_runner.RLTunerRunner(
      agent, run_dir, config,
      on_evaluate=lambda stats: report(trial_metrics(stats, length)))
  result = runner.run()
  metrics = trial_metrics(result['tuned'], length)
  run_state.write_json(
      os.path.join(run_dir, RESULT_FILENAME),
      {'trial': trial.name, 'config': trial.config_name,
       'algorithm': trial.algorithm, 'seed': trial.seed,
       'grid': dict(trial.grid), 'hparams': trial.hparams,
       'metrics': metrics,
       'baseline': trial_metrics(result['note_rnn'], length)})
  return metrics
