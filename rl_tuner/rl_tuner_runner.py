"""The RL Tuner's experiment runner: loop, logs, summaries, checkpoints, outputs.

Layout of an output directory OUT:

  OUT/checkpoints/   one unit per saved step N (rl_tuner.run_state): the
                     agent's tf.train.Checkpoint ckpt-N (q network, target
                     network, reward RNN, optimiser, step counter, random
                     generator), replay_memory-N.npz, reward_history-N.npz and
                     the manifest unit-N.json, renamed in last; the newest
                     run_state.KEEP_UNITS units are kept. Beside them
                     ``rl_tuner_hparams.json`` and ``note_rnn_config.json``
                     (enough to load the tuned model without the original
                     Note RNN directory).
  OUT/hparams_history.json   every start of the run with its hparams.
  OUT/train/, OUT/eval/   TensorBoard summaries (gated by an interval).
  OUT/eval/stats_<step>.json   evaluation statistics (StatisticsAccumulator)
                     and mean rewards per composition at each evaluation.
  OUT/eval/note_rnn_baseline.json   the same for the untuned Note RNN.
  OUT/reward_history.npz, OUT/figures/reward_history.png   mean total,
                     music-theory and Note RNN reward per composition.
  OUT/midi/*.mid, OUT/figures/note_probabilities_*.png   generated melodies
                     (primed with the primer) and their note probabilities.

Restore-or-initialise: a run started again on the same OUT resumes from the
newest complete unit (a killed run loses at most one checkpoint interval;
a damaged newest unit falls back to the one before, and says so). Started
with other hparams it refuses, naming them, unless told to overwrite the old
run or resume with the changes (run_state.check_hparams).
Evaluation samples the next event from the policy's softmax (the paper's
protocol), for the untuned Note RNN and the tuned model alike.
"""

import dataclasses
import json
import os
import time
from typing import Callable, Dict, Optional

from absl import logging
import numpy as np
import tensorflow as tf

from rl_tuner import figures
from rl_tuner import file_errors
from rl_tuner import midi_io
from rl_tuner import rl_tuner as rl_tuner_lib
from rl_tuner import rl_tuner_hparams
from rl_tuner import run_state
from rl_tuner.note_rnn import note_rnn_model
from rl_tuner.rewards import diversity
from rl_tuner.rewards import statistics
from tensorflow.core.framework import summary_pb2

HPARAMS_FILENAME = run_state.HPARAMS_FILENAME
REPLAY_FILENAME = run_state.LEGACY_REPLAY_FILENAME
HISTORY_KEYS = ('step', 'total_reward', 'music_theory_reward',
                'note_rnn_reward')


_write_json = run_state.write_json


_SCALAR_METADATA = summary_pb2.SummaryMetadata(
    plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name='scalars'),
    data_class=summary_pb2.DATA_CLASS_SCALAR)


def scalar_summary(name: str, value: float, step: int) -> None:
  """A TensorBoard scalar via tf.summary.write (TensorBoard need not be
  installed to write; tf.summary.scalar needs it, tensorflow-cpu lacks it)."""
  tf.summary.write(name, tf.constant(value, tf.float32), step=step,
                   metadata=_SCALAR_METADATA)


def _checkpoint_dir(directory: str) -> str:
  sub = os.path.join(directory, 'checkpoints')
  return sub if os.path.isdir(sub) else directory


def _empty_history() -> Dict[str, list]:
  return {k: [] for k in HISTORY_KEYS}


def save_checkpoint(agent, directory: str, history=None) -> str:
  """Commits the agent's state at its global step as one unit.

  Args:
    agent: the RLTuner.
    directory: the checkpoints directory (OUT/checkpoints).
    history: the reward history to store with it (default: empty).

  Returns:
    The checkpoint prefix (``directory/ckpt-N``).
  """
  agent.note_rnn_config.save(directory)
  _write_json(os.path.join(directory, HPARAMS_FILENAME),
              agent.hparams.to_dict())
  unit = run_state.commit(directory, int(agent.global_step.numpy()),
                          agent.checkpoint(), agent.replay_memory,
                          history if history is not None else _empty_history())
  return unit.checkpoint


def _restore_checkpoint(agent, path: str) -> None:
  """Restores a checkpoint prefix into the agent.

  Raises:
    file_errors.CorruptFileError: naming the checkpoint if it is unreadable or
      does not match the agent.
  """
  run_state.read_checkpoint(agent.checkpoint(), path)


