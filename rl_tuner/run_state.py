"""An RL Tuner run's saved state, committed one step at a time (issue 12).

One *unit* is everything a run needs to resume at environment step N, all in
OUT/checkpoints/:

  ckpt-N.index, ckpt-N.data-*   the agent's tf.train.Checkpoint (networks,
                                optimiser, step counter, random generator);
  replay_memory-N.npz           the replay memory at step N;
  reward_history-N.npz          the evaluation history up to step N;
  unit-N.json                   the manifest: step, files and their sizes,
                                transitions in memory.

The files are written first (each to a temporary name, then renamed) and the
manifest last, by one rename: a unit without its manifest does not exist, so
a kill at any point leaves the previous complete unit. Resume takes the
newest unit whose files are all present, of the recorded size and loadable;
if the newest is damaged it falls back to the next and logs that it did.
Stray temporary files and files of uncommitted steps are removed, and only
the newest KEEP_UNITS units are kept. The ``checkpoint`` state file names only
committed checkpoints, so ``tf.train.latest_checkpoint`` (generate, eval,
live) sees the newest complete one.

The hparams a run was started with are kept in rl_tuner_hparams.json beside
the units; a run started again in the same directory with other hparams is
refused (:class:`HParamsChangedError`, naming the differing fields) unless
asked to overwrite the old run or to resume with the changes; every start is
appended to OUT/hparams_history.json.
"""

import dataclasses
import glob
import json
import os
import re
import shutil
import time
from typing import Callable, Dict, List, Optional, Sequence

from absl import logging
import numpy as np
import tensorflow as tf

from rl_tuner import file_errors

KEEP_UNITS = 2  # Complete units kept (the newest and one to fall back to).
HPARAMS_FILENAME = 'rl_tuner_hparams.json'
HPARAMS_HISTORY_FILENAME = 'hparams_history.json'
LEGACY_REPLAY_FILENAME = 'replay_memory.npz'  # Before units existed.
HPARAMS_CHANGE_MODES = ('refuse', 'overwrite', 'resume_with_changes')
# What --overwrite removes from OUT: the artefacts of a run, nothing else.
RUN_ARTEFACTS = ('checkpoints', 'train', 'eval', 'figures', 'midi',
                 'reward_history.npz')
_UNIT_RE = re.compile(r'^unit-(\d+)\.json$')
_STEP_FILE_RE = re.compile(
    r'^(ckpt|replay_memory|reward_history)-(\d+)(\.|_temp)')
_TEMP_RE = re.compile(r'(\.tmp(\.\w+)?$|_temp($|[/.]))')


class HParamsChangedError(ValueError):
  """An output dir holds a run whose hparams differ from the requested ones.

  Attributes:
    differences: field -> (stored value, requested value).
  """

  def __init__(self, directory: str, differences: Dict[str, tuple]):
    self.differences = differences
    changes = ', '.join(f'{k} {a!r} -> {b!r}'
                        for k, (a, b) in sorted(differences.items()))
    super().__init__(
        f'{directory} holds a run with other hparams ({changes}); pass '
        f'--resume_with_changes to continue that run with the new hparams, '
        f'or --overwrite to delete it and start afresh')


@dataclasses.dataclass(frozen=True)
class Unit:
  """A committed unit: its step and the paths of its files.

  Attributes:
    step: environment step N.
    checkpoint: the checkpoint prefix (``.../ckpt-N``).
    replay_memory: the replay memory .npz.
    reward_history: the reward history .npz.
    manifest: the unit-N.json path.
    num_transitions: transitions in the replay memory (its size).
  """
  step: int
  checkpoint: str
  replay_memory: str
  reward_history: str
  manifest: str
  num_transitions: int = 0


def checkpoint_dir(output_dir: str) -> str:
  return os.path.join(output_dir, 'checkpoints')


def _paths(ckpt_dir: str, step: int) -> Unit:
  return Unit(step=step, checkpoint=os.path.join(ckpt_dir, f'ckpt-{step}'),
              replay_memory=os.path.join(ckpt_dir,
                                         f'replay_memory-{step}.npz'),
              reward_history=os.path.join(ckpt_dir,
                                          f'reward_history-{step}.npz'),
              manifest=os.path.join(ckpt_dir, f'unit-{step}.json'))


def write_json(path: str, data) -> str:
  """Writes JSON to ``path`` atomically (temporary name, then rename)."""
  os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
  tmp = path + '.tmp'
  with open(tmp, 'w') as f:
    json.dump(data, f, indent=2, sort_keys=True)
  os.replace(tmp, path)
  return path


