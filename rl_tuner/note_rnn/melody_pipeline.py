"""Real monophonic melodies -> 38-class action sequences for the Note RNN.

The pipeline (no TensorFlow; numpy and note_seq only):

  1. Read sources into NoteSequences: ABC tunebooks (note_seq's fast ABC
     parser) and MIDI files (note_seq's MIDI reader). A source is a music21
     corpus collection name (``essenFolksong``, ``oneills1850``,
     ``airdsAirs``, ``ryansMammoth``: ABC files that ship inside the music21
     package, so nothing is downloaded) or a path to a ``.abc``/``.mid``/
     ``.midi`` file or to a directory searched recursively for them.
  2. Quantize to 4 steps per quarter (sixteenth notes, as the RL Tuner).
  3. Extract monophonic melodies per instrument with ``note_seq.Melody``
     (highest note kept when notes start together; a melody ends at a silence
     of ``gap_bars`` bars and extraction continues after it, as Magenta's
     melody extractor does).
  4. ``Melody.squash(48, 84, transpose_to_key=0)``: transpose to C major (the
     key estimate is note_seq's histogram heuristic) and fold every note into
     MIDI 48..83, the 38-class range.
  5. Encode with :func:`rl_tuner.encoding.melody_events_to_actions`.

ABC books are read tune by tune by :mod:`abc_reader`: free-text and ``%``
comment paragraphs between tunes are skipped, multi-voice tunes keep their
first voice, and rests, triplets and grace notes are rewritten into what
note_seq's parser accepts (a rest becomes silence of the right duration: a
NOTE_OFF at its start followed by NO_EVENT holds; tested on hand-written
tunes).

The split into training and validation data is BY TUNE: the sorted tune ids
are shuffled with a fixed seed and the first ``validation_fraction`` of them
are held out, so no melody of a validation tune is ever trained on. Then every
held-out tune that is a near-duplicate of a training tune (a variant: at least
half of the smaller tune's distinct 6-grams of onset pitches are shared, see
:mod:`near_duplicates`) moves to training, so validation measures
generalisation to unseen tunes, not memory of their variants.

The encoded dataset is cached as one ``.npz`` (written atomically) whose name
is a hash of the source files (path, size, modification time) and of the
settings, so a second run with the same data does not parse again.

Training examples are windows of ``window_steps`` events cut from each melody
every ``window_stride`` steps (defaults 64 and 32: windows overlap by half);
the last window of a melody may be shorter and is padded with :data:`PAD`.
"""

import dataclasses
import glob
import hashlib
import json
import os
from typing import Dict, List, Optional, Sequence, Tuple

from absl import logging
import note_seq
from note_seq import melodies_lib
import numpy as np

from rl_tuner import encoding
from rl_tuner.note_rnn import abc_reader
from rl_tuner.note_rnn import near_duplicates

PAD = -1  # Padding value in window arrays (not a class).

MUSIC21_COLLECTIONS = ('essenFolksong', 'oneills1850', 'airdsAirs',
                       'ryansMammoth', 'miscFolk')
ABC_EXTENSIONS = ('.abc',)
MIDI_EXTENSIONS = ('.mid', '.midi')

_CACHE_VERSION = 4


class CorpusError(ValueError):
  """A corpus or file that cannot be read, or that yields no melodies."""