def restore_agent(agent, directory: str, with_replay: bool = True,
                  clean: bool = False, history: Optional[dict] = None) -> int:
  """Restores the newest intact unit under ``directory`` (or checkpoints/).

  Args:
    agent: the RLTuner to restore into.
    directory: a runner output dir or its checkpoints/ dir.
    with_replay: also restore the replay memory.
    clean: remove stray and uncommitted files first (the owning run only).
    history: if given, a dict filled with the unit's reward history.

  Returns:
    The restored global step.

  Raises:
    FileNotFoundError: if there is no checkpoint.
    file_errors.CorruptFileError: if no checkpoint is intact.
  """
  ckpt_dir = _checkpoint_dir(directory)

  def restore(unit):
    _restore_checkpoint(agent, unit.checkpoint)
    if with_replay:
      agent.replay_memory.load(unit.replay_memory)
    if history is not None:
      history.clear()
      history.update(run_state.load_history(unit.reward_history,
                                            HISTORY_KEYS))

  unit = run_state.restore_newest(ckpt_dir, restore, clean=clean)
  if unit is None:  # A directory written before units existed.
    latest = tf.train.latest_checkpoint(ckpt_dir)
    if not latest:
      raise FileNotFoundError(f'No RL Tuner checkpoint in {directory!r}')
    _restore_checkpoint(agent, latest)
    replay = os.path.join(ckpt_dir, REPLAY_FILENAME)
    if with_replay and os.path.exists(replay):
      agent.replay_memory.load(replay)
  agent.reset()
  return int(agent.global_step.numpy())


def load_hparams(directory: str) -> rl_tuner_hparams.RLTunerHParams:
  """The hparams a tuned checkpoint directory was trained with.

  Raises:
    FileNotFoundError: if the directory holds no rl_tuner_hparams.json.
    file_errors.CorruptFileError: naming the file if it is not valid hparams.
  """
  path = os.path.join(_checkpoint_dir(directory), HPARAMS_FILENAME)
  if not os.path.exists(path):
    raise FileNotFoundError(f'{directory!r} is not a tuned RL Tuner '
                            f'checkpoint directory (no {HPARAMS_FILENAME})')
  try:
    with open(path) as f:
      return rl_tuner_hparams.RLTunerHParams(**json.load(f))
  except (OSError, ValueError, TypeError) as e:
    raise file_errors.CorruptFileError(
        path, f'not valid RL Tuner hparams ({file_errors.describe(e)})') from e


def is_tuned_checkpoint(directory: str) -> bool:
  return os.path.exists(os.path.join(_checkpoint_dir(directory),
                                     HPARAMS_FILENAME))


def load_tuned_agent(directory: str, primer_actions=None,
                     **hparams_changes) -> rl_tuner_lib.RLTuner:
  """An RLTuner restored from a tuned checkpoint (no original Note RNN needed).

  Args:
    directory: a runner output dir or its checkpoints/ dir.
    primer_actions: primer for 'midi' priming (else priming becomes 'random').
    **hparams_changes: hparams to override (e.g. replay_memory_size=32 to
      skip allocating the replay memory).
  """
  hparams = load_hparams(directory)
  if primer_actions is None:
    hparams_changes.setdefault('priming', 'random')
  hparams = dataclasses.replace(hparams, **hparams_changes)
  config = note_rnn_model.NoteRNNConfig.load(_checkpoint_dir(directory))
  agent = rl_tuner_lib.RLTuner.from_config(hparams, config, primer_actions)
  restore_agent(agent, directory, with_replay=False)
  return agent


def write_melodies(agent, directory: str, num_melodies: int, seed: int = 0,
                   prefix: str = 'composition', sample: bool = True,
                   num_figures: Optional[int] = None):
  """Writes N melodies as MIDI (primer included) and probability figures.

  Args:
    agent: a tuned agent.
    directory: output directory (midi/ and figures/ are created in it).
    num_melodies: melodies to generate and write as MIDI.
    seed: sampling seed.
    prefix: file name prefix.
    sample: sample from the softmax (else argmax).
    num_figures: note-probability figures for the first this many melodies
      only (a figure takes ~0.5 s, a MIDI file ~1 ms); None = all.

  Returns:
    The list of MIDI paths.
  """
  compositions, probs = agent.generate_music_sequence(
      num_melodies, sample=sample, seed=seed)
  primer = agent.primer_actions if agent.hparams.priming == 'midi' else None
  paths = []
  for i, (actions, p) in enumerate(zip(compositions, probs)):
    paths.append(midi_io.write_composition_midi(
        os.path.join(directory, 'midi', f'{prefix}_{i}.mid'), actions,
        primer))
    if num_figures is not None and i >= num_figures:
      continue
    figures.plot_note_probabilities(
        p, actions, os.path.join(directory, 'figures',
                                 f'note_probabilities_{prefix}_{i}.png'),
        title=f'{agent.hparams.algorithm}: note probabilities')
  return paths


