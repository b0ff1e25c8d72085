"""Mouse pad and joystick input for CARL, through pygame (SDL).

:class:`PadInput` opens a small window, the "pad": the pointer's position in
it is x (left 0 -> right 1) and y (bottom 0 -> top 1): CARL's inputs 0 and 1,
or in a drum session the ``mousex``/``mousey`` controls that synth values
like ``cut_mousex`` follow (:data:`POINTER_COMMANDS`). The left button is
"like" (reward +1), the right button "dislike" (reward -1), and keys run the
other verbs (:data:`KEYS`). Joystick axes are inputs too (axis k ->
input ``joystick_axis_base + k``, -1..1 mapped to 0..1) and its buttons are
verbs (:data:`JOYSTICK_BUTTONS`). Events become the same
:class:`osc_control.Command` objects OSC and MIDI produce, queued for the
clock thread.

pygame's event loop runs in its own thread (:meth:`PadInput.start`): SDL on
Linux and Windows allows that; macOS wants windows on the main thread, so
there use the joystick without the pad (``window_size=None``) or OSC/MIDI.
Without a window, SDL's 'dummy' video driver is used when no display is set,
so a joystick works on a headless machine.

No TF here.
"""

import logging
import os
import queue
import threading
from typing import Callable, Dict, List, Optional, Tuple

from sonification import osc_control

# Verbs (command name, args) by key and by joystick button (buttons 0-3 are
# A/B/X/Y or cross/circle/square/triangle on common game pads).
KEYS: Dict[str, Tuple[str, tuple]] = {
    'a': ('carl/randomise_actor', ()),
    'c': ('carl/randomise_critic', ()),
    'm': ('carl/clear_memory', ()),
    's': ('carl/save', ()),
    'l': ('carl/load', ()),
}
JOYSTICK_BUTTONS: Dict[int, Tuple[str, tuple]] = {
    0: ('carl/reward', (1.0,)),
    1: ('carl/reward', (-1.0,)),
    2: ('carl/randomise_actor', ()),
    3: ('carl/randomise_critic', ()),
}
MOUSE_BUTTONS: Dict[int, Tuple[str, tuple]] = {
    1: ('carl/reward', (1.0,)),   # left: like
    3: ('carl/reward', (-1.0,)),  # right: dislike
}
# SDL video drivers that draw nowhere; SDL falls back to them without a
# display. Chosen explicitly (SDL_VIDEODRIVER, e.g. in tests) they are fine.
HEADLESS_DRIVERS = ('offscreen', 'dummy')
# Where the pointer goes: pointer target -> command name and args per axis
# (axis 0 = x, 1 = y; value in [0, 1]).
POINTER_COMMANDS: Dict[str, Callable[[int, float], 'osc_control.Command']] = {
    'carl': lambda axis, value: osc_control.Command('carl/input_at',
                                                    (axis, value)),
    'drums': lambda axis, value: osc_control.Command(
        'drums/control', (('mousex', 'mousey')[axis], value)),
}
HELP = ('left click: like    right click: dislike',
        'a/c: randomise actor/critic   m: clear memory   s/l: save/load')


def _clip01(value: float) -> float:
  return min(1.0, max(0.0, float(value)))


