r"""Benchmark: writing many melodies (issue 14 target: 3,000 melodies from a
tuned model in under a minute; drawing a figure per melody took 39 min).

  PYTHONPATH=. .venv/bin/python bench/rl_tuner_generate_bench.py \
      [--checkpoint_dir=DIR] [--num_melodies=3000] [--num_figures=5]

Times rl_tuner_runner.write_melodies (what rl_tuner_generate runs): sampling
the melodies, one MIDI file each, and note-probability figures for the first
--num_figures only. Without --checkpoint_dir the agent is an untuned RL Tuner
on the shipped Note RNN (the same networks and cost as a tuned one).
"""

import os
import tempfile
import time

from absl import app
from absl import flags

from rl_tuner import midi_io
from rl_tuner import paths
from rl_tuner import rl_tuner
from rl_tuner import rl_tuner_hparams
from rl_tuner import rl_tuner_runner

_CHECKPOINT_DIR = flags.DEFINE_string(
    'checkpoint_dir', None, 'A tuned RL Tuner directory (default: untuned, '
    'on the shipped Note RNN).')
_NUM = flags.DEFINE_integer('num_melodies', 3000, 'Melodies to write.')
_NUM_FIGURES = flags.DEFINE_list('num_figures', ['5'],
                                 'Figures per run, one row each.')


def main(argv):
  del argv
  primer = midi_io.load_primer_actions(paths.DEFAULT_MIDI_PRIMER)
  if _CHECKPOINT_DIR.value:
    agent = rl_tuner_runner.load_tuned_agent(_CHECKPOINT_DIR.value, primer,
                                             replay_memory_size=1)
  else:
    agent = rl_tuner.RLTuner.from_note_rnn_checkpoint(
        rl_tuner_hparams.RLTunerHParams(replay_memory_size=1),
        paths.DEFAULT_NOTE_RNN_CHECKPOINT_DIR, primer)
  print('| melodies | figures | seconds | melodies/s |')
  print('|---|---|---|---|')
  for num_figures in (int(n) for n in _NUM_FIGURES.value):
    with tempfile.TemporaryDirectory() as out:
      start = time.perf_counter()
      written = rl_tuner_runner.write_melodies(agent, out, _NUM.value,
                                               num_figures=num_figures)
      seconds = time.perf_counter() - start
      assert len(written) == _NUM.value
      assert len(os.listdir(os.path.join(out, 'figures'))) == min(
          num_figures, _NUM.value)
    print(f'| {_NUM.value} | {num_figures} | {seconds:.1f} | '
          f'{_NUM.value / seconds:.0f} |', flush=True)


if __name__ == '__main__':
  app.run(main)