def save_model_and_figs(agent, directory: str, num_figures: int = 1) -> str:
  """Checkpoint + replay memory + melodies/figures into ``directory``."""
  path = save_checkpoint(agent, run_state.checkpoint_dir(directory))
  write_melodies(agent, directory, num_figures)
  return path


@dataclasses.dataclass(frozen=True)
class RunnerConfig:
  """Intervals (environment steps) and sizes of a run.

  Attributes:
    num_steps: environment steps to train for (paper: 1,000,000).
    log_every: steps between progress logs.
    summary_every: steps between training summaries.
    eval_every: steps between evaluations (reward history, stats JSON).
    checkpoint_every: steps between checkpoints.
    num_eval_compositions: compositions per evaluation.
    num_midi: melodies written as MIDI at the end.
  """
  num_steps: int = 200_000
  log_every: int = 20_000
  summary_every: int = 5_000
  eval_every: int = 50_000
  checkpoint_every: int = 50_000
  num_eval_compositions: int = 1000
  num_midi: int = 3

  def __post_init__(self):
    for f in dataclasses.fields(self):
      if getattr(self, f.name) <= 0:
        raise ValueError(f'RunnerConfig.{f.name} must be > 0, got '
                         f'{getattr(self, f.name)!r}')


class _IntervalRate:
  """Environment steps per wall-clock second since the previous update."""

  def __init__(self, step: int):
    self._step, self._time = step, time.perf_counter()

  def update(self, step: int) -> float:
    now = time.perf_counter()
    rate = (step - self._step) / max(now - self._time, 1e-9)
    self._step, self._time = step, now
    return rate


