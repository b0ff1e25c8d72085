"""ABC tunebooks -> NoteSequences, through note_seq's fast ABC parser.

note_seq's parser (``note_seq.abc_parser``) handles one single-voice tune at a
time and rejects much of what real tunebooks hold. This module rewrites a
tunebook into what it accepts, tune by tune:

* **Sections.** A tunebook is split into sections at blank lines (as note_seq
  does). The first section is the file header if it has no ``X:`` field and
  is prepended to every tune; every later section without an ``X:`` field is
  free text between tunes (ABC 2.1 section 2.2.3, e.g. the ``%`` comment
  paragraphs of music21's miscFolk books) and is skipped. note_seq would
  parse each of those as a tune numbered 0 and then reject the whole book
  ("reference number 0 appears more than once").
* **Voices.** Of a multi-voice tune only the first voice is kept: the voice
  named by the first ``V:`` field (header or body) or ``[V:..]`` inline
  field. Music after a ``V:`` of another voice is dropped up to the next
  ``V:`` of the first voice; the ``V:`` fields themselves are removed
  (note_seq raises MultiVoiceError on them).
* **Music lines** (:func:`preprocess_abc`): rests ``z``/``x`` become a
  placeholder note far below the melody range (``C,,,,``, MIDI 12; key
  signatures and accidentals keep it below 24) that is deleted after parsing,
  so a rest becomes silence of the right duration; triplets of three plain
  notes are written out; grace notes and backquotes are dropped.
* Each tune is parsed on its own, so one bad tune (or two tunes with the same
  ``X:`` number) never loses the rest of the book.
"""

import fractions
import re
from typing import List, Optional, Sequence, Tuple

from note_seq import abc_parser

# Rest placeholder: 'C,,,,' is MIDI 12 (C=60, each comma an octave down).
_REST_PLACEHOLDER = 'C,,,,'
_MAX_PLACEHOLDER_PITCH = 23  # Placeholder with accidentals stays below this.
# Tokens of an ABC music line that must not be touched (chord symbols and
# annotations in quotes, !decorations!, +decorations+, inline fields [K:..]),
# the rests to replace, and what note_seq's parser rejects but a melody does
# not need: grace notes {..} and backquotes (beaming spacers); variant
# endings '|1', ':|2', '[1', '|[2,3' keep only their bar line (the endings are
# then read one after the other, as written).
_ABC_TOKEN_RE = re.compile(
    r'"[^"]*"|![^!]*!|\+[^+]*\+|\[[A-Za-z]:[^\]]*\]|'
    r'(?P<ending>\|\s*\[?[1-9](?:[,-][1-9])*|\[[1-9](?:[,-][1-9])*)|'
    r'(?P<rest>[zx])|'
    r'(?P<drop>\{[^}]*\}|`)')
# A triplet '(3' of three plain notes (note_seq rejects tuplets); each note:
# accidentals, letter, octave marks, length (e.g. '^c', 'A,2', 'e/2', 'B3/2').
_ABC_NOTE = r"([_^=]*[A-Ga-g][,']*)(\d*)(/*)(\d*)"
_ABC_TRIPLET_RE = re.compile(r'\(3\s*' + r'\s*'.join([_ABC_NOTE] * 3))
_ABC_FIELD_RE = re.compile(r'^[A-Za-z+]:')


_VOICE_FIELD_RE = re.compile(r'^V:\s*(\S*)')
_INLINE_VOICE_RE = re.compile(r'^\[V:\s*([^\]\s]*)[^\]]*\]\s*')


def _scaled_note(pitch: str, num: str, slashes: str, den: str,
                 factor: fractions.Fraction) -> str:
  length = fractions.Fraction(int(num) if num else 1)
  if slashes:
    length /= int(den) if den else 2 ** len(slashes)
  length *= factor
  return f'{pitch}{length.numerator}/{length.denominator}'


def _expand_triplet(match) -> str:
  """'(3abc' -> 'a2/3b2/3c2/3': three notes in the time of two."""
  g = match.groups()
  return ''.join(_scaled_note(*g[i:i + 4], fractions.Fraction(2, 3))
                 for i in (0, 4, 8))


def preprocess_abc(abc_text: str) -> str:
  """Rewrites ABC music lines into what note_seq's parser accepts.

  * rests ``z``/``x`` -> the placeholder note ``C,,,,`` (MIDI 12) with the
    same length suffix (``z3/2`` -> ``C,,,,3/2``); the placeholders are
    deleted after parsing, leaving silence of the rest's duration;
  * triplets of three plain notes ``(3abc`` -> ``a2/3b2/3c2/3`` (exact
    durations; quantization rounds them to sixteenths);
  * grace notes ``{..}`` and backquotes are dropped;
  * variant endings (``|1``, ``:|2``, ``[1``, ``|[2``) keep only their bar
    line, so the endings are read one after the other;
  * part fields ``P:`` are dropped (note_seq rejects parts; the parts are
    then read in written order).

  Other header/field lines (``T:``, ``K:``, ...), comments, chord symbols, quoted
  annotations, decorations and inline fields are left alone.

  Args:
    abc_text: an ABC tunebook.

  Returns:
    The rewritten tunebook.
  """
  out = []
  for line in abc_text.splitlines():
    stripped = line.lstrip()
    if stripped.startswith('P:'):
      continue
    if not stripped or stripped.startswith('%') or _ABC_FIELD_RE.match(stripped):
      out.append(line)
      continue
    code, sep, comment = line.partition('%')
    code = _ABC_TOKEN_RE.sub(
        lambda m: (_REST_PLACEHOLDER if m.group('rest') else
                   '' if m.group('drop') else
                   ('|' if m.group('ending').startswith('|') else '')
                   if m.group('ending') else m.group(0)), code)
    code = _ABC_TRIPLET_RE.sub(_expand_triplet, code)
    out.append(code + sep + comment)
  return '\n'.join(out)


