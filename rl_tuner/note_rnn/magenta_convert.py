r"""Converts a public Magenta RL Tuner Note RNN checkpoint to this project's format.

  bazel run //rl_tuner/note_rnn:magenta_converter -- \
    --magenta_checkpoint=~/note_rnn.ckpt --output_dir=out/magenta_note_rnn

The output directory (note_rnn_config.json + a TF2 checkpoint) loads with
NoteRNNLoader, e.g. as the RL Tuner's --note_rnn_checkpoint_dir. See
magenta_converter.py for the variable names, gate order and the swap of the
two special events.
"""

import os

from absl import flags
from absl import logging
import tensorflow as tf

from rl_tuner import file_errors
from rl_tuner import flag_checks
from rl_tuner import paths
from rl_tuner.note_rnn import magenta_converter
from rl_tuner.note_rnn import note_rnn_trainer

FLAGS = flags.FLAGS
flags.DEFINE_string('magenta_checkpoint', None,
                    'Magenta checkpoint prefix or directory.')
flags.DEFINE_string('output_dir', None, 'Where the converted model goes.')
flags.DEFINE_string('scope', 'rnn_model', 'Variable scope of the Note RNN.')
flags.DEFINE_float('forget_bias', magenta_converter.FORGET_BIAS,
                   'Constant forget-gate bias of the TF1 LSTM cell.')
flags.DEFINE_boolean('swap_special_events', True,
                     'Swap classes 0/1 (note_seq NO_EVENT/NOTE_OFF -> ours).')
flags.mark_flags_as_required(['magenta_checkpoint', 'output_dir'])


def _checkpoint_path(value: str) -> str:
  """The checkpoint prefix or directory flag, checked to exist."""
  if not value or not value.strip():
    raise flag_checks.FlagError('--magenta_checkpoint: is empty')
  path = paths.resolve_user_path(value)
  if not (os.path.isdir(path) or os.path.exists(path + '.index')
          or os.path.isfile(path)):
    raise flag_checks.FlagError(
        f'--magenta_checkpoint: {path!r} is neither a checkpoint directory '
        f'nor a checkpoint prefix (no {os.path.basename(path)}.index)')
  return path


def main(argv):
  del argv
  source = _checkpoint_path(FLAGS.magenta_checkpoint)
  output_dir = flag_checks.output_dir('output_dir', FLAGS.output_dir)
  flag_checks.float_in_range('forget_bias', FLAGS.forget_bias, -100.0, 100.0)
  try:
    model = magenta_converter.convert_checkpoint(
        source, FLAGS.scope, FLAGS.forget_bias, FLAGS.swap_special_events)
  except (OSError, ValueError, IndexError, KeyError, tf.errors.OpError) as e:
    raise flag_checks.FlagError(
        f'--magenta_checkpoint: not a Magenta Note RNN checkpoint '
        f'({file_errors.describe(e)})') from e
  path = note_rnn_trainer.export_model(
      model, output_dir,
      {'converted_from': source, 'scope': FLAGS.scope,
       'forget_bias': FLAGS.forget_bias,
       'swap_special_events': FLAGS.swap_special_events})
  logging.info('Converted %s -> %s', source, path)


if __name__ == '__main__':
  flag_checks.run(main)