class RLTunerRunner:
  """Runs an RLTuner for ``config.num_steps`` steps, writing into output_dir.

  Args:
    agent: the RLTuner.
    output_dir: OUT (see module docstring).
    config: a :class:`RunnerConfig`.
    hparams_change: what to do if OUT holds a run with other hparams:
      'refuse' (raise), 'overwrite' (delete it, start afresh) or
      'resume_with_changes' (see run_state.check_hparams).
    on_evaluate: optional ``callable(stats)`` called with the tuned model's
      statistics dict after every evaluation (a sweep reports them as
      metrics; see rl_tuner/sweeps/).

  Raises:
    run_state.HParamsChangedError: in 'refuse' mode, naming the differing
      hparams; nothing has been written then.
  """

  def __init__(self, agent: rl_tuner_lib.RLTuner, output_dir: str,
               config: RunnerConfig = RunnerConfig(),
               hparams_change: str = 'refuse',
               on_evaluate: Optional[Callable[[Dict], None]] = None):
    run_state.check_hparams(output_dir, agent.hparams.to_dict(),
                            hparams_change)
    self.agent = agent
    self.on_evaluate = on_evaluate
    self.output_dir = output_dir
    self.config = config
    self.checkpoint_dir = run_state.checkpoint_dir(output_dir)
    self.train_writer = tf.summary.create_file_writer(
        os.path.join(output_dir, 'train'))
    self.eval_writer = tf.summary.create_file_writer(
        os.path.join(output_dir, 'eval'))
    self.history = _empty_history()
    self.committed_step = None  # Step of the last unit saved or restored.

  def _history_path(self):
    return os.path.join(self.output_dir, 'reward_history.npz')

  def _save(self) -> str:
    path = save_checkpoint(self.agent, self.checkpoint_dir, self.history)
    self.committed_step = int(self.agent.global_step.numpy())
    return path

  def _restore_or_initialize(self) -> int:
    history = {}
    try:
      step = restore_agent(self.agent, self.output_dir, clean=True,
                           history=history)
    except FileNotFoundError:
      self.agent.reset()
      return 0
    if history:
      self.history = history
    elif os.path.exists(self._history_path()):  # Written before units.
      old = run_state.load_history(self._history_path(), HISTORY_KEYS)
      keep = [i for i, s in enumerate(old['step']) if s <= step]
      self.history = {k: [v[i] for i in keep] for k, v in old.items()}
    self.committed_step = step
    logging.info('Resumed from %s at step %d', self.checkpoint_dir, step)
    return step

  def evaluate(self, step: int, use_note_rnn: bool = False) -> Dict[str, float]:
    """Evaluates (sampling), writes stats JSON and eval summaries."""
    agent = self.agent
    result = agent.evaluate_model(self.config.num_eval_compositions,
                                  sample=True, seed=step,
                                  use_note_rnn=use_note_rnn)
    accumulator = statistics.StatisticsAccumulator(agent.key)
    accumulator.add(result.compositions)
    variety = diversity.DiversityAccumulator()  # No reference: no OA.
    variety.add(result.compositions)
    stats = {k: float(v) if np.isscalar(v) and not isinstance(v, str) else v
             for k, v in {**accumulator.result(),
                          **variety.result()}.items()}
    rewards = {'total_reward': float(result.total_reward.mean()),
               'music_theory_reward': float(result.music_theory_reward.mean()),
               'note_rnn_reward': float(result.note_rnn_reward.mean())}
    stats.update(rewards, step=step, algorithm=agent.hparams.algorithm,
                 model='note_rnn' if use_note_rnn else 'tuned',
                 num_compositions=self.config.num_eval_compositions)
    name = ('note_rnn_baseline.json' if use_note_rnn else
            f'stats_{step}.json')
    _write_json(os.path.join(self.output_dir, 'eval', name), stats)
    if not use_note_rnn:
      with self.eval_writer.as_default():
        for k, v in rewards.items():
          scalar_summary(k, v, step)
      self.history['step'].append(step)
      for k, v in rewards.items():
        self.history[k].append(v)
      self._write_history()
      if self.on_evaluate is not None:
        self.on_evaluate(stats)
    return stats

  def _write_history(self):
    arrays = {k: np.asarray(v) for k, v in self.history.items()}
    run_state.write_history(self._history_path(), arrays)
    figures.plot_reward_history(
        arrays, os.path.join(self.output_dir, 'figures', 'reward_history.png'),
        title=f'RL Tuner ({self.agent.hparams.algorithm})')

  def run(self) -> Dict[str, Dict[str, float]]:
    """Trains to ``num_steps``; returns {'note_rnn': stats, 'tuned': stats}."""
    cfg, agent = self.config, self.agent
    step = self._restore_or_initialize()
    baseline_path = os.path.join(self.output_dir, 'eval',
                                 'note_rnn_baseline.json')
    if os.path.exists(baseline_path):
      with open(baseline_path) as f:
        baseline = json.load(f)
    else:
      baseline = self.evaluate(step, use_note_rnn=True)
    logging.info('Untuned Note RNN: music-theory reward %.3f, log p %.3f per '
                 'composition', baseline['music_theory_reward'],
                 baseline['note_rnn_reward'])
    chunk = agent.batch_size * agent.hparams.composition_length
    # Steps/s per interval (since the previous log / summary), not since the
    # start: a cumulative rate hides slow-downs and counts the compile time.
    log_rate = _IntervalRate(step)
    summary_rate = _IntervalRate(step)
    while step < cfg.num_steps:
      prev = step
      stats = agent.train(min(chunk, cfg.num_steps - step))
      step = stats.step
      crossed = lambda every: step // every > prev // every
      if crossed(cfg.summary_every):
        rate = summary_rate.update(step)
        with self.train_writer.as_default():
          for name, value in stats._asdict().items():
            if name != 'step' and np.isfinite(value):
              scalar_summary(name, value, step)
          scalar_summary('steps_per_sec', rate, step)
      if crossed(cfg.log_every) or step >= cfg.num_steps:
        rate = log_rate.update(step)
        rewards = ('reward %.2f (music theory %.2f, Note RNN %.2f) per '
                   'composition' % (stats.total_reward,
                                    stats.music_theory_reward,
                                    stats.note_rnn_reward)
                   if stats.num_compositions else 'no composition finished')
        logging.info('step %d/%d  %s  loss %.4f  epsilon %.3f  %.0f steps/s',
                     step, cfg.num_steps, rewards, stats.loss, stats.epsilon,
                     rate)
      if crossed(cfg.eval_every):
        self.evaluate(step)
      if crossed(cfg.checkpoint_every):
        self._save()
    if not self.history['step'] or self.history['step'][-1] != step:
      self.evaluate(step)
    if self.committed_step != step:
      self._save()
    write_melodies(agent, self.output_dir, cfg.num_midi)
    with open(os.path.join(self.output_dir, 'eval', f'stats_{step}.json')) as f:
      tuned = json.load(f)
    self.train_writer.flush()
    self.eval_writer.flush()
    return {'note_rnn': baseline, 'tuned': tuned}
