r"""Scores a Note RNN and n-gram baselines on whole held-out melodies.

Every step of every validation melody after its first (see held_out_eval):
the Note RNN, the add-one bigram and interpolated Kneser-Ney n-gram models
(kneser_ney) fitted on the training melodies of the same split. Prints a
table; with --write_record adds it as "held_out" to the checkpoint's
training_record.json; with --reference_out writes 32-step segments of the
held-out melodies (rl_tuner/data/held_out_compositions.npz is made so).

  bazel run //rl_tuner/note_rnn:note_rnn_eval -- \
    --checkpoint_dir=rl_tuner/note_rnn/pretrained --kn_orders=5,10
"""

import json
import os

from absl import app
from absl import flags
from absl import logging
import numpy as np

from rl_tuner import paths
from rl_tuner.note_rnn import bigram_baseline
from rl_tuner.note_rnn import held_out_eval
from rl_tuner.note_rnn import kneser_ney
from rl_tuner.note_rnn import melody_pipeline
from rl_tuner.note_rnn import note_rnn_loader
from rl_tuner.note_rnn import note_rnn_trainer

FLAGS = flags.FLAGS
flags.DEFINE_string('checkpoint_dir', paths.DEFAULT_NOTE_RNN_CHECKPOINT_DIR,
                    'Note RNN checkpoint directory.')
flags.DEFINE_list('corpus', list(melody_pipeline.MUSIC21_COLLECTIONS),
                  'Sources, as note_rnn_train --corpus.')
flags.DEFINE_float('validation_fraction', 0.1, 'As note_rnn_train.')
flags.DEFINE_string('cache_dir', melody_pipeline.default_cache_dir(),
                    'Cache of encoded melodies ("" disables).')
flags.DEFINE_list('kn_orders', ['5', '10'], 'Kneser-Ney orders to score.')
flags.DEFINE_string('reference_out', None, 'If set, write 2,000 32-step '
                    'segments of the held-out melodies here (.npz, key '
                    '"compositions"): the reference of rl_tuner_eval\'s '
                    'overlapping-area metrics.')
flags.DEFINE_bool('write_record', False, 'Add the results to the '
                  'checkpoint\'s training_record.json as "held_out".')


def _row(name, m):
  cells = [f'{m[s]["accuracy"]:.3f} | {m[s]["log_perplexity"]:.3f}'
           for s in ('all', 'onset', 'opening')]
  return (f'| {name} | ' + ' | '.join(cells) +
          f' | {m["p_onset_after_first"]:.2f} |')


def main(argv):
  del argv
  try:
    orders = [int(o) for o in FLAGS.kn_orders]
    config = melody_pipeline.PipelineConfig(
        validation_fraction=FLAGS.validation_fraction)
    dataset = melody_pipeline.load_dataset(
        [s if s in melody_pipeline.MUSIC21_COLLECTIONS else
         paths.resolve_user_path(s) for s in FLAGS.corpus], config,
        cache_dir=FLAGS.cache_dir and paths.resolve_user_path(FLAGS.cache_dir))
    loader = note_rnn_loader.NoteRNNLoader(
        paths.resolve_user_path(FLAGS.checkpoint_dir))
  except (ValueError, FileNotFoundError) as e:
    raise app.UsageError(str(e))
  val = dataset.validation
  if FLAGS.reference_out:
    segments = held_out_eval.reference_segments(val)
    path = paths.resolve_user_path(FLAGS.reference_out)
    tmp = path + '.tmp.npz'
    np.savez_compressed(tmp, compositions=segments)
    os.replace(tmp, path)
    logging.info('Wrote %d reference compositions to %s', len(segments), path)
  labels, positions = held_out_eval.step_labels(val)
  results = {'data': {'validation_melodies': len(val),
                      'validation_tunes': dataset.stats['validation_tunes'],
                      'scored_steps': int(len(labels))}}
  results['note_rnn'] = held_out_eval.step_metrics(
      held_out_eval.note_rnn_log_probs(loader.load(), val), labels, positions)
  bigram = bigram_baseline.BigramModel().fit(dataset.train)
  results['bigram'] = held_out_eval.step_metrics(
      held_out_eval.bigram_log_probs(bigram.log_probs, val), labels,
      positions)
  for order in orders:
    kn = kneser_ney.KneserNeyModel(order).fit(dataset.train)
    results[f'kneser_ney_{order}'] = {
        **held_out_eval.step_metrics(kn.melody_log_probs(val), labels,
                                     positions), 'model': kn.summary()}
  results['data']['onset_rate_after_first'] = results['note_rnn'][
      'onset_rate_after_first']
  print(f'Held-out melodies: {len(val)} ({len(labels)} scored steps); '
        f'accuracy | log perplexity (nats/step)')
  print('| model | all: accuracy | all: log ppl | onset: accuracy | '
        'onset: log ppl | opening (steps 1-8): accuracy | opening: log ppl | '
        'p(onset) at step 1 |')
  print('|---|---|---|---|---|---|---|---|')
  for name, m in results.items():
    if name != 'data':
      print(_row(name, m))
  print(f'(data: an onset follows the first event in '
        f'{results["data"]["onset_rate_after_first"]:.2f} of melodies)')
  if FLAGS.write_record:
    path = os.path.join(paths.resolve_user_path(FLAGS.checkpoint_dir),
                        note_rnn_trainer.RECORD_FILENAME)
    record = {}
    if os.path.exists(path):
      with open(path) as f:
        record = json.load(f)
    record['held_out'] = results
    note_rnn_trainer.write_json(path, record)
    logging.info('Wrote %s', path)


if __name__ == '__main__':
  app.run(main)
