"""Tests for the generation binary on a tiny tuned checkpoint."""

import glob
import os

from absl.testing import absltest
from absl.testing import flagsaver
import numpy as np

from rl_tuner import rl_tuner
from rl_tuner import rl_tuner_generate
from rl_tuner import rl_tuner_hparams
from rl_tuner import rl_tuner_runner
from tests.rl_tuner import testing_utils


class RLTunerGenerateTest(absltest.TestCase):

  def test_writes_melodies_from_a_tuned_checkpoint(self):
    tmp = self.create_tempdir().full_path
    note_rnn_dir = testing_utils.make_tiny_note_rnn(os.path.join(tmp, 'rnn'))
    primer = testing_utils.make_primer(tmp)
    hparams = rl_tuner_hparams.RLTunerHParams(
        algorithm='g', num_compositions_in_parallel=2, replay_memory_size=256)
    agent = rl_tuner.RLTuner.from_note_rnn_checkpoint(
        hparams, note_rnn_dir, np.array(testing_utils.PRIMER_ACTIONS))
    agent.train(64)
    out = os.path.join(tmp, 'tuned')
    agent.save_model_and_figs(out)
    self.assertNotEmpty(glob.glob(os.path.join(out, 'midi', '*.mid')))

    melodies = os.path.join(tmp, 'melodies')
    with flagsaver.flagsaver(checkpoint_dir=out, output_dir=melodies,
                             num_melodies=3, midi_primer=primer):
      rl_tuner_generate.main(['rl_tuner_generate'])
    self.assertLen(glob.glob(os.path.join(melodies, 'midi', '*.mid')), 3)
    self.assertLen(glob.glob(os.path.join(melodies, 'figures', '*.png')), 3)

    # Figures for the first 2 of 4 melodies only.
    few = os.path.join(tmp, 'few_figures')
    with flagsaver.flagsaver(checkpoint_dir=out, output_dir=few,
                             num_melodies=4, num_figures=2,
                             midi_primer=primer):
      rl_tuner_generate.main(['rl_tuner_generate'])
    self.assertLen(glob.glob(os.path.join(few, 'midi', '*.mid')), 4)
    self.assertEqual(
        sorted(os.listdir(os.path.join(few, 'figures'))),
        ['note_probabilities_composition_0.png',
         'note_probabilities_composition_1.png'])

    # The restored agent has the saved weights and step.
    restored = rl_tuner_runner.load_tuned_agent(out)
    self.assertEqual(restored.hparams.algorithm, 'g')
    self.assertEqual(int(restored.global_step.numpy()), 64)
    for a, b in zip(agent.q_network.weights, restored.q_network.weights):
      np.testing.assert_array_equal(a.numpy(), b.numpy())

    with flagsaver.flagsaver(checkpoint_dir=tmp, output_dir=melodies,
                             midi_primer=primer):
      with self.assertRaisesRegex(Exception, '--checkpoint_dir'):
        rl_tuner_generate.main(['rl_tuner_generate'])


if __name__ == '__main__':
  absltest.main()
