r"""Trains the Note RNN on real melodies (maximum likelihood).

Example (the shipped checkpoint's command is in
rl_tuner/note_rnn/pretrained/training_record.json):

  bazel run //rl_tuner/note_rnn:note_rnn_train -- \
    --corpus=essenFolksong --output_dir=/tmp/note_rnn --num_steps=3000

  # Your own melodies (MIDI or ABC files or directories), bigger model:
  bazel run //rl_tuner/note_rnn:note_rnn_train -- --corpus=~/midi \
    --output_dir=out/my_rnn --hparams="layer_sizes=256:256,batch_size=64"

Running again with the same --output_dir resumes from the last checkpoint.
With --export_dir the final weights (no optimiser) are written there with
training_record.json (command, data, steps, validation metrics and the bigram
baseline's); the directory is then usable as --note_rnn_checkpoint_dir.
Windows that open a melody are scored from their first prediction (the
model learns how melodies begin); note_rnn_eval scores whole held-out melodies
against n-gram baselines and adds the result to the record.
"""

import datetime
import os
import shlex
import sys
import time

from absl import app
from absl import flags
from absl import logging

from rl_tuner import flag_checks
from rl_tuner import paths
from rl_tuner.note_rnn import bigram_baseline
from rl_tuner.note_rnn import melody_pipeline
from rl_tuner.note_rnn import note_rnn_trainer

FLAGS = flags.FLAGS
flags.DEFINE_list('corpus', ['essenFolksong'],
                  'Comma-separated music21 collections '
                  f'({", ".join(melody_pipeline.MUSIC21_COLLECTIONS)}) and/or '
                  'paths to ABC/MIDI files or directories.')
flags.DEFINE_string('output_dir', None, 'Checkpoints and summaries.')
flags.DEFINE_string('export_dir', None,
                    'If set, the final weights and training_record.json are '
                    'exported here.')
flags.DEFINE_string('hparams', '', 'Overrides, e.g. "batch_size=64,'
                    'layer_sizes=256:256" (see NoteRNNHParams).')
flags.DEFINE_integer('num_steps', 3000, 'Total training steps.', lower_bound=1)
flags.DEFINE_integer('eval_every', 500, 'Steps between validations.',
                     lower_bound=1)
flags.DEFINE_integer('log_every', 100, 'Steps between progress logs.',
                     lower_bound=1)
flags.DEFINE_integer('checkpoint_every', 500, 'Steps between checkpoints.',
                     lower_bound=1)
flags.DEFINE_float('validation_fraction', 0.1,
                   'Fraction of tunes held out for validation.')
flags.DEFINE_string('cache_dir', melody_pipeline.default_cache_dir(),
                    'Cache of encoded melodies ("" disables).')
flags.mark_flag_as_required('output_dir')


def _source(s):
  return s if s in melody_pipeline.MUSIC21_COLLECTIONS else (
      paths.resolve_user_path(s))


def main(argv):
  del argv
  for name in ('num_steps', 'eval_every', 'log_every', 'checkpoint_every'):
    flag_checks.int_in_range(name, FLAGS[name].value, 1)
  flag_checks.float_in_range('validation_fraction', FLAGS.validation_fraction,
                             0.0, 0.9)
  output_dir = flag_checks.output_dir('output_dir', FLAGS.output_dir)
  export_dir = (flag_checks.output_dir('export_dir', FLAGS.export_dir)
                if FLAGS.export_dir else None)
  try:
    hparams = note_rnn_trainer.parse_hparams(FLAGS.hparams)
    config = melody_pipeline.PipelineConfig(
        validation_fraction=FLAGS.validation_fraction)
  except ValueError as e:
    raise app.UsageError(f'--hparams: {e}')
  try:
    dataset = melody_pipeline.load_dataset(
        [_source(s) for s in FLAGS.corpus], config,
        cache_dir=FLAGS.cache_dir and paths.resolve_user_path(FLAGS.cache_dir))
  except melody_pipeline.CorpusError as e:
    raise app.UsageError(f'--corpus: {e}')
  logging.info('Data: %s', dataset.stats)
  train_w, train_starts = melody_pipeline.make_windows(
      dataset.train, hparams.window_steps, hparams.window_stride,
      return_starts=True)
  val_w, val_starts = melody_pipeline.make_windows(
      dataset.validation, hparams.window_steps, hparams.window_steps,
      return_starts=True)
  try:
    trainer = note_rnn_trainer.NoteRNNTrainer(hparams, output_dir)
  except ValueError as e:
    raise app.UsageError(f'--output_dir: {e}')
  start_step = trainer.restore_or_initialize()
  bigram = bigram_baseline.BigramModel().fit(dataset.train).evaluate(
      val_w, trainer.skips(val_starts, len(val_w)))
  logging.info('Bigram baseline on validation windows: %s', bigram)
  start_time = time.time()
  metrics = trainer.train(train_w, val_w, FLAGS.num_steps,
                          eval_every=FLAGS.eval_every,
                          log_every=FLAGS.log_every,
                          checkpoint_every=FLAGS.checkpoint_every,
                          train_starts=train_starts, val_starts=val_starts)
  logging.info('Final validation: %s (bigram: %s)', metrics, bigram)
  if export_dir:
    stats = dict(dataset.stats)
    stats.pop('cache', None)
    record = {
        'command': ' '.join(shlex.quote(a) for a in sys.argv),
        'date': datetime.datetime.now(datetime.timezone.utc).isoformat(
            timespec='seconds'),
        'steps': metrics['step'], 'hparams': hparams.to_dict(),
        'this_run': {'from_step': start_step,
                     'wall_time_s': round(time.time() - start_time, 1)},
        'data': {**stats, 'train_windows': len(train_w),
                 'validation_windows': len(val_w)},
        'validation': metrics,
        'bigram_baseline': {**bigram, 'smoothing': 'add-one'},
    }
    path = note_rnn_trainer.export_model(
        trainer.model, export_dir, record)
    logging.info('Exported %s', path)


if __name__ == '__main__':
  flag_checks.run(main)