def write_history(path: str, history: Dict[str, Sequence[float]]) -> None:
  """Writes a reward history (equal-length arrays by name) atomically."""
  os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
  tmp = path + '.tmp.npz'
  np.savez(tmp, **{k: np.asarray(v) for k, v in history.items()})
  os.replace(tmp, path)


def load_history(path: str, keys: Sequence[str]) -> Dict[str, List[float]]:
  """Reads what :func:`write_history` wrote.

  Raises:
    file_errors.CorruptFileError: naming the file if it is unreadable or
      lacks a key.
  """
  try:
    with np.load(path) as h:
      return {k: h[k].tolist() for k in keys}
  except Exception as e:  # pylint: disable=broad-except
    raise file_errors.CorruptFileError(
        path, f'not a readable reward history ({file_errors.describe(e)})'
    ) from e


# The phases of a commit are module functions so that the kill test can stop
# the process between any two of them (tests/rl_tuner/run_state_kill_test.py).


def _write_checkpoint(unit: Unit, checkpoint: tf.train.Checkpoint) -> None:
  checkpoint.write(unit.checkpoint)


def _write_memory(unit: Unit, memory) -> None:
  memory.save(unit.replay_memory)


def _write_unit_history(unit: Unit, history) -> None:
  write_history(unit.reward_history, history)


def _write_manifest(unit: Unit) -> None:
  files = [p for p in glob.glob(glob.escape(unit.checkpoint) + '.*')
           if not _TEMP_RE.search(p)]
  files += [unit.replay_memory, unit.reward_history]
  write_json(unit.manifest, {
      'step': unit.step, 'num_transitions': unit.num_transitions,
      'time': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()),
      'files': {os.path.basename(p): os.path.getsize(p) for p in files}})


def _prune(unit: Unit, keep: int) -> None:
  ckpt_dir = os.path.dirname(unit.manifest)
  units = list_units(ckpt_dir)
  for step in units[:-keep] if keep else units:
    os.remove(_paths(ckpt_dir, step).manifest)  # Now the unit is gone.
  remove_uncommitted(ckpt_dir)
  _write_checkpoint_state(ckpt_dir)


def commit(ckpt_dir: str, step: int, checkpoint: tf.train.Checkpoint, memory,
           history: Dict[str, Sequence[float]],
           keep: int = KEEP_UNITS) -> Unit:
  """Saves one step's state as a unit; the manifest is renamed in last.

  Args:
    ckpt_dir: OUT/checkpoints.
    step: the environment step N.
    checkpoint: the agent's tf.train.Checkpoint.
    memory: the agent's ReplayMemory.
    history: the reward history up to step N (name -> values).
    keep: complete units to keep; older ones are deleted afterwards.

  Returns:
    The committed :class:`Unit`.
  """
  os.makedirs(ckpt_dir, exist_ok=True)
  unit = dataclasses.replace(_paths(ckpt_dir, step),
                             num_transitions=len(memory))
  _write_checkpoint(unit, checkpoint)
  _write_memory(unit, memory)
  _write_unit_history(unit, history)
  _write_manifest(unit)
  _prune(unit, keep)
  return unit


def read_checkpoint(checkpoint: tf.train.Checkpoint, path: str) -> None:
  """Restores a checkpoint written by :func:`commit` (``Checkpoint.read``).

  Raises:
    file_errors.CorruptFileError: naming ``path`` if it is missing, damaged
      (TF raises DataLossError, IndexError, ... depending on where) or holds
      no value for one of the checkpoint's existing objects.
  """
  try:
    status = checkpoint.read(path)
    status.expect_partial()
    status.assert_existing_objects_matched()
  except Exception as e:  # pylint: disable=broad-except
    raise file_errors.CorruptFileError(
        path, f'cannot restore the checkpoint ({file_errors.describe(e)})'
    ) from e


def restore_managed(checkpoint: tf.train.Checkpoint,
                    manager: tf.train.CheckpointManager) -> Optional[str]:
  """Restores the newest intact checkpoint of a CheckpointManager.

  For directories written by ``CheckpointManager.save`` (the Note RNN
  trainer, the toggle DQN): a damaged newest checkpoint falls back to the one
  before, with a warning that says so.

  Returns:
    The restored checkpoint prefix, or None if the manager has none.

  Raises:
    file_errors.CorruptFileError: if checkpoints exist but none restores.
  """
  errors = []
  for path in reversed(manager.checkpoints):
    try:
      status = checkpoint.restore(path)
      status.expect_partial()
      status.assert_existing_objects_matched()
    except Exception as e:  # pylint: disable=broad-except
      errors.append(f'{path}: {file_errors.describe(e)}')
      logging.warning('Cannot restore %s (%s); trying an older checkpoint',
                      path, file_errors.describe(e))
      continue
    if errors:
      logging.warning('Resumed from the older intact checkpoint %s because '
                      'newer ones are damaged: %s', path, '; '.join(errors))
    return path
  if errors:
    raise file_errors.CorruptFileError(
        manager.directory, 'no intact checkpoint to resume from: ' +
        '; '.join(errors))
  return None