class PadInput:
  """pygame mouse pad and joystick -> queued CARL commands.

  Args:
    input_size: CARL's input vector length; pointer x, y are inputs 0 and 1
      (y only when input_size >= 2); axes beyond the vector are ignored.
    window_size: pad size in pixels (width, height); None: no window
      (joystick only).
    joystick_axis_base: input index of joystick axis 0.
    pointer: where the pointer goes, a key of :data:`POINTER_COMMANDS`
      ('carl': inputs 0 and 1; 'drums': the mousex/mousey controls).
    poll_hz: event polling rate of :meth:`start`'s thread, Hz.
    max_queue: commands beyond this wait are dropped (counted).

  Attributes:
    commands: ``queue.Queue`` of :class:`osc_control.Command`.
    stats: 'events', 'accepted', 'dropped', 'joysticks'.

  Raises:
    ValueError: on a non-positive input_size, window size or poll rate.
  """

  def __init__(self, input_size: int,
               window_size: Optional[Tuple[int, int]] = (360, 360),
               joystick_axis_base: int = 0, pointer: str = 'carl',
               poll_hz: float = 200.0, max_queue: int = 10_000):
    if input_size < 1 or poll_hz <= 0 or joystick_axis_base < 0:
      raise ValueError(f'input_size ({input_size}) and poll_hz ({poll_hz}) '
                       f'must be positive, joystick_axis_base '
                       f'({joystick_axis_base}) >= 0')
    if pointer not in POINTER_COMMANDS:
      raise ValueError(f'pointer must be one of {sorted(POINTER_COMMANDS)}, '
                       f'got {pointer!r}')
    if window_size is not None and min(window_size) < 2:
      raise ValueError(f'window_size must be at least 2x2, got {window_size}')
    self.input_size = input_size
    self.window_size = None if window_size is None else tuple(window_size)
    self.joystick_axis_base = joystick_axis_base
    self.pointer_target = pointer
    self.poll_hz = poll_hz
    self.commands: 'queue.Queue[osc_control.Command]' = queue.Queue(
        maxsize=max_queue)
    self.stats = dict(events=0, accepted=0, dropped=0, joysticks=0)
    self.pointer = (0.5, 0.5)
    self._pygame = None
    self._screen = None
    self._font = None
    self._joysticks = {}
    self._flash = None
    self._thread: Optional[threading.Thread] = None
    self._stop = threading.Event()
    self._opened = threading.Event()
    self._open_error: Optional[Exception] = None

  # -------------------------------------------------------------- mapping --

  def _input(self, index: int, value: float) -> List[osc_control.Command]:
    if index >= self.input_size:
      return []
    return [osc_control.Command('carl/input_at', (index, _clip01(value)))]

  def event_to_commands(self, event) -> List[osc_control.Command]:
    """The commands one pygame event stands for.

    Args:
      event: a ``pygame.event.Event`` (MOUSEMOTION pos in pixels of the pad,
        MOUSEBUTTONDOWN, KEYDOWN, JOYAXISMOTION value in [-1, 1],
        JOYBUTTONDOWN).

    Returns:
      The commands (empty for events that map to nothing).
    """
    pg = self._pygame or _import_pygame()
    kind = event.type
    if kind == pg.MOUSEMOTION and self.window_size:
      width, height = self.window_size
      x = event.pos[0] / (width - 1)
      y = 1.0 - event.pos[1] / (height - 1)  # up is more.
      self.pointer = (_clip01(x), _clip01(y))
      # CARL's inputs stop at input_size; the drum controls are always two.
      axes = 2 if self.pointer_target == 'drums' else min(2, self.input_size)
      return [POINTER_COMMANDS[self.pointer_target](axis, self.pointer[axis])
              for axis in range(axes)]
    if kind == pg.MOUSEBUTTONDOWN and event.button in MOUSE_BUTTONS:
      return [osc_control.Command(*MOUSE_BUTTONS[event.button])]
    if kind == pg.KEYDOWN:
      verb = KEYS.get(pg.key.name(event.key))
      return [osc_control.Command(*verb)] if verb else []
    if kind == pg.JOYAXISMOTION:
      return self._input(self.joystick_axis_base + event.axis,
                         (event.value + 1.0) / 2.0)
    if kind == pg.JOYBUTTONDOWN and event.button in JOYSTICK_BUTTONS:
      return [osc_control.Command(*JOYSTICK_BUTTONS[event.button])]
    return []

  # ------------------------------------------------------------- pygame io --

  def open(self) -> 'PadInput':
    """Initialises pygame's video and joystick systems (and the window).

    Call from the thread that will call :meth:`poll`.

    Raises:
      osc_control.ControlInputError: when SDL has no video device for the
        window (e.g. no display: set DISPLAY, or use window_size=None).
    """
    if self.window_size is None and not (os.environ.get('DISPLAY') or
                                         os.environ.get('WAYLAND_DISPLAY')):
      os.environ.setdefault('SDL_VIDEODRIVER', 'dummy')
    pg = _import_pygame()
    try:
      pg.display.init()
      pg.joystick.init()
      if self.window_size is not None:
        driver = pg.display.get_driver()
        if (driver in HEADLESS_DRIVERS and
            os.environ.get('SDL_VIDEODRIVER') != driver):
          raise pg.error(f'no display: SDL fell back to its {driver!r} '
                         'video driver')
        self._screen = pg.display.set_mode(self.window_size)
        pg.display.set_caption('CARL pad')
        pg.font.init()
        self._font = pg.font.Font(None, 16)
    except pg.error as e:
      raise osc_control.ControlInputError(
          f'cannot open the CARL pad ({e}); it needs a display (DISPLAY or '
          'WAYLAND_DISPLAY); use OSC or MIDI in, or the joystick alone '
          '(window_size=None: --joystick without --pad)') from e
    self._pygame = pg
    for index in range(pg.joystick.get_count()):
      self._add_joystick(index)
    if self.window_size is None and not self._joysticks:
      logging.warning('no joystick found yet; waiting for one to be plugged '
                      'in')
    return self

  def _add_joystick(self, device_index: int) -> None:
    joystick = self._pygame.joystick.Joystick(device_index)
    self._joysticks[joystick.get_instance_id()] = joystick
    self.stats['joysticks'] = len(self._joysticks)
    logging.info('joystick %d: %s, %d axes, %d buttons', device_index,
                 joystick.get_name(), joystick.get_numaxes(),
                 joystick.get_numbuttons())

  def poll(self) -> int:
    """Handles the pending pygame events; redraws the pad.

    Returns:
      The number of commands queued.
    """
    pg = self._pygame
    queued = 0
    for event in pg.event.get():
      self.stats['events'] += 1
      if event.type == pg.JOYDEVICEADDED:
        self._add_joystick(event.device_index)
        continue
      if event.type == pg.QUIT:
        self._stop.set()
        continue
      for command in self.event_to_commands(event):
        if command.name == 'carl/reward':
          self._flash = command.args[0]
        queued += osc_control.enqueue(self.commands, command, self.stats)
    if self._screen is not None:
      self._draw()
    return queued

  def _draw(self) -> None:
    pg = self._pygame
    width, height = self.window_size
    if self._flash is None:
      colour = (24, 24, 32)
    else:  # a reward was given since the last frame: green like, red dislike.
      colour = (24, 96, 48) if self._flash > 0 else (120, 32, 32)
    self._flash = None
    self._screen.fill(colour)
    x = int(self.pointer[0] * (width - 1))
    y = int((1.0 - self.pointer[1]) * (height - 1))
    pg.draw.line(self._screen, (90, 90, 110), (x, 0), (x, height))
    pg.draw.line(self._screen, (90, 90, 110), (0, y), (width, y))
    pg.draw.circle(self._screen, (230, 200, 80), (x, y), 6)
    for row, text in enumerate(HELP):
      self._screen.blit(self._font.render(text, True, (200, 200, 210)),
                        (6, height - 14 * (len(HELP) - row) - 2))
    pg.display.flip()

  # --------------------------------------------------------------- thread --

  def start(self) -> 'PadInput':
    """Runs open() and then poll() at poll_hz in a thread.

    Raises:
      osc_control.ControlInputError: when open() fails in the thread.
    """
    if self._thread is not None:
      return self
    self._stop.clear()
    self._open_error = None
    self._opened.clear()
    self._thread = threading.Thread(target=self._loop, name='pad-input',
                                    daemon=True)
    self._thread.start()
    self._opened.wait(timeout=10.0)
    if self._open_error is not None:
      self._thread.join(timeout=2.0)
      self._thread = None
      raise self._open_error
    return self

  def _loop(self) -> None:
    try:
      self.open()
    except osc_control.ControlInputError as e:
      self._open_error = e
      self._opened.set()
      return
    self._opened.set()
    period = 1.0 / self.poll_hz
    while not self._stop.is_set():
      try:
        self.poll()
      except Exception:  # pylint: disable=broad-except
        logging.exception('pad input: poll failed')
      self._stop.wait(period)
    self._pygame.quit()

  def close(self) -> None:
    self._stop.set()
    if self._thread is not None:
      self._thread.join(timeout=2.0)
      self._thread = None
    elif self._pygame is not None:
      self._pygame.quit()
    self._pygame = None


def _import_pygame():
  os.environ.setdefault('PYGAME_HIDE_SUPPORT_PROMPT', '1')
  import pygame  # pylint: disable=g-import-not-at-top
  return pygame
