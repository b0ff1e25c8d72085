"""MelodySampler: one trace per mode, the default temperature, bad input."""

import tensorflow as tf

from rl_tuner import encoding
from rl_tuner import melody_sampler
from rl_tuner.note_rnn import note_rnn_model


def _sampler(temperature=1.0, min_p=0.0):
  tf.keras.utils.set_random_seed(3)
  net = note_rnn_model.NoteRNN(note_rnn_model.NoteRNNConfig(layer_sizes=(8,)))
  return melody_sampler.MelodySampler(net, net, 'note_rnn', None,
                                      composition_length=6,
                                      temperature=temperature, min_p=min_p)


class MelodySamplerTest(tf.test.TestCase):

  def test_traced_once_for_any_batch_size_seed_and_temperature(self):
    sampler = _sampler()
    for n, seed, temperature in ((5, 0, 1.0), (7, 1, 2.0), (3, 2, 0.5)):
      out = sampler.generate(n, seed=seed, temperature=temperature,
                             batch_size=4)
      self.assertEqual(out.actions.shape, (n, 6))
    fn = sampler._functions[(True, False)]  # pylint: disable=protected-access
    self.assertEqual(fn.experimental_get_tracing_count(), 1)
    # Several models' samplers, two calls each (a 10,000-composition eval of
    # six trials): no retracing warning (each traces once).
    with self.assertNoLogs('tensorflow', level='WARNING'):
      for _ in range(6):
        _sampler().generate(4, batch_size=2)
    sampler.generate(2, sample=False)  # A second mode: its own function.
    self.assertLen(sampler._functions, 2)  # pylint: disable=protected-access

  def test_default_temperature_is_the_samplers(self):
    hot = _sampler(temperature=50.0)
    a = hot.generate(64, seed=4).actions
    b = hot.generate(64, seed=4, temperature=50.0).actions
    self.assertAllEqual(a, b)
    c = hot.generate(64, seed=4, temperature=1.0).actions
    self.assertNotAllEqual(a, c)
    # At 50 the softmax of an untrained net's logits is near uniform: about
    # 36 of the 38 events appear in 64 x 6 draws.
    self.assertGreater(len(set(a.ravel().tolist())), 30)
    self.assertLessEqual(a.max(), encoding.NUM_CLASSES - 1)

  def test_probabilities_follow_the_temperature(self):
    sampler = _sampler(temperature=2.0)
    out = sampler.generate(3, seed=1, with_probabilities=True)
    cold = _sampler(temperature=1.0).generate(3, seed=1,
                                              with_probabilities=True)
    # Same weights (same seed): p_T = softmax(log p_1 / T).
    expected = tf.nn.softmax(tf.math.log(cold.probabilities[:, :1]) / 2.0)
    self.assertAllClose(out.probabilities[:, :1], expected, atol=1e-5)

  def test_tiny_nucleus_is_greedy(self):
    # top_p near 0 keeps only the most probable event: sampling = argmax.
    sampler = _sampler(temperature=3.0)
    greedy = sampler.generate(16, seed=5, sample=False).actions
    nucleus = sampler.generate(16, seed=5, top_p=1e-6).actions
    self.assertAllEqual(greedy, nucleus)
    with self.assertRaisesRegex(ValueError, 'top_p'):
      sampler.generate(2, top_p=1.5)

  def test_min_p_near_one_is_greedy(self):
    # min_p 0.999 keeps only events within 0.001 of the best score: argmax.
    sampler = _sampler(temperature=3.0)
    greedy = sampler.generate(16, seed=5, sample=False).actions
    self.assertAllEqual(greedy,
                        sampler.generate(16, seed=5, min_p=0.999).actions)
    self.assertAllEqual(greedy,
                        _sampler(temperature=3.0, min_p=0.999).generate(
                            16, seed=5).actions)
    with self.assertRaisesRegex(ValueError, 'min_p must be in'):
      sampler.generate(2, min_p=1.0)
    with self.assertRaisesRegex(ValueError, 'min_p must be in'):
      _sampler(min_p=-0.1)

  def test_bad_temperature(self):
    with self.assertRaisesRegex(ValueError, 'temperature must be > 0'):
      _sampler(temperature=0.0)
    with self.assertRaisesRegex(ValueError, 'temperature'):
      _sampler().generate(2, temperature=-1.0)


if __name__ == '__main__':
  tf.test.main()
