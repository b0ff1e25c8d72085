"""Tests for sonification.pad_input: mouse pad and joystick events to CARL
commands, through pygame with SDL's dummy video driver (no display)."""

import os

os.environ['SDL_VIDEODRIVER'] = 'dummy'  # before pygame initialises video.
os.environ['PYGAME_HIDE_SUPPORT_PROMPT'] = '1'

# pylint: disable=g-import-not-at-top,wrong-import-position
import threading

from absl.testing import absltest
import pygame

from sonification import osc_control
from sonification import pad_input

Command = osc_control.Command
Event = pygame.event.Event


class EventToCommandsTest(absltest.TestCase):

  def test_mouse_is_x_y_and_buttons_are_rewards(self):
    pad = pad_input.PadInput(input_size=3, window_size=(101, 51))
    # x = 0 / 100 = 0; y = 1 - 0 / 50 = 1 (top of the pad).
    self.assertEqual(pad.event_to_commands(Event(pygame.MOUSEMOTION,
                                                 pos=(0, 0))),
                     [Command('carl/input_at', (0, 0.0)),
                      Command('carl/input_at', (1, 1.0))])
    # x = 25 / 100, y = 1 - 50 / 50 = 0 (bottom).
    self.assertEqual(pad.event_to_commands(Event(pygame.MOUSEMOTION,
                                                 pos=(25, 50))),
                     [Command('carl/input_at', (0, 0.25)),
                      Command('carl/input_at', (1, 0.0))])
    self.assertEqual(pad.pointer, (0.25, 0.0))
    self.assertEqual(pad.event_to_commands(Event(pygame.MOUSEBUTTONDOWN,
                                                 pos=(1, 1), button=1)),
                     [Command('carl/reward', (1.0,))])
    self.assertEqual(pad.event_to_commands(Event(pygame.MOUSEBUTTONDOWN,
                                                 pos=(1, 1), button=3)),
                     [Command('carl/reward', (-1.0,))])
    self.assertEqual(pad.event_to_commands(Event(pygame.MOUSEBUTTONDOWN,
                                                 pos=(1, 1), button=2)), [])

  def test_one_input_gets_x_only(self):
    pad = pad_input.PadInput(input_size=1, window_size=(11, 11))
    self.assertEqual(pad.event_to_commands(Event(pygame.MOUSEMOTION,
                                                 pos=(5, 5))),
                     [Command('carl/input_at', (0, 0.5))])

  def test_pointer_drives_the_drum_controls(self):
    pad = pad_input.PadInput(input_size=1, window_size=(101, 101),
                             pointer='drums')
    # x = 75 / 100, y = 1 - 75 / 100 = 0.25.
    self.assertEqual(pad.event_to_commands(Event(pygame.MOUSEMOTION,
                                                 pos=(75, 75))),
                     [Command('drums/control', ('mousex', 0.75)),
                      Command('drums/control', ('mousey', 0.25))])
    with self.assertRaisesRegex(ValueError, 'pointer must be one of'):
      pad_input.PadInput(input_size=1, pointer='synth')

  def test_keys(self):
    pad = pad_input.PadInput(input_size=3)
    for key, name in [(pygame.K_a, 'carl/randomise_actor'),
                      (pygame.K_c, 'carl/randomise_critic'),
                      (pygame.K_m, 'carl/clear_memory'),
                      (pygame.K_s, 'carl/save'), (pygame.K_l, 'carl/load')]:
      self.assertEqual(pad.event_to_commands(Event(pygame.KEYDOWN, key=key)),
                       [Command(name, ())])
    self.assertEqual(pad.event_to_commands(Event(pygame.KEYDOWN,
                                                 key=pygame.K_z)), [])

  def test_joystick_axes_from_a_base_index_and_buttons(self):
    pad = pad_input.PadInput(input_size=3, window_size=None,
                             joystick_axis_base=2)
    # Axis 0 -> input 2; (-0.5 + 1) / 2 = 0.25. Axis 1 -> input 3: none.
    self.assertEqual(pad.event_to_commands(Event(pygame.JOYAXISMOTION,
                                                 axis=0, value=-0.5)),
                     [Command('carl/input_at', (2, 0.25))])
    self.assertEqual(pad.event_to_commands(Event(pygame.JOYAXISMOTION,
                                                 axis=1, value=1.0)), [])
    self.assertEqual([pad.event_to_commands(Event(pygame.JOYBUTTONDOWN,
                                                  button=b))
                      for b in (0, 1, 2, 3, 9)],
                     [[Command('carl/reward', (1.0,))],
                      [Command('carl/reward', (-1.0,))],
                      [Command('carl/randomise_actor', ())],
                      [Command('carl/randomise_critic', ())], []])

  def test_bad_arguments(self):
    with self.assertRaisesRegex(ValueError, 'input_size'):
      pad_input.PadInput(input_size=0)
    with self.assertRaisesRegex(ValueError, 'at least 2x2'):
      pad_input.PadInput(input_size=2, window_size=(1, 100))


class PadWindowTest(absltest.TestCase):

  def test_posted_events_are_queued_and_drawn(self):
    pad = pad_input.PadInput(input_size=2, window_size=(101, 101)).open()
    self.addCleanup(pad.close)
    pygame.event.post(Event(pygame.MOUSEMOTION, pos=(100, 100), rel=(0, 0),
                            buttons=(0, 0, 0)))
    pygame.event.post(Event(pygame.MOUSEBUTTONDOWN, pos=(100, 100),
                            button=3))
    self.assertEqual(pad.poll(), 3)
    queued = [pad.commands.get_nowait() for _ in range(3)]
    self.assertEqual(queued, [Command('carl/input_at', (0, 1.0)),
                              Command('carl/input_at', (1, 0.0)),
                              Command('carl/reward', (-1.0,))])
    # The dislike flashes the pad red; the crosshair is at the bottom right.
    surface = pygame.display.get_surface()
    self.assertEqual(tuple(surface.get_at((5, 5)))[:3], (120, 32, 32))
    self.assertEqual(tuple(surface.get_at((100, 100)))[:3], (230, 200, 80))

  def test_thread_polls_until_closed(self):
    pad = pad_input.PadInput(input_size=2, window_size=None,
                             poll_hz=500).start()
    pygame.event.post(Event(pygame.JOYBUTTONDOWN, button=0, joy=0,
                            instance_id=0))
    waited = threading.Event()
    for _ in range(400):
      if pad.stats['accepted']:
        break
      waited.wait(0.005)
    pad.close()
    self.assertEqual(pad.commands.get_nowait(), Command('carl/reward', (1.0,)))


if __name__ == '__main__':
  absltest.main()