@dataclasses.dataclass(frozen=True)
class PipelineConfig:
  """Settings of the melody pipeline (all part of the cache key).

  Attributes:
    steps_per_quarter: quantization (4 = sixteenth notes, as the RL Tuner).
    transpose_to_key: pitch class to transpose every melody's major key to
      (0 = C major, the key the RL rewards judge), or None to keep keys.
    gap_bars: a silence of this many bars ends a melody (Magenta default 1).
    min_melody_steps: melodies shorter than this (steps) are dropped.
    validation_fraction: fraction of tunes held out for validation.
    seed: seed of the tune shuffle that makes the split.
    dedup_ngram: n-gram length (onsets) of the near-duplicate rule.
    dedup_threshold: validation tunes that are near-duplicates of a training
      tune at this threshold move to training (see :mod:`near_duplicates`:
      shared onset-pitch n-grams >= threshold x the smaller tune's n-gram
      set); None keeps the plain split.
  """
  steps_per_quarter: int = encoding.STEPS_PER_QUARTER
  transpose_to_key: Optional[int] = 0
  gap_bars: float = 1.0
  min_melody_steps: int = 16
  validation_fraction: float = 0.1
  seed: int = 0
  dedup_ngram: int = 6
  dedup_threshold: Optional[float] = 0.5

  def __post_init__(self):
    if self.steps_per_quarter <= 0:
      raise ValueError(f'PipelineConfig.steps_per_quarter must be > 0, got '
                       f'{self.steps_per_quarter}')
    if self.transpose_to_key is not None and not 0 <= self.transpose_to_key < 12:
      raise ValueError(f'PipelineConfig.transpose_to_key must be in [0, 11] or '
                       f'None, got {self.transpose_to_key}')
    if self.gap_bars <= 0:
      raise ValueError(f'PipelineConfig.gap_bars must be > 0, got '
                       f'{self.gap_bars}')
    if self.min_melody_steps < 2:
      raise ValueError(f'PipelineConfig.min_melody_steps must be >= 2, got '
                       f'{self.min_melody_steps}')
    if not 1 <= self.dedup_ngram <= 12:
      raise ValueError(f'PipelineConfig.dedup_ngram must be in [1, 12], got '
                       f'{self.dedup_ngram}')
    if self.dedup_threshold is not None and not 0 < self.dedup_threshold <= 1:
      raise ValueError(f'PipelineConfig.dedup_threshold must be in (0, 1] or '
                       f'None, got {self.dedup_threshold}')
    if not 0.0 <= self.validation_fraction < 1.0:
      raise ValueError(f'PipelineConfig.validation_fraction must be in [0, 1), '
                       f'got {self.validation_fraction}')


@dataclasses.dataclass
class MelodyDataset:
  """Encoded melodies split by tune.

  Attributes:
    train: list of int32 action arrays ``[steps]`` (training tunes).
    validation: list of int32 action arrays ``[steps]`` (held-out tunes).
    stats: counts: tunes read/skipped, tunes and steps per split, sources.
  """
  train: List[np.ndarray]
  validation: List[np.ndarray]
  stats: Dict[str, object]


# ----------------------------------------------------------------- reading


def music21_corpus_dir() -> str:
  """Directory of the corpus that ships inside the music21 package."""
  import music21  # pylint: disable=g-import-not-at-top
  return os.path.join(os.path.dirname(music21.__file__), 'corpus')


def read_abc_file(path: str) -> Tuple[List[Tuple[str, object]], int]:
  """Parses an ABC tunebook into NoteSequences (see :mod:`abc_reader`).

  Args:
    path: a ``.abc`` file.

  Returns:
    (list of (tune id, NoteSequence), number of tunes that failed to parse).
    Tune ids are ``'<path>#<X reference number>'``.

  Raises:
    CorpusError: if the file cannot be read.
  """
  try:
    return abc_reader.read_abc_file(path)
  except OSError as e:
    raise CorpusError(f'Cannot read ABC file {path!r}: {e}') from e


def read_midi_file(path: str) -> List[Tuple[str, object]]:
  """Reads a MIDI file into one NoteSequence.

  Returns:
    ``[(path, NoteSequence)]``.

  Raises:
    CorpusError: if the file is missing or not valid MIDI.
  """
  try:
    ns = note_seq.midi_file_to_note_sequence(path)
  except (OSError, note_seq.MIDIConversionError, EOFError, ValueError) as e:
    raise CorpusError(f'Cannot read MIDI file {path!r}: {e}') from e
  return [(path, ns)]


_READERS = {
    **{ext: lambda p: (read_abc_file(p)) for ext in ABC_EXTENSIONS},
    **{ext: lambda p: (read_midi_file(p), 0) for ext in MIDI_EXTENSIONS},
}


