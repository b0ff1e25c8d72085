"""`live --agent`'s MIDI channel and note flags: checked before any work,
one line on stderr and exit status 1 (no agent built, no TF)."""

import os
import subprocess
import sys

from absl.testing import absltest

_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
_LIVE = os.path.join(_ROOT, 'sonification', 'live.py')


def _live(*flags):
  env = dict(os.environ, PYTHONPATH=_ROOT)
  return subprocess.run([sys.executable, _LIVE, '--agent', '--osc_port=0',
                         *flags], stdin=subprocess.DEVNULL,
                        capture_output=True, text=True, env=env, timeout=120,
                        check=False)


class LiveAgentFlagsTest(absltest.TestCase):

  def test_channels_and_notes_are_checked(self):
    for flags, error in [
        (['--agent_source_channel=17'], '--agent_source_channel must be a '
                                        'MIDI channel in [1, 16], got 17'),
        (['--agent_target_channel=0'], '--agent_target_channel must be a '
                                       'MIDI channel in [1, 16], got 0'),
        (['--agent_source_note=128'], '--agent_source_note must be a MIDI '
                                      'note in [0, 127], got 128'),
        (['--agent_out_channel=99'], '--agent_out_channel must be a MIDI '
                                     'channel in [1, 16], got 99'),
        (['--agent_target_note=36'], '--agent_source and --agent_target are '
                                     'the same note (36 on channel 10)'),
        (['--agent_ticks=clock'], '--agent_ticks=clock needs --midi_in=PORT'),
    ]:
      result = _live(*flags)
      self.assertEqual(result.returncode, 1, flags)
      lines = result.stderr.strip().splitlines()
      self.assertLen(lines, 1, result.stderr)
      self.assertStartsWith(lines[0], 'live: error: ')
      self.assertIn(error, lines[0])


if __name__ == '__main__':
  absltest.main()
