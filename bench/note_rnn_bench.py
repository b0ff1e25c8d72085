r"""Benchmark: Note RNN training steps/s and generation melodies/s (CPU).

  PYTHONPATH=. .venv/bin/python bench/note_rnn_bench.py

Training: the paper's setup (one LSTM layer of 100 cells, batch 128, windows
of 64 events, Adam, clip 5, L2) through NoteRNNTrainer.train_step, on random
windows (speed does not depend on the data). Generation: 100 melodies of 32
steps in one batch through melody_generator.generate (one model.step per
step, primed with one note), as in the paper's evaluation protocol.
"""

import tempfile
import time

from absl import app
from absl import flags
import numpy as np

_TRAIN_STEPS = flags.DEFINE_integer('train_steps', 100,
                                    'Timed training steps.')
_GEN_REPEATS = flags.DEFINE_integer('generation_repeats', 10,
                                    'Timed batches of generated melodies.')


def _time_training(steps, batch_size=128, window_steps=64, cells=100):
  from rl_tuner.note_rnn import note_rnn_trainer  # pylint: disable=g-import-not-at-top
  hparams = note_rnn_trainer.NoteRNNHParams(
      layer_sizes=(cells,), batch_size=batch_size, window_steps=window_steps)
  trainer = note_rnn_trainer.NoteRNNTrainer(hparams, tempfile.mkdtemp())
  windows = np.random.default_rng(0).integers(
      0, 38, [batch_size, window_steps]).astype(np.int32)
  for _ in range(5):  # Trace and warm up.
    trainer.train_step(windows)
  start = time.perf_counter()
  for _ in range(steps):
    trainer.train_step(windows)
  return steps / (time.perf_counter() - start)


def _time_generation(repeats, num_melodies=100, num_steps=32, cells=100):
  from rl_tuner.note_rnn import melody_generator  # pylint: disable=g-import-not-at-top
  from rl_tuner.note_rnn import note_rnn_model  # pylint: disable=g-import-not-at-top
  model = note_rnn_model.NoteRNN(note_rnn_model.NoteRNNConfig((cells,)))
  primers = melody_generator.random_primers(num_melodies,
                                            np.random.default_rng(0))
  melody_generator.generate(model, primers, num_steps, seed=0)  # Warm up.
  start = time.perf_counter()
  for i in range(repeats):
    melody_generator.generate(model, primers, num_steps, seed=i)
  return repeats * num_melodies / (time.perf_counter() - start)


def main(argv):
  del argv
  train = _time_training(_TRAIN_STEPS.value)
  gen = _time_generation(_GEN_REPEATS.value)
  rows = [
      ('training (batch 128, 64 steps, 100 cells)', f'{train:.1f} steps/s',
       f'{30000 / train / 60:.1f} min per 30,000 steps (paper)'),
      ('generation (batch 100, 32 steps, 100 cells)', f'{gen:.0f} melodies/s',
       f'{100000 / gen / 60:.1f} min per 100,000 melodies (paper Table 1)'),
  ]
  print(f'| {"Note RNN benchmark":<45} | {"speed":<16} | note |')
  print(f'|{"-" * 47}|{"-" * 18}|------|')
  for name, speed, note in rows:
    print(f'| {name:<45} | {speed:<16} | {note} |')


if __name__ == '__main__':
  app.run(main)
