r"""Sweeps RL Tuner trainings on Ray Tune: algorithms x seeds x an hparams grid.

  bazel run //rl_tuner:sweep -- --config=sweeps/table1_seeds.yaml
  bazel run //rl_tuner:sweep -- --algorithms=q,psi,g --seeds=0,1,2 \
      --grid=reward_scaler=0.5:1:2:4 --num_steps=1000000
  bazel run //rl_tuner:sweep -- ... --ray_address=HOST:6379   # a cluster

Every trial is an ordinary, resumable rl_tuner_train run dir
(OUT/trials/<algorithm>_seed<seed>[_<name>-<value>...]); each evaluation's
Table-1 statistics, mean log p(a|s) and r_MT are Tune metrics; at the end the
sweep writes OUT/results.md, OUT/results.csv and OUT/results.png. Run the
same command again after a crash or a kill: finished trials are not rerun,
unfinished ones resume from their last checkpoint. Flags given explicitly
override the --config file's values. --grid takes any RLTunerHParams field,
e.g. --grid="reward_scaler=1:2;discount=0.5:0.9". --asha_metric stops
hopeless trials early (ASHA) by a reported metric.
"""

import os
import sys

# Run as a script, Python puts this file's directory first on sys.path; drop
# it (the repository root comes from PYTHONPATH or the Bazel runfiles).
if sys.path and os.path.realpath(sys.path[0]) == os.path.dirname(
    os.path.realpath(__file__)):
  sys.path.pop(0)

from absl import app  # pylint: disable=g-import-not-at-top
from absl import flags  # pylint: disable=g-import-not-at-top

from rl_tuner import paths  # pylint: disable=g-import-not-at-top
from rl_tuner.sweeps import sweep_spec as sweep_spec_lib  # pylint: disable=g-import-not-at-top

_CONFIG = flags.DEFINE_string('config', '', 'YAML sweep config (see '
                              'rl_tuner/sweeps/sweep_spec.py), relative to '
                              'the working dir.')
_ALGORITHMS = flags.DEFINE_list('algorithms', ['q', 'psi', 'g'],
                                'Algorithms to sweep.')
_SEEDS = flags.DEFINE_list('seeds', ['0'], 'Training seeds.')
_GRID = flags.DEFINE_string('grid', '', 'hparams grid "name=v1:v2;name2=..".')
_HPARAMS = flags.DEFINE_string('hparams', '',
                               'Fixed RLTunerHParams overrides for every '
                               'trial.')
_NUM_STEPS = flags.DEFINE_integer('num_steps', 1_000_000,
                                  'Environment steps per trial.')
_EVAL_EVERY = flags.DEFINE_integer('eval_every', 200_000,
                                   'Steps between reported evaluations.')
_CHECKPOINT_EVERY = flags.DEFINE_integer('checkpoint_every', 100_000,
                                         'Steps between checkpoints.')
_NUM_EVAL = flags.DEFINE_integer('num_eval_compositions', 1000,
                                 'Compositions per evaluation.')
_MAX_CONCURRENT = flags.DEFINE_integer(
    'max_concurrent', 0, 'Trials at once (0: as many as Ray has CPUs).')
_NUM_THREADS = flags.DEFINE_integer('num_threads', 1,
                                    'TensorFlow threads (and Ray CPUs) per '
                                    'trial.')
_SEARCH = flags.DEFINE_enum('search', 'grid', ['grid'],
                            'Search algorithm (grid only so far).')
_RAY_ADDRESS = flags.DEFINE_string(
    'ray_address', '', 'HOST:PORT of a running Ray cluster (default: start '
    'Ray embedded on this machine).')
_ASHA_METRIC = flags.DEFINE_string(
    'asha_metric', '', 'Stop trials early with ASHA by this reported metric, '
    'e.g. mean_music_theory_reward (default: no early stopping).')
_ASHA_MODE = flags.DEFINE_enum('asha_mode', 'max', ['max', 'min'],
                               'Whether --asha_metric is to be maximised.')
_MAX_FAILURES = flags.DEFINE_integer('max_failures', 3,
                                     'Retries of a trial whose worker died.')
_NOTE_RNN_DIR = flags.DEFINE_string(
    'note_rnn_checkpoint_dir', paths.DEFAULT_NOTE_RNN_CHECKPOINT_DIR,
    'Trained Note RNN checkpoint directory.')
_OUTPUT_DIR = flags.DEFINE_string('output_dir', 'output/sweep',
                                  'Sweep output dir (relative to the working '
                                  'dir).')
_RAY_TEMP_DIR = flags.DEFINE_string('ray_temp_dir', '',
                                    'Session dir of an embedded Ray.')

# Flag name -> SweepSpec field for the flags that override a --config file.
_SPEC_FLAGS = {
    'algorithms': 'algorithms', 'seeds': 'seeds', 'grid': 'grid',
    'hparams': 'hparams', 'num_steps': 'num_steps',
    'eval_every': 'eval_every', 'checkpoint_every': 'checkpoint_every',
    'num_eval_compositions': 'num_eval_compositions',
    'max_concurrent': 'max_concurrent', 'num_threads': 'num_threads',
}


def build_spec() -> sweep_spec_lib.SweepSpec:
  """The SweepSpec of --config overridden by the flags set explicitly.

  Raises:
    app.UsageError: naming the bad flag or config value.
  """
  data = {}
  try:
    if _CONFIG.value:
      spec = sweep_spec_lib.SweepSpec.from_yaml(
          paths.resolve_user_path(_CONFIG.value))
      data = {f: getattr(spec, f) for f in _SPEC_FLAGS.values()}
      data['grid'] = {k: list(v) for k, v in spec.grid}
    for flag_name, field in _SPEC_FLAGS.items():
      if not _CONFIG.value or flags.FLAGS[flag_name].present:
        data[field] = flags.FLAGS[flag_name].value
    return sweep_spec_lib.SweepSpec.from_dict(data)
  except (OSError, ValueError) as e:
    raise app.UsageError(f'sweep: {e}') from e


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'Unexpected arguments: {argv[1:]}')
  spec = build_spec()
  from rl_tuner.sweeps import tune_sweep  # pylint: disable=g-import-not-at-top
  out = paths.resolve_user_path(_OUTPUT_DIR.value)
  results = tune_sweep.run_sweep(
      spec, out, paths.resolve_user_path(_NOTE_RNN_DIR.value),
      ray_address=_RAY_ADDRESS.value or None,
      asha_metric=_ASHA_METRIC.value or None, asha_mode=_ASHA_MODE.value,
      max_failures=_MAX_FAILURES.value,
      ray_temp_dir=_RAY_TEMP_DIR.value or None,
      title=' '.join(['sweep'] + sys.argv[1:]))
  print(f'{len(results)}/{len(spec.trials())} trials finished; table: '
        f'{os.path.join(out, "results.md")}')


if __name__ == '__main__':
  app.run(main)
