"""Maximum-likelihood training of the Note RNN on encoded melody windows.

The recipe is the paper's (Jaques et al. 2017, ../shared/SPEC.md section 1):
one LSTM layer of 100 cells, batch 128, gradient global-norm clip 5, L2 weight
2.5e-5 on the kernels, the losses of the first 8 steps skipped (here only
in windows that start mid-melody: a window that opens its melody is scored
from its first prediction, ``score_melody_starts``). Learning rate: Adam at its default 1e-3 with no decay, as the public
code trains it (the paper's 0.5 decayed x0.85 every 1000 steps is available
through ``learning_rate=0.5,lr_decay_rate=0.85``, but 0.5 is far too large a
step for Adam). The shipped checkpoint used Adam 1e-3 decayed x0.85 every 2000
steps (``--hparams=lr_decay_rate=0.85,lr_decay_steps=2000``, 20,000 steps).

Metrics: validation windows are cut with stride ``window_steps`` (each step
of a held-out tune lands in one window); accuracy is argmax == next event and
log perplexity the mean negative log-likelihood in nats per step, both over
the scored steps (not the first ``skip_first_steps`` of a mid-melody window,
not padding); the bigram baseline is scored on exactly the same steps. Whole
held-out melodies, every step, are scored by :mod:`held_out_eval`.

Output directory layout (``OUTPUT_DIR``):

  OUTPUT_DIR/note_rnn_config.json, ckpt-N.*, checkpoint
                        tf.train.CheckpointManager over model, optimiser and
                        step (restore-or-initialize: a killed run resumes);
                        loadable by NoteRNNLoader as is.
  OUTPUT_DIR/note_rnn_hparams.json   the training hparams.
  OUTPUT_DIR/train/, OUTPUT_DIR/eval/   TensorBoard summaries.

:func:`export_model` re-saves only the model weights (no optimiser slots)
into a small directory, as shipped in ``rl_tuner/note_rnn/pretrained/``.
"""

import dataclasses
import json
import os
import time
from typing import Dict, Optional, Tuple

from absl import logging
import numpy as np
import tensorflow as tf

from rl_tuner import encoding
from rl_tuner import hparams_overrides
from rl_tuner import run_state
from rl_tuner.note_rnn import melody_pipeline
from rl_tuner.note_rnn import note_rnn_model
from tensorflow.core.framework import summary_pb2

HPARAMS_FILENAME = 'note_rnn_hparams.json'
RECORD_FILENAME = 'training_record.json'


