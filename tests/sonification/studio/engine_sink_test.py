"""Tests for sonification/studio/engine_sink.py (the real engine, no TF)."""

from absl.testing import absltest
import numpy as np

from sonification import sinks
from sonification.audio import engine as engine_lib
from sonification.studio import engine_sink


class EngineSinkTest(absltest.TestCase):

  def setUp(self):
    super().setUp()
    self.engine = engine_lib.Engine(sample_rate=22050, block_size=64)
    self.sink = engine_sink.EngineSink(self.engine, carl_outputs=0)

  def test_silence_until_a_hit(self):
    self.assertTrue(np.all(self.sink.render(256) == 0))
    self.assertEqual(sorted(self.engine.tracks),
                     ['bass', 'closedhat', 'kick', 'lead', 'openhat',
                      'snare'])

  def test_a_kick_note_is_heard_and_other_keys_are_not(self):
    self.sink.note_on(37, 100, sinks.DRUM_CHANNEL)  # key 37: not ours.
    self.sink.note_on(36, 127, 0 + 5)  # channel 6: not ours.
    self.assertEqual(self.sink.events, 0)
    self.assertTrue(np.all(self.sink.render(256) == 0))
    self.sink.note_on(36, 127, sinks.DRUM_CHANNEL)  # GM kick.
    block = self.sink.render(512)
    self.assertEqual(block.shape, (512, 2))
    self.assertEqual(block.dtype, np.float32)
    self.assertGreater(np.abs(block).max(), 0.05)
    self.assertEqual(self.sink.events, 1)

  def test_synth_note_and_controllers(self):
    self.sink.control_change(74, 127, 0)  # lead cut 100.
    self.sink.control_change(1, 127, 0)  # CC 1: not a synth parameter.
    self.assertEqual(self.sink.events, 1)
    self.sink.note_on(60, 100, 0)
    self.assertGreater(np.abs(self.sink.render(800)).max(), 0.01)

  def test_all_off_silences_until_the_next_event(self):
    self.sink.note_on(38, 127, sinks.DRUM_CHANNEL)
    self.sink.render(64)
    self.sink.all_off()
    self.sink.render(256)  # the limiter's 1.5 ms look-ahead drains.
    self.assertTrue(np.all(self.sink.render(256) == 0))
    self.assertEqual(self.engine.tracks, {})
    self.sink.note_on(38, 127, sinks.DRUM_CHANNEL)
    self.assertGreater(np.abs(self.sink.render(256)).max(), 0.05)

  def test_carl_values_drive_the_carl_track(self):
    sink = engine_sink.EngineSink(self.engine, carl_outputs=4)
    sink.parameters([0.5, 0.5, 0.2, 0.1])
    sink.render(64)
    self.assertEqual(self.engine.tracks['carl'].voice.mapping,
                     ('pitch', 'cutoff', 'resonance', 'drive'))
    self.assertEqual(sink.events, 1)


if __name__ == '__main__':
  absltest.main()