def list_units(ckpt_dir: str) -> List[int]:
  """Steps of the committed units (manifests present), oldest first."""
  if not os.path.isdir(ckpt_dir):
    return []
  return sorted(int(m.group(1)) for m in map(_UNIT_RE.match,
                                             os.listdir(ckpt_dir)) if m)


def read_unit(ckpt_dir: str, step: int) -> Unit:
  """The unit of ``step``, its manifest and file sizes checked.

  Raises:
    file_errors.CorruptFileError: naming the manifest or the missing or
      truncated file.
  """
  unit = _paths(ckpt_dir, step)
  try:
    with open(unit.manifest) as f:
      manifest = json.load(f)
    sizes = dict(manifest['files'])
    num_transitions = int(manifest['num_transitions'])
    if int(manifest['step']) != step:
      raise ValueError(f'manifest of step {manifest["step"]}')
  except (OSError, ValueError, KeyError, TypeError) as e:
    raise file_errors.CorruptFileError(
        unit.manifest, f'not a readable unit manifest '
        f'({file_errors.describe(e)})') from e
  for name, size in sizes.items():
    path = os.path.join(ckpt_dir, name)
    if not os.path.exists(path):
      raise file_errors.CorruptFileError(path, f'missing (listed in '
                                         f'{os.path.basename(unit.manifest)})')
    if os.path.getsize(path) != size:
      raise file_errors.CorruptFileError(
          path, f'{os.path.getsize(path)} bytes, the manifest says {size} '
          '(truncated or overwritten)')
  return dataclasses.replace(unit, num_transitions=num_transitions)


def remove_uncommitted(ckpt_dir: str) -> List[str]:
  """Deletes temporary files and files of steps without a committed unit.

  A directory written before units existed (a ``checkpoint`` state file and
  no manifest) keeps its checkpoints; only temporary files go.

  Returns:
    The removed paths.
  """
  if not os.path.isdir(ckpt_dir):
    return []
  committed = set(list_units(ckpt_dir))
  legacy = not committed and os.path.exists(os.path.join(ckpt_dir,
                                                         'checkpoint'))
  removed = []
  for name in sorted(os.listdir(ckpt_dir)):
    match = _STEP_FILE_RE.match(name)
    stray = _TEMP_RE.search(name) or (match and not legacy and
                                      int(match.group(2)) not in committed)
    if stray:
      path = os.path.join(ckpt_dir, name)
      if os.path.isdir(path):
        shutil.rmtree(path, ignore_errors=True)
      else:
        os.remove(path)
      removed.append(path)
  return removed


def _write_checkpoint_state(ckpt_dir: str) -> None:
  """The ``checkpoint`` file of tf.train.latest_checkpoint: committed only."""
  steps = list_units(ckpt_dir)
  path = os.path.join(ckpt_dir, 'checkpoint')
  if not steps:
    if os.path.exists(path):
      os.remove(path)
    return
  lines = [f'model_checkpoint_path: "ckpt-{steps[-1]}"']
  lines += [f'all_model_checkpoint_paths: "ckpt-{s}"' for s in steps]
  with open(path + '.tmp', 'w') as f:
    f.write('\n'.join(lines) + '\n')
  os.replace(path + '.tmp', path)


