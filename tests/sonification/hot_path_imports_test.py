"""The realtime hot path imports no TensorFlow (issue 6).

Importing TF takes seconds and hundreds of MB, and its threads compete with
the clock; the clock process of a live session must do without it (CARL
learns in a child process, carl_remote). This imports every module that
`sonification/live.py` imports at the top, and those its apps load. (A drum
program with learn/predict statements builds TF beat agents when it starts:
the documented exception, see docs/DEVELOPING.md.)
"""

import sys

from absl.testing import absltest

# pylint: disable=g-import-not-at-top,unused-import
from drums import npz_files
from drums import remote_beat_agent
from drums import session
from sonification.audio import carl_voice
from sonification.audio import engine
from sonification.audio import engine_sink
from sonification.audio import outputs
from sonification.audio import program_tracks
from sonification.carl import carl_hparams
from sonification.carl import carl_memory
from sonification.carl import carl_policy
from sonification.carl import carl_remote
from sonification.carl import carl_session
from sonification import agent_bridge
from sonification import clock
from sonification import drum_live
from sonification import error_log
from sonification import jobs
from sonification import live_session
from sonification import melody_stream
from sonification import midi_control
from sonification import midi_ports
from sonification import osc_control
from sonification import pad_input
from sonification import program_watch
from sonification import sinks
from sonification.studio import audio_blocks
from sonification.studio import studio_app
from sonification.studio import studio_server
from sonification.studio import studio_store


class HotPathImportsTest(absltest.TestCase):

  def test_no_tensorflow(self):
    self.assertNotIn('tensorflow', sys.modules)
    self.assertNotIn('keras', sys.modules)


if __name__ == '__main__':
  absltest.main()
