"""The studio in headless Chromium (Selenium): the issue's browser scenario.

Starts the studio (sonification/studio/studio_main.py) with real TF beat
agents and a threaded CARL learner, then drives the page like a user: type the
tutorial's program and press Ctrl-Enter, see the pattern view and the loss
plot fill, switch snare to predict, make a parse error and see it inline at
its line and column while the old program keeps playing, drag on the XY pad
and like (CARL's memory grows), drag on the synths' mouse pad (the mousex and
mousey controls follow), save a program by name and load it back,
export the session, change the program and import the session back, and
turn on browser audio (the latency shows). A screenshot of the page is kept
in $TEST_UNDECLARED_OUTPUTS_DIR/studio.png.

Needs Debian's chromium and chromium-driver (Makefile APT_PACKAGES).
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from absl.testing import absltest
from selenium import webdriver
from selenium.webdriver.chrome import service as chrome_service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM = shutil.which('chromium') or '/usr/bin/chromium'
CHROMEDRIVER = shutil.which('chromedriver') or '/usr/bin/chromedriver'
PROGRAM = 'source kick*2; learn snare*2;'
START_TIMEOUT_S = 240  # TF import and agent warm-up on a busy 2-core CPU.


def _studio_main() -> str:
  here = os.path.dirname(os.path.abspath(__file__))
  root = os.path.dirname(os.path.dirname(os.path.dirname(here)))
  return os.path.join(root, 'sonification', 'studio', 'studio_main.py')


class StudioBrowserTest(absltest.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.tmp = tempfile.mkdtemp()
    main = _studio_main()
    root = os.path.dirname(os.path.dirname(os.path.dirname(main)))
    env = dict(os.environ, PYTHONPATH=root, TF_CPP_MIN_LOG_LEVEL='2')
    cls.log = open(os.path.join(cls.tmp, 'studio.log'), 'w+')
    cls.proc = subprocess.Popen(
        [sys.executable, main, '--token=t0ken', '--port=0', '--osc_port=-1',
         '--carl_learner=thread', f'--studio_dir={cls.tmp}/studio'],
        stdout=subprocess.PIPE, stderr=cls.log, env=env, text=True)
    deadline = time.monotonic() + START_TIMEOUT_S
    cls.url = None
    while time.monotonic() < deadline and cls.url is None:
      line = cls.proc.stdout.readline()
      if not line and cls.proc.poll() is not None:
        break
      match = re.search(r'Studio: (http://\S+)', line)
      if match:
        cls.url = match.group(1)
    if cls.url is None:
      cls.log.seek(0)
      raise AssertionError('studio did not start:\n' + cls.log.read()[-3000:])
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ('--headless', '--no-sandbox', '--disable-gpu',
                 '--disable-quic', '--no-first-run',
                 '--disable-background-networking',
                 '--disable-component-update', '--disable-sync',
                 '--autoplay-policy=no-user-gesture-required',
                 '--window-size=1400,1300',
                 f'--user-data-dir={cls.tmp}/chromium'):
      options.add_argument(flag)
    options.add_experimental_option('prefs', {
        'download.default_directory': f'{cls.tmp}/downloads'})
    cls.driver = webdriver.Chrome(
        service=chrome_service.Service(executable_path=CHROMEDRIVER),
        options=options)

  @classmethod
  def tearDownClass(cls):
    cls.driver.quit()
    cls.proc.send_signal(signal.SIGINT)
    try:
      cls.proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
      cls.proc.kill()
    cls.log.close()
    shutil.rmtree(cls.tmp, ignore_errors=True)
    super().tearDownClass()

  def wait(self, condition, timeout=90, message=''):
    # A state push may re-render an element between finding and reading it.
    return WebDriverWait(
        self.driver, timeout, poll_frequency=0.2,
        ignored_exceptions=(StaleElementReferenceException,)).until(
            lambda d: condition(), message)

  def click(self, css, timeout=20):
    """Clicks ``css``, finding it again if a state push re-rendered it."""
    def attempt():
      self.el(css).click()
      return True
    self.wait(attempt, timeout, f'could not click {css}')

  def el(self, css):
    return self.driver.find_element(By.CSS_SELECTOR, css)

  def els(self, css):
    return self.driver.find_elements(By.CSS_SELECTOR, css)

  def type_program(self, text):
    self.click('.CodeMirror')
    body = self.el('.CodeMirror textarea')
    body.send_keys(Keys.CONTROL, 'a')
    body.send_keys(Keys.DELETE)
    body.send_keys(text)
    body.send_keys(Keys.CONTROL, Keys.ENTER)

  def editor_text(self):
    return self.driver.execute_script(
        'return document.querySelector(".CodeMirror").CodeMirror.getValue()')

  def active_mode(self, instrument):
    return self.driver.execute_script(
        'const b = document.querySelector(`.mode-row[data-instrument='
        '"${arguments[0]}"] button.active`); return b && b.dataset.mode;',
        instrument)

  def pattern_row(self, label):
    """A row of the pattern view as 0/1 per tick (read in one script: the
    view is redrawn 20 times a second)."""
    return self.driver.execute_script(
        'for (const r of document.querySelectorAll(".prow")) {'
        '  if (r.querySelector(".plabel").textContent === arguments[0])'
        '    return [...r.querySelectorAll(".cell")].map('
        '        (c) => c.classList.contains("on") ? 1 : 0); }'
        'return null;', label)

  def text(self, css):
    return self.driver.execute_script(
        'const e = document.querySelector(arguments[0]);'
        'return e && e.textContent;', css)

  def tick(self):
    return self.driver.execute_script('return lastState && lastState.tick')

  def carl_number(self, name):
    return int(self.text(f'#carl-{name}').split(': ')[1])

  def test_the_tutorial_in_the_browser(self):
    d = self.driver
    d.get(self.url)
    self.wait(lambda: self.el('#conn').text == 'connected', 30)
    # The editor shows the running program, highlighted.
    self.wait(lambda: 'learn snare*2+0.5;' in self.editor_text(), 30)
    self.assertEqual(self.el('.CodeMirror-code .cm-keyword').text, 'bpm')
    self.assertEqual(self.el('.CodeMirror-code .cm-def').text, 'source')

    # Type the tutorial's program and evaluate with Ctrl-Enter.
    self.type_program(PROGRAM)
    self.wait(lambda: self.active_mode('snare') == 'learn', 120,
              'snare did not become a learning agent')
    self.assertEqual(self.editor_text(), PROGRAM)
    # The pattern view: kick*2 is the source on ticks 0 and 4; snare*2 the
    # target on the same ticks (8 ticks per bar).
    self.wait(lambda: self.pattern_row('snare target') == [1, 0, 0, 0] * 2, 60)
    self.wait(lambda: self.pattern_row('source') == [1, 0, 0, 0] * 2, 30)
    # What each line plays: the kick (line 1) as written; the learning
    # snare's written part is heard too.
    self.wait(lambda: self.pattern_row('line 1 kick') == [1, 0, 0, 0] * 2, 30)
    self.wait(lambda: self.pattern_row('line 1 snare') == [1, 0, 0, 0] * 2,
              30)
    # The playing tick is outlined in each of the five rows.
    self.assertEqual(d.execute_script(
        'return document.querySelectorAll(".cell.now").length'), 5)
    # The loss plot: points once a bar of learning has passed.
    self.wait(lambda: int(self.el('#loss').get_attribute('data-points')) >= 2,
              90, 'the loss plot got no points')

    # Switch the snare to predict with the button beside its statement in
    # the editor.
    self.click('.CodeMirror .inline-modes[data-instrument="snare"] '
               'button[data-mode="predict"]')
    self.wait(lambda: self.active_mode('snare') == 'predict', 30)
    self.wait(lambda: self.els('.CodeMirror .inline-modes button.active'
                               '[data-mode="predict"]'), 10)
    self.assertEqual(self.editor_text(), PROGRAM)  # the widget is no text.

    # Ctrl-. stops all sound (the clock runs on, nothing plays) until the
    # next evaluation.
    self.el('.CodeMirror textarea').send_keys(Keys.CONTROL, '.')
    self.wait(lambda: d.execute_script('return lastState.hushed'), 20)

    # A parse error shows inline at its line and column; the old program
    # keeps playing.
    self.type_program('source kick*2;\nlern snare*2;')
    self.wait(lambda: self.els('.parse-error'), 30)
    box = self.el('#eval-error')
    self.assertEqual(box.get_attribute('data-line'), '2')
    self.assertEqual(box.get_attribute('data-column'), '1')
    self.assertIn('line 2, column 1', box.text)
    before = self.tick()
    self.wait(lambda: self.tick() > before + 2, 30)
    self.assertEqual(self.active_mode('snare'), 'predict')

    # CARL: drag on the XY pad (the input follows), like with the button
    # and the 'l' key: its memory grows by two.
    memory = self.carl_number('memory')
    pad = self.el('#pad')
    ActionChains(d).move_to_element_with_offset(pad, -60, 60).click_and_hold(
        ).move_by_offset(120, -120).release().perform()
    # Offsets are from the pad's centre (180 x 180 px): released 60 px
    # right of and above it, x = y = (90 + 60) / 180 = 0.83.
    def carl_input():
      text = self.text('#carl-input') or ''
      return [float(v) for v in text.split(': ')[1].split()] if text else []
    self.wait(lambda: carl_input()[:2] and abs(carl_input()[0] - 0.83) < 0.02
              and abs(carl_input()[1] - 0.83) < 0.02, 20,
              f'the pad did not move CARL\'s input: {carl_input()}')
    # The synths' mouse (cut_mousex, res_mousey): drag on its pad (240 x 90
    # px), released 60 px right of and 30 px above its centre: mousex =
    # (120 + 60) / 240 = 0.75, mousey = (45 + 30) / 90 = 0.83.
    mouse_pad = self.el('#mouse-pad')
    ActionChains(d).move_to_element_with_offset(
        mouse_pad, -60, 0).click_and_hold().move_by_offset(
            120, -30).release().perform()
    controls = lambda: d.execute_script('return lastState.controls')
    self.wait(lambda: abs(controls()['mousex'] - 0.75) < 0.02 and
              abs(controls()['mousey'] - 0.83) < 0.02, 20,
              f'the mouse pad did not move the controls: {controls()}')
    self.assertIn('mousex 0.75', self.text('#mouse-values'))
    # "Follow the pointer anywhere on the page" (Sema's _mousex): the
    # pointer over the page's title gives its place in the window.
    self.click('#mouse-page')
    title = self.el('header h1')
    ActionChains(d).move_to_element(title).perform()
    x, y = d.execute_script(
        'const r = arguments[0].getBoundingClientRect();'
        'return [(r.left + r.width / 2) / innerWidth,'
        '        1 - (r.top + r.height / 2) / innerHeight];', title)
    self.wait(lambda: abs(controls()['mousex'] - x) < 0.02 and
              abs(controls()['mousey'] - y) < 0.02, 20,
              f'the page pointer did not move the controls to {x, y}: '
              f'{controls()}')
    self.click('#mouse-page')  # off again: the pointer is free.
    self.click('#like')
    self.click('header h1')
    d.switch_to.active_element.send_keys('l')
    self.wait(lambda: self.carl_number('memory') >= memory + 2, 20,
              'CARL memory did not grow by 2')
    self.assertGreaterEqual(self.carl_number('rewards'), 2)
    # Its other controls act on the session too.
    rewards = self.carl_number('rewards')
    self.click('#dislike')
    self.wait(lambda: self.carl_number('rewards') == rewards + 1, 20)
    for css, value, field in (('#noise', '0.3', 'carl.noise'),
                              ('#reward-scale', '2', 'carl.reward_scale'),
                              ('#optimise-every', '5', 'carl.optimise_every'),
                              ('#bpm', '132', 'bpm')):
      box = self.el(css)
      # Select and type over, keeping the focus: after clear() the page may
      # refill an unfocused box from the next state push ('1' + '2' = 12).
      box.click()
      box.send_keys(Keys.CONTROL, 'a')
      box.send_keys(value)
      self.click('header h1')  # 'change' fires on blur.
      self.wait(lambda: d.execute_script(f'return lastState.{field}') ==
                float(value), 20, f'{css} did not set {field}')
    self.click('#clear-memory')
    self.wait(lambda: self.carl_number('memory') == 0, 20)

    # New meta-parameters build fresh agents (off the clock) and keep the
    # mode.
    structure = self.driver.find_element(By.NAME, 'structure')
    structure.clear()
    structure.send_keys('16/8')
    self.click('#apply-hparams')
    self.wait(lambda: d.execute_script(
        'return lastState.hparams.structure.join("/")') == '16/8', 120)
    self.assertEqual(self.active_mode('snare'), 'predict')

    # Save the program by name, overwrite the editor, load it back.
    self.type_program(PROGRAM)
    self.wait(lambda: not self.els('.parse-error'), 20)
    name = self.el('#name')
    name.clear()
    name.send_keys('tutorial-1')
    self.click('#save-program')
    self.wait(lambda: 'tutorial-1' in self.el('#saved').text, 20)
    d.execute_script('document.querySelector(".CodeMirror")'
                     '.CodeMirror.setValue("bpm 90;")')
    self.click('#load-program')
    self.wait(lambda: self.editor_text() == PROGRAM, 20)
    # The agent (model + memory) by name too.
    self.click('#save-agent')
    self.wait(lambda: 'agents: tutorial-1' in self.el('#saved').text, 60)
    self.click('#load-agent')
    self.wait(lambda: 'loading agent tutorial-1' in self.el('#status').text,
              20)
    # The reloaded program's agents are built off the clock and swapped in
    # with the program's modes (learn): wait for that before changing modes.
    self.wait(lambda: d.execute_script(
        'return lastState && !lastState.building'), 120)

    # Export the session (program, settings, agent; re-evaluating made the
    # snare learn again, so predict first), change the program and the
    # mode, then import it back from the file.
    self.click('.mode-row[data-instrument="snare"] '
               'button[data-mode="predict"]')
    self.wait(lambda: self.active_mode('snare') == 'predict', 30)
    self.click('#export')
    exported = self.wait(lambda: d.execute_script('return window.lastExport'),
                         60)
    self.assertEqual(exported['program'], PROGRAM)
    self.assertEqual(exported['settings']['modes'], {'snare': 'predict'})
    self.assertTrue(exported['agents_npz_base64'])
    path = os.path.join(self.tmp, 'session.json')
    with open(path, 'w') as f:
      json.dump(exported, f)
    self.type_program('source kick*4; learn snare*4;')
    self.wait(lambda: self.active_mode('snare') == 'learn', 30)
    self.el('#import').send_keys(path)
    self.wait(lambda: self.editor_text() == PROGRAM, 30)
    self.wait(lambda: self.active_mode('snare') == 'predict', 120,
              'the imported session did not restore the predict mode')
    self.wait(lambda: self.pattern_row('snare target') == [1, 0, 0, 0] * 2, 30)

    # Browser audio: the engine's blocks play in the worklet (the kick is
    # heard: a peak above -40 dBFS) and the measured latency is shown.
    self.click('#audio-on')
    self.wait(lambda: float(self.el('#latency').get_attribute('data-heard')
                            or 0) > 0.01, 30, 'nothing heard in the browser')
    self.assertGreater(float(self.el('#latency').get_attribute('data-ms')),
                       0.0)

    out = os.environ.get('TEST_UNDECLARED_OUTPUTS_DIR', self.tmp)
    d.save_screenshot(os.path.join(out, 'studio.png'))
    if os.environ.get('STUDIO_SCREENSHOT'):
      d.save_screenshot(os.environ['STUDIO_SCREENSHOT'])


if __name__ == '__main__':
  absltest.main()