def restore_newest(ckpt_dir: str, restore: Callable[[Unit], None],
                   clean: bool = False) -> Optional[Unit]:
  """Restores the newest intact unit, falling back to older ones.

  Args:
    ckpt_dir: OUT/checkpoints.
    restore: loads a unit into the agent; raises ValueError (e.g. a
      CorruptFileError), OSError or tf.errors.OpError if it cannot.
    clean: first remove stray temporary files and uncommitted steps (only
      the run that owns the directory may: a reader such as rl_tuner_generate
      must not delete what a running training is writing).

  Returns:
    The restored unit, or None if there is no committed unit.

  Raises:
    file_errors.CorruptFileError: if units exist but none can be restored
      (naming the newest one's problem).
  """
  removed = remove_uncommitted(ckpt_dir) if clean else []
  if removed:
    logging.info('Removed %d stray or uncommitted files from %s: %s',
                 len(removed), ckpt_dir,
                 ', '.join(os.path.basename(p) for p in removed))
  errors = []
  for step in reversed(list_units(ckpt_dir)):
    try:
      unit = read_unit(ckpt_dir, step)
      restore(unit)
    except (ValueError, OSError, tf.errors.OpError) as e:
      message = str(e).strip().splitlines()[0] if str(e).strip() else repr(e)
      errors.append(f'step {step}: {message}')
      logging.warning('Cannot resume from the unit of step %d (%s); trying '
                      'an older one', step, message)
      continue
    if errors:
      logging.warning('Resumed from the older intact unit of step %d because '
                      'newer units are damaged: %s', step, '; '.join(errors))
    if clean:
      for newer in list_units(ckpt_dir):
        if newer > step:  # Damaged: uncommit it, so it is retrained.
          os.remove(_paths(ckpt_dir, newer).manifest)
      remove_uncommitted(ckpt_dir)
      _write_checkpoint_state(ckpt_dir)
    return unit
  if errors:
    raise file_errors.CorruptFileError(
        ckpt_dir, 'no intact checkpoint to resume from: ' + '; '.join(errors))
  return None


def _differences(stored: dict, requested: dict) -> Dict[str, tuple]:
  keys = set(stored) | set(requested)
  return {k: (stored.get(k), requested.get(k)) for k in sorted(keys)
          if stored.get(k) != requested.get(k)}


def stored_differences(output_dir: str, hparams: Dict[str, object]
                       ) -> Dict[str, tuple]:
  """Fields whose stored value in ``output_dir`` differs (nothing written).

  Returns:
    field -> (stored, requested); empty if no run is stored there.

  Raises:
    file_errors.CorruptFileError: if the stored hparams file is unreadable.
  """
  stored_path = os.path.join(checkpoint_dir(output_dir), HPARAMS_FILENAME)
  if not os.path.exists(stored_path):
    return {}
  try:
    with open(stored_path) as f:
      stored = json.load(f)
    if not isinstance(stored, dict):
      raise ValueError('not a JSON object')
  except (OSError, ValueError) as e:
    raise file_errors.CorruptFileError(
        stored_path, f'unreadable hparams ({file_errors.describe(e)}); '
        'pass --overwrite to start afresh') from e
  return _differences(stored, hparams)


def check_hparams(output_dir: str, hparams: Dict[str, object],
                  mode: str = 'refuse') -> None:
  """Guards an output dir against mixing two runs' hparams (issue 12, item 8).

  Must be called before anything is written into ``output_dir``.

  Args:
    output_dir: OUT.
    hparams: the requested hparams as a dict.
    mode: 'refuse' (a stored run with other hparams is an error),
      'overwrite' (delete that run's artefacts, RUN_ARTEFACTS, and start
      afresh) or 'resume_with_changes' (continue it with the new hparams).

  Raises:
    HParamsChangedError: in 'refuse' mode, naming each differing field with
      its stored and requested value.
    ValueError: on an unknown mode.
    file_errors.CorruptFileError: if the stored hparams file is unreadable.
  """
  if mode not in HPARAMS_CHANGE_MODES:
    raise ValueError(f'hparams change mode must be one of '
                     f'{HPARAMS_CHANGE_MODES}, got {mode!r}')
  stored_path = os.path.join(checkpoint_dir(output_dir), HPARAMS_FILENAME)
  differences = {}
  event = 'start'
  if os.path.exists(stored_path):
    differences = ({} if mode == 'overwrite' else
                   stored_differences(output_dir, hparams))
    event = 'resume'
    if differences and mode == 'refuse':
      raise HParamsChangedError(output_dir, differences)
    if differences and mode == 'resume_with_changes':
      event = 'resume_with_changes'
  if mode == 'overwrite' and os.path.exists(output_dir):
    for name in RUN_ARTEFACTS:
      path = os.path.join(output_dir, name)
      if os.path.isdir(path):
        shutil.rmtree(path)
      elif os.path.exists(path):
        os.remove(path)
    event = 'overwrite'
  steps = list_units(checkpoint_dir(output_dir))
  history_path = os.path.join(output_dir, HPARAMS_HISTORY_FILENAME)
  history = []
  if os.path.exists(history_path):
    try:
      with open(history_path) as f:
        history = list(json.load(f))
    except (OSError, ValueError, TypeError):
      logging.warning('Unreadable %s: starting a new hparams history',
                      history_path)
  history.append({
      'time': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()),
      'event': event, 'step': steps[-1] if steps else 0,
      'changes': {k: list(v) for k, v in differences.items()},
      'hparams': hparams})
  write_json(history_path, history)
  write_json(stored_path, hparams)
