"""Outputs: WAV files, the sound-card callback (a fake stream), errors."""

import os
import threading

import numpy as np
import soundfile
from absl.testing import absltest

from sonification.audio import engine as engine_lib
from sonification.audio import outputs


class FakeStream:
  """Stands in for sounddevice.OutputStream: calls back like PortAudio."""

  def __init__(self, **kwargs):
    self.kwargs = kwargs
    self.started = self.closed = False

  def start(self):
    self.started = True

  def pull(self, blocks):
    frames = self.kwargs['blocksize']
    data = []
    for _ in range(blocks):
      out = np.zeros((frames, 2), np.float32)
      self.kwargs['callback'](out, frames, None, None)
      data.append(out)
    return np.concatenate(data)

  def stop(self):
    pass

  def close(self):
    self.closed = True


class OutputsTest(absltest.TestCase):

  def test_wav_writer_normalises_to_minus_1_dbfs(self):
    engine = engine_lib.Engine(44100, 256)
    engine.set_track('s', 'snare', effects=(('amp', 0.3),))
    engine.trigger('s', frame=0)
    path = os.path.join(self.create_tempdir().full_path, 'out.wav')
    writer = outputs.WavWriter(path, 44100)
    outputs.pump(engine, writer, 22050)
    self.assertEqual(writer.close(), path)
    audio, rate = soundfile.read(path, dtype='float32')
    self.assertEqual((rate, audio.shape), (44100, (22050, 2)))
    # 10 ** (-1 / 20) = 0.8913, within one 16-bit step.
    self.assertAlmostEqual(float(np.max(np.abs(audio))), 0.8913, delta=1e-4)
    self.assertEqual(os.stat(path).st_mode & 0o777, 0o644)

  def test_sound_device_callback_renders_blocks(self):
    engine = engine_lib.Engine(44100, 128)
    engine.set_track('k', 'kick')
    engine.trigger('k', frame=0)
    output = outputs.SoundDeviceOutput(engine, latency=0.01,
                                       stream_factory=FakeStream)
    output.start()
    self.assertTrue(output.stream.started)
    self.assertEqual(output.stream.kwargs['blocksize'], 128)
    self.assertEqual(output.stream.kwargs['latency'], 0.01)
    played = output.stream.pull(10)
    reference = engine_lib.Engine(44100, 128)
    reference.set_track('k', 'kick')
    reference.trigger('k', frame=0)
    np.testing.assert_array_equal(played, outputs.render(reference, 1280 /
                                                         44100.0))
    self.assertLen(output.timings, 10)
    output.close()
    self.assertTrue(output.stream.closed)

  def test_paced_output_delivers_blocks_until_closed(self):
    blocks = []
    engine = engine_lib.Engine(44100, 441)  # 10 ms blocks.
    engine.set_track('k', 'kick')
    engine.trigger('k', frame=0)
    output = outputs.PacedOutput(engine, blocks.append).start()
    deadline = 0
    while len(blocks) < 3 and deadline < 500:
      threading.Event().wait(0.01)
      deadline += 1
    output.close()
    count = len(blocks)
    threading.Event().wait(0.05)
    self.assertLen(blocks, count)  # Stopped.
    self.assertGreaterEqual(count, 3)
    self.assertEqual(blocks[0].shape, (441, 2))
    self.assertGreater(float(np.max(np.abs(np.concatenate(blocks)))), 0.1)

  def test_device_problem_is_named(self):
    def failing(**kwargs):
      del kwargs
      raise RuntimeError('Error querying device -1')
    with self.assertRaisesRegex(outputs.AudioDeviceError,
                                'cannot open sound device.*querying device'):
      outputs.SoundDeviceOutput(engine_lib.Engine(), stream_factory=failing)

  def test_no_sound_card_here(self):
    # This machine kind has no sound card: the real path must say so.
    try:
      outputs.SoundDeviceOutput(engine_lib.Engine())
    except outputs.AudioDeviceError as e:
      self.assertRegex(str(e), 'sound|PortAudio')
    else:
      self.skipTest('a sound card is present')


if __name__ == '__main__':
  absltest.main()
