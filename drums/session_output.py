"""What a drum session leaves behind: MIDI, rendered audio, a pattern figure.

* MIDI: a note_seq NoteSequence with the drums on a drum track
  (``is_drum=True``, channel 10, General MIDI drum notes: kick 36, snare 38,
  closed hat 42, open hat 46) at their exact written times (agent hits at
  their tick), synth notes on General MIDI programs (lead: 81 "Lead 1
  (square)", bass: 39 "Synth Bass 1"), tempo ``qpm = bpm``.
* WAV: the MIDI rendered offline by the ``fluidsynth`` command with a General
  MIDI soundfont (Debian's TimGM6mb by default).
* Figure: source, target and predicted hits per tick over the session, a
  piano-roll style grid (matplotlib, Agg), with the learning loss below.

All files are written to a temporary name and renamed.
"""

import os
import shutil
import subprocess
import tempfile
from typing import Dict, Optional, Sequence

import numpy as np

from drums import schedule

DEFAULT_SOUNDFONT = '/usr/share/sounds/sf2/TimGM6mb.sf2'
SYNTH_PROGRAMS = {'lead': 80, 'bass': 38}  # 0-based GM programs 81 and 39.
DRUM_NOTE_SECONDS = 0.1  # Length written for a drum hit (GM drums ignore it).


def _tmp_path(path: str) -> str:
  directory = os.path.dirname(os.path.abspath(path))
  os.makedirs(directory, exist_ok=True)
  fd, tmp = tempfile.mkstemp(suffix=os.path.splitext(path)[1], dir=directory)
  os.close(fd)
  os.chmod(tmp, 0o644)  # mkstemp makes 0600; outputs are ordinary files.
  return tmp


def to_note_sequence(records: Sequence, bpm: float,
                     ticks_per_bar: int = schedule.TICKS_PER_BAR):
  """The session's records as a NoteSequence.

  Args:
    records: drums.session.TickRecord, in order.
    bpm: tempo (quarter notes per minute); a bar is 4 beats.
    ticks_per_bar: the tick grid of the records.

  Returns:
    A note_seq.NoteSequence.
  """
  import note_seq  # pylint: disable=g-import-not-at-top
  sequence = note_seq.NoteSequence()
  sequence.tempos.add(qpm=bpm)
  sequence.ticks_per_quarter = note_seq.STANDARD_PPQ
  bar_seconds = 60.0 / bpm * schedule.BEATS_PER_BAR
  for record in records:
    bar_start = record.bar * bar_seconds
    for hit in record.hits:
      start = bar_start + float(hit.phase) * bar_seconds
      sequence.notes.add(
          pitch=schedule.GM_DRUM_NOTES[hit.instrument], velocity=hit.velocity,
          start_time=start, end_time=start + DRUM_NOTE_SECONDS, is_drum=True,
          instrument=9)
    for note in record.notes:
      start = bar_start + float(note.phase) * bar_seconds
      sequence.notes.add(
          pitch=note.pitch, velocity=note.velocity, start_time=start,
          end_time=start + float(note.duration) * bar_seconds,
          program=SYNTH_PROGRAMS[note.synth],
          instrument=list(SYNTH_PROGRAMS).index(note.synth))
  if records:
    sequence.total_time = max([n.end_time for n in sequence.notes] +
                              [(records[-1].bar + 1) * bar_seconds])
  return sequence


def write_midi(path: str, sequence) -> str:
  """Writes a NoteSequence as a MIDI file (atomic); the path."""
  import note_seq  # pylint: disable=g-import-not-at-top
  tmp = _tmp_path(path)
  try:
    note_seq.sequence_proto_to_midi_file(sequence, tmp)
    os.replace(tmp, path)
  finally:
    if os.path.exists(tmp):
      os.remove(tmp)
  return path


def render_wav(midi_path: str, wav_path: str,
               soundfont: str = DEFAULT_SOUNDFONT,
               sample_rate: int = 44100) -> str:
  """Renders a MIDI file to WAV offline with the fluidsynth command.

  Raises:
    FileNotFoundError: if fluidsynth or the soundfont is missing (naming it).
    RuntimeError: if fluidsynth fails (with its output).
  """
  binary = shutil.which('fluidsynth')
  if binary is None:
    raise FileNotFoundError('the fluidsynth command is not installed '
                            '(Debian: apt-get install fluidsynth)')
  if not os.path.isfile(soundfont):
    raise FileNotFoundError(f'soundfont {soundfont} not found (Debian: '
                            'apt-get install timgm6mb-soundfont)')
  tmp = _tmp_path(wav_path)
  try:
    done = subprocess.run(
        [binary, '-ni', '-q', '-F', tmp, '-T', 'wav', '-r', str(sample_rate),
         soundfont, midi_path], capture_output=True, text=True, check=False)
    if done.returncode != 0 or os.path.getsize(tmp) == 0:
      raise RuntimeError(f'fluidsynth failed ({done.returncode}): '
                         f'{done.stderr or done.stdout}')
    os.replace(tmp, wav_path)
  finally:
    if os.path.exists(tmp):
      os.remove(tmp)
  return wav_path