def _drop_placeholders(sequence):
  """Deletes rest placeholder notes (pitch < 24) in place."""
  keep = [n for n in sequence.notes if n.pitch > _MAX_PLACEHOLDER_PITCH]
  if len(keep) != len(sequence.notes):
    del sequence.notes[:]
    sequence.notes.extend(keep)
    sequence.total_time = max((n.end_time for n in keep), default=0.0)
  return sequence




def split_sections(abc_text: str) -> Tuple[List[str], List[List[str]]]:
  """Splits a tunebook into (header lines, list of tune sections).

  Sections are runs of non-blank lines (stripped). The first section is the
  header if there is more than one section and it has no ``X:`` field;
  every other section without an ``X:`` field is free text and dropped, as
  are the lines above the ``X:`` line of a tune's section.

  Args:
    abc_text: an ABC tunebook.

  Returns:
    (header lines, [lines of one tune, ...]).
  """
  sections, current = [], []
  for line in abc_text.splitlines():
    line = line.strip()
    if line:
      current.append(line)
    elif current:
      sections.append(current)
      current = []
  if current:
    sections.append(current)
  header = []
  if len(sections) > 1 and not _has_reference(sections[0]):
    header = sections.pop(0)
  # Comment or free-text lines directly above a tune's X: line belong to no
  # tune (note_seq would read them as music).
  return header, [s[next(i for i, line in enumerate(s)
                         if line.startswith('X:')):]
                  for s in sections if _has_reference(s)]


def _has_reference(lines: Sequence[str]) -> bool:
  return any(line.startswith('X:') for line in lines)


def first_voice(lines: Sequence[str]) -> List[str]:
  """Keeps only the first voice of one tune's lines.

  Args:
    lines: stripped lines of one tune (fields and music).

  Returns:
    The lines without ``V:`` fields and without the music (and fields) of
    any voice but the first; an inline ``[V:id]`` at the start of a music
    line is removed from it. A tune without voices comes back unchanged.
  """
  keep_id: Optional[str] = None
  current: Optional[str] = None
  out = []
  for line in lines:
    field = _VOICE_FIELD_RE.match(line)
    inline = None if field else _INLINE_VOICE_RE.match(line)
    match = field or inline
    if match:
      voice_id = match.group(1)
      if keep_id is None:
        keep_id = voice_id
      current = voice_id
      if field:
        continue
      line = line[inline.end():]
      if not line:
        continue
    if current is None or current == keep_id:
      out.append(line)
  return out


def read_abc_text(abc_text: str, name: str = 'tunebook'
                  ) -> Tuple[List[Tuple[str, object]], int]:
  """Parses an ABC tunebook into NoteSequences, tune by tune.

  Args:
    abc_text: the tunebook.
    name: prefix of the tune ids (a file path).

  Returns:
    (list of (tune id, NoteSequence) in file order, number of tunes that
    failed to parse). Tune ids are ``'<name>#<X reference number>'``; a
    reference number seen before in the book gets ``-2``, ``-3``, ... added.
  """
  header, tunes = split_sections(abc_text)
  out, failed, seen = [], 0, {}
  for lines in tunes:
    try:
      tune = abc_parser.ABCTune(
          preprocess_abc('\n'.join(first_voice(header + lines))).splitlines())
    # note_seq raises ABCParseError subclasses; a few malformed fields reach
    # int()/dict lookups inside it instead.
    except (abc_parser.ABCParseError, ValueError, IndexError, KeyError):
      failed += 1
      continue
    ns = _drop_placeholders(tune.note_sequence)
    ref = ns.reference_number
    seen[ref] = seen.get(ref, 0) + 1
    suffix = f'-{seen[ref]}' if seen[ref] > 1 else ''
    out.append((f'{name}#{ref}{suffix}', ns))
  return out, failed


def read_abc_file(path: str) -> Tuple[List[Tuple[str, object]], int]:
  """Parses an ABC tunebook file (see :func:`read_abc_text`).

  Args:
    path: a ``.abc`` file (decoded as UTF-8, bad bytes replaced).

  Returns:
    (list of (tune id, NoteSequence), number of tunes that failed to parse);
    tune ids are ``'<path>#<X reference number>'``.

  Raises:
    OSError: if the file cannot be read.
  """
  with open(path, encoding='utf-8', errors='replace') as f:
    text = f.read()
  return read_abc_text(text, path)
