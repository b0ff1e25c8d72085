"""Draws docs/audio_spectrogram.png: one program with and without effects.

  PYTHONPATH=. .venv/bin/python tools/audio_figure.py [OUT.png]

Renders two bars of PROGRAM with the audio engine, and the same program with
every ``(effects)`` list removed and the synth settings at their defaults
(cut 100, res 0, env 0), and plots both spectrograms (matplotlib, Agg).
"""

import re
import sys

import matplotlib
matplotlib.use('Agg')
# pylint: disable=g-import-not-at-top,wrong-import-position
from matplotlib import pyplot as plt
import numpy as np
from scipy import signal

from drums import language
from sonification.audio import engine as engine_lib
from sonification.audio import outputs
from sonification.audio import program_tracks

PROGRAM = """bpm 120;
kick*2 3,3,2 (dist:4, lpf:300);
snare*2+0.5 (hpf:3000);
closedhat*8 (amp:0.5, hpf:8000);
bass*2 3,3,2 36,43,48 cut40 res85 env60 (dist:3, lpf:1200);
"""


def plain(text):
  text = re.sub(r'\s*\([^)]*\)', '', text)
  return re.sub(r'\s(cut|res|env)\d+', '', text)


def main(argv):
  path = argv[1] if len(argv) > 1 else 'docs/audio_spectrogram.png'
  fig, axes = plt.subplots(2, 1, figsize=(9, 6), sharex=True)
  for ax, (title, text) in zip(axes, (('without effects or synth settings',
                                       plain(PROGRAM)),
                                      ('as written', PROGRAM))):
    audio = outputs.normalise(program_tracks.render_program(
        engine_lib.Engine(), language.parse(text), 2, tail_s=0.0))[:, 0]
    freqs, times, power = signal.spectrogram(audio, 44100, nperseg=2048,
                                             noverlap=1536)
    ax.pcolormesh(times, freqs, 10 * np.log10(power + 1e-12), vmin=-120,
                  vmax=-30, shading='auto', cmap='magma')
    ax.set_yscale('symlog', linthresh=200)
    ax.set_ylim(30, 22050)
    ax.set_ylabel('Hz')
    ax.set_title(title, fontsize=10)
  axes[-1].set_xlabel('seconds (two bars at 120 bpm)')
  fig.suptitle(' '.join(line.strip() for line in PROGRAM.splitlines()),
               fontsize=7)
  fig.tight_layout()
  fig.savefig(path, dpi=90)
  print(path)


if __name__ == '__main__':
  main(sys.argv)