def pattern_grids(records: Sequence) -> Dict[str, Dict[str, np.ndarray]]:
  """Per agent instrument: source, target and predicted hits per tick.

  Returns:
    instrument -> {'source': [T], 'target': [T], 'predicted': [T] (-1 where
    the agent was off), 'loss': [T] (NaN where no step)} over the T records.
  """
  instruments = sorted({i for r in records for i in r.modes})
  grids = {}
  for instrument in instruments:
    grids[instrument] = {
        'source': np.array([r.source for r in records], np.float32),
        'target': np.array([r.targets.get(instrument, 0) for r in records],
                           np.float32),
        'predicted': np.array([r.actions.get(instrument, -1)
                               for r in records], np.float32),
        'loss': np.array([r.losses.get(instrument, np.nan)
                          for r in records], np.float32),
    }
  return grids


def plot_patterns(records: Sequence, path: str,
                  ticks_per_bar: int = schedule.TICKS_PER_BAR,
                  title: Optional[str] = None) -> str:
  """Saves the source/target/predicted grid and the loss as a PNG; the path.

  Rows per agent instrument: source, target (written), predicted (the agent's
  action, learn or predict mode); columns are ticks, bar lines every
  ``ticks_per_bar``. Learning ticks are shaded blue, predicting ones green.
  """
  import matplotlib  # pylint: disable=g-import-not-at-top
  matplotlib.use('Agg')
  from matplotlib import pyplot as plt  # pylint: disable=g-import-not-at-top
  grids = pattern_grids(records)
  rows, labels = [], []
  for instrument, grid in grids.items():
    rows += [grid['source'], grid['target'], np.maximum(grid['predicted'], 0)]
    labels += [f'{instrument}: source', f'{instrument}: target',
               f'{instrument}: predicted']
  if not rows:  # No agent: show the played drums instead.
    names = sorted({h.instrument for r in records for h in r.hits})
    for name in names:
      rows.append(np.array([any(h.instrument == name for h in r.hits)
                            for r in records], np.float32))
      labels.append(f'{name}: played')
  num_ticks = len(records)
  fig, axes = plt.subplots(2, 1, figsize=(max(6, num_ticks / 12), 2 +
                                           0.4 * max(len(rows), 1)),
                           gridspec_kw={'height_ratios': [3, 1]},
                           squeeze=False)
  grid_ax, loss_ax = axes[0, 0], axes[1, 0]
  if rows:
    grid_ax.imshow(np.stack(rows), aspect='auto', cmap='Greys',
                   interpolation='nearest', vmin=0, vmax=1)
  modes = [next(iter(r.modes.values()), 'off') for r in records]
  colours = {'learn': 'tab:blue', 'predict': 'tab:green'}
  for t, mode in enumerate(modes):
    if mode in colours:
      grid_ax.axvspan(t - 0.5, t + 0.5, color=colours[mode], alpha=0.08)
  for x in range(0, num_ticks + 1, ticks_per_bar):
    grid_ax.axvline(x - 0.5, color='tab:red', linewidth=0.5)
  grid_ax.set_yticks(range(len(labels)))
  grid_ax.set_yticklabels(labels)
  grid_ax.set_xlabel('tick (bars marked in red; blue = learn, green = '
                     'predict)')
  if title:
    grid_ax.set_title(title)
  for instrument, grid in grids.items():
    loss = grid['loss']
    if np.isfinite(loss).any():
      ticks = np.flatnonzero(np.isfinite(loss))
      loss_ax.plot(ticks, loss[ticks], label=instrument)
  loss_ax.set_xlim(-0.5, max(num_ticks, 1) - 0.5)
  loss_ax.set_ylabel('loss')
  if grids:
    loss_ax.legend(loc='upper right')
  fig.tight_layout()
  tmp = _tmp_path(path)
  try:
    fig.savefig(tmp, format='png', dpi=90)
    os.replace(tmp, path)
  finally:
    plt.close(fig)
    if os.path.exists(tmp):
      os.remove(tmp)
  return path