@dataclasses.dataclass(frozen=True)
class NoteRNNHParams:
  """Training hyperparameters of the Note RNN.

  Attributes:
    layer_sizes: LSTM cells per layer (paper (100,)); in ``--hparams`` write
      several as ``layer_sizes=256:256``.
    batch_size: windows per step (paper 128).
    learning_rate: Adam learning rate (1e-3 = Adam's default, used by the
      public code; the paper quotes 0.5).
    lr_decay_rate: staircase decay factor per ``lr_decay_steps`` (1.0 = none;
      paper 0.85).
    lr_decay_steps: steps between decays (paper 1000).
    clip_norm: global gradient-norm clip (paper 5).
    l2_weight: weight of the L2 loss on the kernels (paper 2.5e-5).
    skip_first_steps: predictions at the start of a window left out of the
      loss and the metrics (paper 8: every window).
    score_melody_starts: windows that open their melody are scored from
      their first prediction (only mid-melody windows skip
      ``skip_first_steps``), so the model learns how melodies begin and
      one-note and MIDI priming are both in its training distribution.
      False skips the first steps of every window, as the paper.
    window_steps: events per training window (64: 63 predictions).
    window_stride: steps between window starts in a melody (training windows
      overlap by half; validation windows use a stride of ``window_steps``).
    seed: seed of the weight initialisation and the batch order.
  """
  layer_sizes: Tuple[int, ...] = (100,)
  batch_size: int = 128
  learning_rate: float = 1e-3
  lr_decay_rate: float = 1.0
  lr_decay_steps: int = 1000
  clip_norm: float = 5.0
  l2_weight: float = 2.5e-5
  skip_first_steps: int = 8
  score_melody_starts: bool = True
  window_steps: int = 64
  window_stride: int = 32
  seed: int = 0

  def __post_init__(self):
    object.__setattr__(self, 'layer_sizes',
                       tuple(int(s) for s in self.layer_sizes))
    hparams_overrides.check_numbers(self, {
        'learning_rate': 1.0, 'clip_norm': 1e6, 'l2_weight': 1.0,
        'layer_sizes': 65_536, 'batch_size': 65_536, 'window_steps': 65_536})
    checks = {
        'layer_sizes': bool(self.layer_sizes) and min(self.layer_sizes) > 0,
        'batch_size': self.batch_size > 0,
        'learning_rate': self.learning_rate > 0,
        'lr_decay_rate': 0 < self.lr_decay_rate <= 1,
        'lr_decay_steps': self.lr_decay_steps > 0,
        'clip_norm': self.clip_norm > 0,
        'l2_weight': self.l2_weight >= 0,
        'skip_first_steps': self.skip_first_steps >= 0,
        'window_steps': self.window_steps > self.skip_first_steps + 1,
        'window_stride': self.window_stride > 0,
    }
    for name, ok in checks.items():
      if not ok:
        raise ValueError(f'NoteRNNHParams.{name} is out of range: '
                         f'{getattr(self, name)!r}')

  def to_dict(self) -> Dict[str, object]:
    return dataclasses.asdict(self)


def parse_hparams(overrides: str,
                  base: NoteRNNHParams = NoteRNNHParams()) -> NoteRNNHParams:
  """Parses ``"batch_size=64,layer_sizes=256:256"`` over ``base``.

  Raises:
    ValueError: naming an unknown hyperparameter, a malformed pair or a bad
      value.
  """
  return hparams_overrides.parse_overrides(overrides, base)


def sequence_loss(logits, labels, skip_first_steps):
  """Masked cross-entropy over a batch of windows.

  Args:
    logits: float ``[batch, time, 38]``.
    labels: int ``[batch, time]``; :data:`melody_pipeline.PAD` (-1) = none.
    skip_first_steps: leading predictions not scored: an int for every
      window, or int ``[batch]`` per window (see
      :func:`melody_pipeline.window_skips`).

  Returns:
    (mean NLL in nats over scored steps, correct-prediction count, number of
    scored steps, sum of NLL), all scalars.
  """
  labels = tf.convert_to_tensor(labels)
  t = tf.range(tf.shape(labels)[1])[tf.newaxis, :]
  skip = tf.reshape(tf.cast(skip_first_steps, tf.int32), [-1, 1])
  weights = tf.cast((labels != melody_pipeline.PAD) & (t >= skip),
                    tf.float32)
  safe_labels = tf.maximum(labels, 0)
  nll = tf.nn.sparse_softmax_cross_entropy_with_logits(
      labels=safe_labels, logits=logits)
  total = tf.reduce_sum(weights)
  nll_sum = tf.reduce_sum(nll * weights)
  correct = tf.reduce_sum(weights * tf.cast(
      tf.equal(tf.argmax(logits, -1, output_type=safe_labels.dtype),
               safe_labels), tf.float32))
  return nll_sum / tf.maximum(total, 1.0), correct, total, nll_sum


def windows_to_inputs(windows):
  """int windows ``[B, T]`` -> (one-hot inputs ``[B, T-1, 38]``, labels
  ``[B, T-1]``); padded inputs become all-zero vectors."""
  windows = tf.convert_to_tensor(windows, tf.int32)
  inputs = tf.one_hot(windows[:, :-1], encoding.NUM_CLASSES)  # -1 -> zeros.
  return inputs, windows[:, 1:]