def resolve_source(source: str) -> List[str]:
  """The files a corpus source names.

  Args:
    source: a music21 collection name (see :data:`MUSIC21_COLLECTIONS`), or a
      path to an ABC/MIDI file or to a directory (searched recursively).

  Returns:
    Sorted list of file paths.

  Raises:
    CorpusError: if the source is neither a collection nor an existing path,
      or a directory holds no ABC/MIDI file, or a file has another extension.
  """
  if source in MUSIC21_COLLECTIONS:
    directory = os.path.join(music21_corpus_dir(), source)
  elif os.path.isdir(source):
    directory = source
  elif os.path.isfile(source):
    if os.path.splitext(source)[1].lower() not in _READERS:
      raise CorpusError(
          f'Corpus file {source!r} is not ABC or MIDI (extensions '
          f'{sorted(_READERS)})')
    return [source]
  else:
    raise CorpusError(
        f'Corpus source {source!r} is neither a music21 collection '
        f'{list(MUSIC21_COLLECTIONS)} nor an existing file or directory')
  files = sorted(
      p for p in glob.glob(os.path.join(directory, '**', '*'), recursive=True)
      if os.path.splitext(p)[1].lower() in _READERS and os.path.isfile(p))
  if not files:
    raise CorpusError(f'Corpus directory {directory!r} (source {source!r}) '
                      f'holds no ABC or MIDI file')
  return files


# ----------------------------------------------------------------- melodies


def extract_melodies(sequence, config: PipelineConfig = PipelineConfig()
                     ) -> List[np.ndarray]:
  """NoteSequence -> encoded monophonic melodies (actions 0..37).

  Args:
    sequence: an unquantized NoteSequence.
    config: pipeline settings.

  Returns:
    List of int32 action arrays ``[steps]``, one per melody (per instrument,
    split at silences of ``gap_bars`` bars), each at least
    ``min_melody_steps`` long.

  Raises:
    note_seq errors (e.g. MultipleTimeSignatureError) if the sequence cannot
    be quantized or has a time signature with a fractional bar.
  """
  quantized = note_seq.quantize_note_sequence(sequence,
                                              config.steps_per_quarter)
  instruments = sorted({n.instrument for n in quantized.notes
                        if not n.is_drum})
  melodies = []
  for instrument in instruments:
    start = 0
    while True:
      melody = melodies_lib.Melody()
      melody.from_quantized_sequence(
          quantized, search_start_step=start, instrument=instrument,
          gap_bars=config.gap_bars, ignore_polyphonic_notes=True)
      if not melody.steps:
        break
      start = melody.end_step
      if len(melody) < config.min_melody_steps:
        continue
      melody.squash(encoding.MIN_PITCH, encoding.MAX_PITCH + 1,
                    transpose_to_key=config.transpose_to_key)
      melodies.append(encoding.melody_events_to_actions(melody))
  return melodies


def _read_source_files(files, explicit: bool, config: PipelineConfig, stats):
  """Reads files into {tune id: [melodies]}; updates ``stats`` counters."""
  tunes = {}
  for path in files:
    reader = _READERS[os.path.splitext(path)[1].lower()]
    try:
      sequences, failed = reader(path)
    except CorpusError as e:
      if explicit:
        raise
      logging.warning('Skipping unreadable file: %s', e)
      stats['files_skipped'] += 1
      continue
    stats['files_read'] += 1
    stats['tunes_skipped'] += failed
    if failed:
      logging.warning('%d tune(s) in %s could not be parsed', failed, path)
    for tune_id, ns in sequences:
      try:
        melodies = extract_melodies(ns, config)
      except (note_seq.sequences_lib.QuantizationStatusError,
              note_seq.sequences_lib.MultipleTimeSignatureError,
              note_seq.sequences_lib.MultipleTempoError,
              note_seq.sequences_lib.BadTimeSignatureError,
              note_seq.sequences_lib.NegativeTimeError,
              note_seq.events_lib.NonIntegerStepsPerBarError,
              melodies_lib.PolyphonicMelodyError, ValueError) as e:
        stats['tunes_skipped'] += 1
        logging.debug('Skipping tune %s: %s', tune_id, e)
        continue
      if melodies:
        tunes[tune_id] = melodies
      else:
        stats['tunes_without_melody'] += 1
    if explicit and not any(t.startswith(path) for t in tunes):
      raise CorpusError(f'No melody could be extracted from {path!r}')
  return tunes


def split_tunes(tune_ids: Sequence[str], validation_fraction: float,
                seed: int) -> Tuple[List[str], List[str]]:
  """Deterministic split of tune ids into (train, validation).

  The sorted ids are permuted by ``numpy.random.default_rng(seed)``; the first
  ``round(validation_fraction * n)`` are validation (at least one when the
  fraction is > 0 and there are >= 2 tunes).

  Returns:
    (train ids, validation ids), each sorted.
  """
  ids = sorted(tune_ids)
  order = np.random.default_rng(seed).permutation(len(ids))
  n_val = int(round(validation_fraction * len(ids)))
  if validation_fraction > 0 and n_val == 0 and len(ids) >= 2:
    n_val = 1
  val = sorted(ids[i] for i in order[:n_val])
  train = sorted(ids[i] for i in order[n_val:])
  return train, val


