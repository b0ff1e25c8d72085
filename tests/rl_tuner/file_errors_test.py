"""Every loader raises CorruptFileError naming the file (issue 12, item 9).

Damaged files of each kind (empty, text, truncated, another kind of .npz) for
the Note RNN config and checkpoint, the CARL state, a saved beat agent and a
saved drum session; the replay memory and run units are covered in
run_state_test.py.
"""

import os

import numpy as np
import tensorflow as tf

from drums import npz_files
from drums import session as session_lib
from rl_tuner import file_errors
from rl_tuner.note_rnn import note_rnn_loader
from rl_tuner.note_rnn import note_rnn_model
from sonification.carl import carl_memory
from tests.rl_tuner import testing_utils


def _damage(path, how):
  with open(path, 'rb') as f:
    data = f.read()
  with open(path, 'wb') as f:
    f.write({'empty': b'', 'text': b'hello',
             'truncated': data[:len(data) // 2],
             'flipped': bytes(255 - b for b in data)}[how])


class FileErrorsTest(tf.test.TestCase):

  def test_message_names_the_file(self):
    e = file_errors.CorruptFileError('/x/y.npz', 'truncated')
    self.assertIsInstance(e, ValueError)
    self.assertEqual(str(e), '/x/y.npz: truncated')
    self.assertEqual(file_errors.describe(EOFError('no data\nmore')),
                     'EOFError: no data')

  def test_note_rnn_config(self):
    directory = self.create_tempdir().full_path
    note_rnn_model.NoteRNNConfig().save(directory)
    path = os.path.join(directory, note_rnn_model.CONFIG_FILENAME)
    for content in ('', '[1, 2]', '{"layer_sizes": "abc"}',
                    '{"layer_sizes": [1000000000]}'):
      with open(path, 'w') as f:
        f.write(content)
      with self.assertRaises(file_errors.CorruptFileError, msg=content) as cm:
        note_rnn_model.NoteRNNConfig.load(directory)
      self.assertEqual(cm.exception.path, path)

  def test_note_rnn_checkpoint(self):
    for how in ('empty', 'truncated', 'flipped'):
      directory = testing_utils.make_tiny_note_rnn(
          self.create_tempdir().full_path)
      loader = note_rnn_loader.NoteRNNLoader(directory)
      data = [n for n in os.listdir(directory) if '.data-' in n][0]
      _damage(os.path.join(directory, data), how)
      with self.assertRaises(file_errors.CorruptFileError, msg=how) as cm:
        loader.load()
      self.assertEqual(cm.exception.path, loader.checkpoint_path)

  def test_carl_state(self):
    directory = self.create_tempdir().full_path
    path = os.path.join(directory, 'carl.npz')
    for how in ('empty', 'text', 'truncated', 'other'):
      carl_memory.save_state(path, {'actor': [np.ones([3, 4], np.float32)]},
                             {'inputs': np.zeros([2, 3], np.float32)},
                             {'input_size': 3})
      if how == 'other':
        np.savez(path, something=np.arange(3))
      else:
        _damage(path, how)
      with self.assertRaises(file_errors.CorruptFileError, msg=how) as cm:
        carl_memory.load_state(path)
      self.assertEqual(cm.exception.path, path)

  def test_beat_agent_and_drum_session(self):
    directory = self.create_tempdir().full_path
    path = os.path.join(directory, 'agents.npz')
    for how in ('empty', 'text', 'truncated'):
      npz_files.save_npz(path, {'a': np.arange(1000)})
      _damage(path, how)
      with self.assertRaises(file_errors.CorruptFileError, msg=how) as cm:
        npz_files.load_npz(path)
      self.assertEqual(cm.exception.path, path)
    # A readable .npz that is not a saved session.
    npz_files.save_npz(path, {'a': np.arange(3)})
    session = session_lib.DrumSession('kick;')
    with self.assertRaisesRegex(file_errors.CorruptFileError,
                                'agents.npz: not a saved drum session'):
      session.load(path)


if __name__ == '__main__':
  tf.test.main()