_SCALAR_METADATA = summary_pb2.SummaryMetadata(
    plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name='scalars'),
    data_class=summary_pb2.DATA_CLASS_SCALAR)


def _scalar(name: str, value: float, step: int) -> None:
  # tf.summary.scalar needs the tensorboard package (absent with
  # tensorflow-cpu); tf.summary.write with scalar metadata is equivalent.
  tf.summary.write(name, tf.constant(value, tf.float32), step=step,
                   metadata=_SCALAR_METADATA)


def write_json(path: str, data) -> None:
  """Writes ``data`` as indented, key-sorted JSON atomically (tmp + rename)."""
  tmp = path + '.tmp'
  with open(tmp, 'w') as f:
    json.dump(data, f, indent=2, sort_keys=True)
  os.replace(tmp, path)


class NoteRNNTrainer:
  """Trains a Note RNN, with checkpoints, summaries and validation metrics.

  Args:
    hparams: :class:`NoteRNNHParams`.
    output_dir: checkpoint and summary directory (created). If it holds a
      checkpoint, :meth:`restore_or_initialize` resumes from it; the hparams
      must then describe the same architecture.
    max_to_keep: checkpoints kept by the CheckpointManager.

  Raises:
    ValueError: if ``output_dir`` holds a Note RNN config of another
      architecture.
  """

  def __init__(self, hparams: NoteRNNHParams, output_dir: str,
               max_to_keep: int = 3):
    self.hparams = hparams
    self.output_dir = output_dir
    os.makedirs(output_dir, exist_ok=True)
    self.config = note_rnn_model.NoteRNNConfig(layer_sizes=hparams.layer_sizes)
    config_path = os.path.join(output_dir, note_rnn_model.CONFIG_FILENAME)
    if os.path.exists(config_path):
      old = note_rnn_model.NoteRNNConfig.load(output_dir)
      if old != self.config:
        raise ValueError(
            f'{output_dir!r} holds a Note RNN {old} but the hparams ask for '
            f'{self.config}; use another --output_dir')
    tf.keras.utils.set_random_seed(hparams.seed)
    self.model = note_rnn_model.NoteRNN(self.config)
    self.step = tf.Variable(0, dtype=tf.int64, name='step')
    lr = tf.keras.optimizers.schedules.ExponentialDecay(
        hparams.learning_rate, hparams.lr_decay_steps, hparams.lr_decay_rate,
        staircase=True)
    self.optimizer = tf.keras.optimizers.Adam(learning_rate=lr)
    self.optimizer.build(self.model.trainable_variables)
    self.checkpoint = tf.train.Checkpoint(model=self.model,
                                          optimizer=self.optimizer,
                                          step=self.step)
    self.manager = tf.train.CheckpointManager(self.checkpoint, output_dir,
                                              max_to_keep=max_to_keep)
    self._rng = np.random.default_rng(hparams.seed)
    self._train_step = tf.function(self._train_step_impl, reduce_retracing=True)
    self._eval_step = tf.function(self._eval_step_impl, reduce_retracing=True)

  def restore_or_initialize(self) -> int:
    """Restores the latest checkpoint in ``output_dir`` if any.

    A damaged newest checkpoint falls back to the one before (and says so).

    Returns:
      The training step reached (0 for a fresh start).

    Raises:
      file_errors.CorruptFileError: if no checkpoint in output_dir restores.
    """
    self.config.save(self.output_dir)
    write_json(os.path.join(self.output_dir, HPARAMS_FILENAME),
                self.hparams.to_dict())
    latest = run_state.restore_managed(self.checkpoint, self.manager)
    if latest:
      logging.info('Resumed from %s at step %d', latest, int(self.step))
      # Fresh batch order after a resume, still reproducible.
      self._rng = np.random.default_rng([self.hparams.seed, int(self.step)])
    return int(self.step)

  def skips(self, starts: Optional[np.ndarray], num_windows: int
            ) -> np.ndarray:
    """Unscored leading predictions per window ``[num_windows]`` (int32).

    Args:
      starts: start step of each window in its melody (from
        ``make_windows(..., return_starts=True)``), or None (unknown: every
        window skips ``skip_first_steps``).
      num_windows: number of windows.
    """
    if starts is None or not self.hparams.score_melody_starts:
      return np.full([num_windows], self.hparams.skip_first_steps, np.int32)
    return melody_pipeline.window_skips(starts, self.hparams.skip_first_steps)

  def _train_step_impl(self, windows, skips):
    inputs, labels = windows_to_inputs(windows)
    with tf.GradientTape() as tape:
      logits = self.model(inputs, training=True)
      nll, correct, total, _ = sequence_loss(logits, labels, skips)
      loss = nll + self.hparams.l2_weight * self.model.l2_loss()
    grads = tape.gradient(loss, self.model.trainable_variables)
    grads, grad_norm = tf.clip_by_global_norm(grads, self.hparams.clip_norm)
    self.optimizer.apply_gradients(zip(grads, self.model.trainable_variables))
    self.step.assign_add(1)
    return {'loss': loss, 'nll': nll, 'accuracy': correct / total,
            'grad_norm': grad_norm}

  def _eval_step_impl(self, windows, skips):
    inputs, labels = windows_to_inputs(windows)
    logits = self.model(inputs)
    _, correct, total, nll_sum = sequence_loss(logits, labels, skips)
    return correct, total, nll_sum

  def train_step(self, windows: np.ndarray,
                 starts: Optional[np.ndarray] = None) -> Dict[str, float]:
    """One optimiser step on int windows ``[batch, window_steps]``.

    Args:
      windows: int ``[batch, window_steps]``.
      starts: int ``[batch]`` start step of each window in its melody, or
        None (every window skips ``skip_first_steps``).

    Returns:
      {'loss', 'nll', 'accuracy', 'grad_norm'} as floats.

    Raises:
      FloatingPointError: if the loss is NaN or infinite (the step number is
        in the message).
    """
    out = {k: float(v) for k, v in self._train_step(
        tf.constant(windows, tf.int32),
        tf.constant(self.skips(starts, len(windows)))).items()}
    if not np.isfinite(out['loss']):
      raise FloatingPointError(
          f'Note RNN loss is {out["loss"]} at step {int(self.step)}')
    return out

  def evaluate(self, windows: np.ndarray, starts: Optional[np.ndarray] = None,
               batch_size: int = 512) -> Dict[str, float]:
    """Validation accuracy and log perplexity over all ``windows``.

    Args:
      windows: int ``[num_windows, window_steps]``.
      starts: start step of each window in its melody, or None.
      batch_size: windows per evaluation batch.

    Returns:
      {'accuracy', 'log_perplexity' (mean NLL per scored step, nats),
       'num_steps' (scored steps)}.
    """
    correct = total = nll_sum = 0.0
    skips = self.skips(starts, len(windows))
    for i in range(0, len(windows), batch_size):
      c, t, s = self._eval_step(tf.constant(windows[i:i + batch_size],
                                            tf.int32),
                                tf.constant(skips[i:i + batch_size]))
      correct, total, nll_sum = correct + float(c), total + float(t), (
          nll_sum + float(s))
    return {'accuracy': correct / max(total, 1.0),
            'log_perplexity': nll_sum / max(total, 1.0),
            'num_steps': int(total)}

  def _batches(self, windows: np.ndarray, starts: Optional[np.ndarray]):
    """Endless shuffled (windows, starts) batches (epochs without
    replacement); starts is None when ``starts`` is."""
    b = self.hparams.batch_size
    while True:
      order = self._rng.permutation(len(windows))
      if len(order) < b:  # Tiny datasets: repeat to fill a batch.
        order = np.resize(order, b)
      for i in range(0, len(order) - b + 1, b):
        idx = order[i:i + b]
        yield windows[idx], (None if starts is None else starts[idx])

  def train(self, train_windows: np.ndarray, val_windows: np.ndarray,
            num_steps: int, eval_every: int = 500, log_every: int = 100,
            summary_every: int = 50, checkpoint_every: int = 500,
            train_starts: Optional[np.ndarray] = None,
            val_starts: Optional[np.ndarray] = None) -> Dict[str, float]:
    """Trains until the step counter reaches ``num_steps``.

    Args:
      train_windows: int ``[N, window_steps]`` training windows.
      val_windows: int ``[M, window_steps]`` validation windows.
      num_steps: total steps (counting steps of earlier, resumed runs).
      eval_every, log_every, summary_every, checkpoint_every: intervals in
        steps.
      train_starts, val_starts: int ``[N]`` / ``[M]`` start step of each
        window in its melody (windows at 0 are scored from their first
        prediction when ``score_melody_starts``), or None.

    Returns:
      The last validation metrics (see :meth:`evaluate`), plus 'step'.

    Raises:
      ValueError: if there are no training windows.
      FloatingPointError: on a NaN/inf loss (the last checkpoint is kept).
    """
    if len(train_windows) == 0:
      raise ValueError('No training windows: the corpus is empty')
    train_writer = tf.summary.create_file_writer(
        os.path.join(self.output_dir, 'train'))
    eval_writer = tf.summary.create_file_writer(
        os.path.join(self.output_dir, 'eval'))
    batches = self._batches(train_windows, train_starts)
    step = int(self.step)
    metrics = {}
    t0, s0 = time.time(), step
    while step < num_steps:
      out = self.train_step(*next(batches))
      step = int(self.step)
      if step % summary_every == 0:
        with train_writer.as_default():
          for k, v in out.items():
            _scalar(k, v, step)
          _scalar('learning_rate',
                  float(self.optimizer.learning_rate), step)
      if step % log_every == 0:
        rate = (step - s0) / max(time.time() - t0, 1e-9)
        logging.info('step %d  loss %.4f  acc %.4f  %.2f steps/s', step,
                     out['loss'], out['accuracy'], rate)
        with train_writer.as_default():
          _scalar('steps_per_sec', rate, step)
        t0, s0 = time.time(), step
      if step % eval_every == 0 or step == num_steps:
        metrics = self.evaluate(val_windows, val_starts)
        logging.info('step %d  validation accuracy %.4f  log perplexity %.4f',
                     step, metrics['accuracy'], metrics['log_perplexity'])
        with eval_writer.as_default():
          _scalar('accuracy', metrics['accuracy'], step)
          _scalar('log_perplexity', metrics['log_perplexity'], step)
      if step % checkpoint_every == 0 or step == num_steps:
        self.manager.save(checkpoint_number=step)
    train_writer.flush()
    eval_writer.flush()
    if not metrics:
      metrics = self.evaluate(val_windows, val_starts)
    metrics['step'] = step
    return metrics


def export_model(model: note_rnn_model.NoteRNN, export_dir: str,
                 record: Optional[Dict[str, object]] = None) -> str:
  """Saves only the model weights (no optimiser) in NoteRNNLoader's format.

  Older checkpoints in ``export_dir`` are replaced (max_to_keep=1); the config
  is written first, then the checkpoint (TF writes it atomically), then
  ``training_record.json`` (atomic).

  Args:
    model: a trained :class:`NoteRNN`.
    export_dir: target directory (created).
    record: optional JSON-serialisable training record.

  Returns:
    The checkpoint path written.
  """
  os.makedirs(export_dir, exist_ok=True)
  model.config.save(export_dir)
  manager = tf.train.CheckpointManager(tf.train.Checkpoint(model=model),
                                       export_dir, max_to_keep=1,
                                       checkpoint_name='note_rnn')
  path = manager.save(checkpoint_number=0)
  if record is not None:
    write_json(os.path.join(export_dir, RECORD_FILENAME), record)
  return path