def _cache_key(sources, files_by_source, config: PipelineConfig) -> str:
  files = []
  for source in sources:
    for path in files_by_source[source]:
      st = os.stat(path)
      files.append([os.path.abspath(path), st.st_size, int(st.st_mtime)])
  blob = json.dumps({'version': _CACHE_VERSION, 'sources': list(sources),
                     'files': files, 'config': dataclasses.asdict(config)},
                    sort_keys=True)
  return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _pack(melodies: List[np.ndarray]):
  lengths = np.array([len(m) for m in melodies], dtype=np.int64)
  flat = (np.concatenate(melodies).astype(np.int8) if melodies else
          np.zeros([0], np.int8))
  return flat, lengths


def _unpack(flat, lengths) -> List[np.ndarray]:
  return [m.astype(np.int32) for m in np.split(flat, np.cumsum(lengths)[:-1])
          ] if len(lengths) else []


def save_dataset(dataset: MelodyDataset, path: str) -> None:
  """Writes a dataset as .npz atomically (tmp file + os.replace)."""
  os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
  train_flat, train_len = _pack(dataset.train)
  val_flat, val_len = _pack(dataset.validation)
  tmp = path + '.tmp.npz'
  np.savez_compressed(tmp, train_flat=train_flat, train_lengths=train_len,
                      val_flat=val_flat, val_lengths=val_len,
                      stats=np.array(json.dumps(dataset.stats)))
  os.replace(tmp, path)


def load_cached_dataset(path: str) -> MelodyDataset:
  """Reads a dataset written by :func:`save_dataset`.

  Raises:
    CorpusError: if the file is missing or corrupt.
  """
  try:
    with np.load(path) as z:
      return MelodyDataset(
          train=_unpack(z['train_flat'], z['train_lengths']),
          validation=_unpack(z['val_flat'], z['val_lengths']),
          stats=json.loads(str(z['stats'])))
  except (OSError, KeyError, ValueError) as e:
    raise CorpusError(f'Corrupt melody cache {path!r}: {e}') from e


def default_cache_dir() -> str:
  """``$XDG_CACHE_HOME/rl_tuner/melodies`` (default ``~/.cache/...``)."""
  base = os.environ.get('XDG_CACHE_HOME') or os.path.expanduser('~/.cache')
  return os.path.join(base, 'rl_tuner', 'melodies')


