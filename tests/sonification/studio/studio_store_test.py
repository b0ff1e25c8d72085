"""Tests for sonification/studio/studio_store.py."""

import base64
import json
import os

from absl.testing import absltest

from sonification.studio import studio_store


class StoreTest(absltest.TestCase):

  def test_names_must_be_plain_file_stems(self):
    self.assertEqual(studio_store.check_name('beat-1.v2'), 'beat-1.v2')
    for bad in ('', '../etc', 'a/b', '.hidden', 'x' * 65, 7):
      with self.assertRaisesRegex(studio_store.SessionError, 'name must'):
        studio_store.check_name(bad)

  def test_programs_round_trip_and_list(self):
    store = studio_store.Store(self.create_tempdir().full_path)
    self.assertEqual(store.names('programs'), [])
    store.save_program('b', 'source kick*2;')
    store.save_program('a', 'bpm 90;')
    self.assertEqual(store.names('programs'), ['a', 'b'])
    self.assertEqual(store.load_program('b'), 'source kick*2;')
    with self.assertRaisesRegex(studio_store.SessionError,
                                "no saved program 'c'"):
      store.load_program('c')
    self.assertTrue(store.agent_path('a').endswith(os.path.join('agents',
                                                                'a.npz')))

  def test_hparams_overrides(self):
    self.assertEqual(
        studio_store.hparams_overrides({'structure': [16, 8],
                                        'epsilon': 0.2}),
        'structure=16/8,epsilon=0.2')

  def test_session_round_trip(self):
    tmp = self.create_tempdir().full_path
    agents = os.path.join(tmp, 'in.npz')
    with open(agents, 'wb') as f:
      f.write(b'\x00npz bytes')
    settings = dict(bpm=90.0, hparams={'structure': [32, 16, 8],
                                       'epsilon': 0.2},
                    modes={'snare': 'predict'}, carl=None)
    path = studio_store.write_session(os.path.join(tmp, 's.json'),
                                      'source kick*2;', settings, agents)
    data = studio_store.read_session(path)
    self.assertEqual(data['program'], 'source kick*2;')
    self.assertEqual(data['settings'], settings)
    self.assertEqual(base64.b64decode(data['agents_npz_base64']),
                     b'\x00npz bytes')
    out = studio_store.extract_agents(data, tmp)
    with open(out, 'rb') as f:
      self.assertEqual(f.read(), b'\x00npz bytes')

  def test_bad_sessions_are_named(self):
    good = dict(format=studio_store.SESSION_FORMAT, program='',
                settings=dict(hparams={}), agents_npz_base64=None)
    studio_store.check_session(good)
    cases = [
        (dict(good, format='x'), 'not a studio session'),
        (dict(good, program=3), '"program" must be a string'),
        (dict(good, settings={}), '"hparams" object'),
        (dict(good, settings=dict(hparams={'epsilon': 2})),
         'settings.hparams: .*epsilon'),
        (dict(good, agents_npz_base64='%%%'), 'not base64'),
    ]
    for data, message in cases:
      with self.assertRaisesRegex(studio_store.SessionError, message):
        studio_store.check_session(data)
    path = os.path.join(self.create_tempdir().full_path, 'bad.json')
    with open(path, 'w') as f:
      f.write('{not json')
    with self.assertRaisesRegex(studio_store.SessionError, 'bad.json'):
      studio_store.read_session(path)
    with open(path, 'w') as f:
      json.dump(good, f)
    self.assertEqual(studio_store.read_session(path), good)


if __name__ == '__main__':
  absltest.main()