def load_dataset(sources: Sequence[str],
                 config: PipelineConfig = PipelineConfig(),
                 cache_dir: Optional[str] = None) -> MelodyDataset:
  """Reads, encodes and splits a corpus, through the .npz cache.

  Args:
    sources: music21 collection names and/or ABC/MIDI files or directories
      (see :func:`resolve_source`).
    config: pipeline settings.
    cache_dir: where to cache the encoded dataset; None disables the cache.

  Returns:
    A :class:`MelodyDataset`; ``stats['cache']`` says 'hit' or 'miss'.

  Raises:
    CorpusError: if a source does not exist, an explicitly named file cannot
      be read or yields no melody, or the whole corpus yields no melody.
      Unreadable files found inside a collection or directory are skipped
      with a warning naming them and counted in ``stats['files_skipped']``.
  """
  if not sources:
    raise CorpusError('Empty corpus: no source given')
  sources = list(sources)
  files_by_source = {s: resolve_source(s) for s in sources}
  cache_path = None
  if cache_dir:
    key = _cache_key(sources, files_by_source, config)
    cache_path = os.path.join(cache_dir, f'melodies_{key}.npz')
    if os.path.exists(cache_path):
      dataset = load_cached_dataset(cache_path)
      dataset.stats['cache'] = 'hit'
      logging.info('Loaded cached melodies from %s', cache_path)
      return dataset

  stats = {'sources': sources, 'files_read': 0, 'files_skipped': 0,
           'tunes_skipped': 0, 'tunes_without_melody': 0}
  tunes = {}
  for source in sources:
    explicit = os.path.isfile(source)
    tunes.update(_read_source_files(files_by_source[source], explicit, config,
                                    stats))
  if not tunes:
    raise CorpusError(f'Empty corpus: no melody could be extracted from '
                      f'{sources} ({stats})')
  train_ids, val_ids = split_tunes(list(tunes), config.validation_fraction,
                                   config.seed)
  moved = []
  if config.dedup_threshold is not None and val_ids and train_ids:
    dup = near_duplicates.near_duplicate_mask(
        [tunes[t] for t in val_ids], [tunes[t] for t in train_ids],
        config.dedup_ngram, config.dedup_threshold)
    moved = [t for t, d in zip(val_ids, dup) if d]
    val_ids = [t for t, d in zip(val_ids, dup) if not d]
    train_ids = sorted(train_ids + moved)
  train = [m for t in train_ids for m in tunes[t]]
  val = [m for t in val_ids for m in tunes[t]]
  stats.update({
      'tunes': len(tunes), 'train_tunes': len(train_ids),
      'validation_tunes': len(val_ids),
      'validation_near_duplicates_moved': len(moved),
      'train_melodies': len(train),
      'validation_melodies': len(val),
      'train_steps': int(sum(len(m) for m in train)),
      'validation_steps': int(sum(len(m) for m in val)),
      'config': dataclasses.asdict(config)})
  dataset = MelodyDataset(train=train, validation=val, stats=stats)
  if cache_path:
    save_dataset(dataset, cache_path)
    logging.info('Cached melodies in %s', cache_path)
  dataset.stats['cache'] = 'miss'
  return dataset


def make_windows(melodies: Sequence[np.ndarray], window_steps: int = 64,
                 window_stride: int = 32, min_steps: int = 16,
                 return_starts: bool = False):
  """Cuts fixed-length training windows from melodies.

  A window starts at every multiple of ``window_stride`` in each melody while
  at least ``min_steps`` events remain (always at step 0); windows that run
  past the melody's end are padded with :data:`PAD`. With stride equal to the
  window every step lands in exactly one window.

  Args:
    melodies: int action arrays ``[steps]``.
    window_steps: events per window (the model sees ``window_steps - 1``
      inputs and predicts ``window_steps - 1`` targets).
    window_stride: steps between window starts.
    min_steps: shortest tail window kept.
    return_starts: also return where each window starts in its melody.

  Returns:
    int32 ``[num_windows, window_steps]`` actions, :data:`PAD` past the end;
    with ``return_starts`` a pair (windows, int32 ``[num_windows]`` start
    step of each window in its melody: 0 = the window opens the melody).

  Raises:
    ValueError: on non-positive sizes.
  """
  if window_steps < 2 or window_stride < 1 or min_steps < 1:
    raise ValueError(f'make_windows: need window_steps >= 2, window_stride >= 1, '
                     f'min_steps >= 1; got {window_steps}, {window_stride}, '
                     f'{min_steps}')
  rows, starts = [], []
  for m in melodies:
    for start in range(0, len(m), window_stride):
      if start > 0 and len(m) - start < min_steps:
        break
      row = np.full([window_steps], PAD, np.int32)
      chunk = m[start:start + window_steps]
      row[:len(chunk)] = chunk
      rows.append(row)
      starts.append(start)
      if start + window_steps >= len(m):
        break
  windows = (np.stack(rows) if rows else
             np.zeros([0, window_steps], np.int32))
  if return_starts:
    return windows, np.asarray(starts, np.int32)
  return windows


def window_skips(starts: np.ndarray, skip_first_steps: int) -> np.ndarray:
  """Unscored leading predictions per window.

  A window that opens its melody (start 0) is scored from its first
  prediction: the model must learn how melodies begin (after one primer
  note, or a MIDI primer's opening). A window that starts mid-melody has no
  context for its first predictions, so the first ``skip_first_steps`` are
  not scored (paper: 8).

  Args:
    starts: int ``[num_windows]`` start steps from :func:`make_windows`.
    skip_first_steps: unscored predictions of a mid-melody window.

  Returns:
    int32 ``[num_windows]``: 0 where ``starts == 0``, else
    ``skip_first_steps``.
  """
  starts = np.asarray(starts)
  return np.where(starts == 0, 0, skip_first_steps).astype(np.int32)
