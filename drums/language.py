"""The drum live-coding language ("Rubber Gosling", Sema tutorials) parser.

A program is a list of statements, each ending with ``;``; ``//`` starts a
comment that runs to the end of the line (../shared/SPEC.md section 2):

  bpm N;
  [source|learn|predict] INSTRUMENT[*speed][+offset] [r1,r2,...] [(fx:v, ...)];
  lead|bass[*speed][+offset] RATIOS NOTES [cutX] [resX] [envX] [(fx:v, ...)];

INSTRUMENT is one of kick, snare, closedhat, openhat. ``*speed`` runs the
pattern cycle ``speed`` times per bar (> 0, default 1), ``+offset`` shifts it
by that fraction of one cycle (0 <= offset < 1, default 0), and the ratios
divide one cycle into proportional parts (default ``1``); ``*`` and ``+``
follow the instrument with no space. Synth NOTES are MIDI numbers, cycled over
the onsets; ``cutX``/``resX``/``envX`` take a number in 0-100 or ``_mousex`` /
``_mousey`` (a 0-1 control input the player supplies). Effects are applied in
the written order: ``dist`` (>= 1), ``amp`` (1 = 100%, >= 0), ``lpf`` and
``hpf`` (20-20000 Hz).

Numbers are kept as exact ``fractions.Fraction`` s (``0.5`` is exactly 1/2),
so schedules are exact.

Limits (checked by the parser, each a ParseError at the offending position, so
that no program, however hostile, can stall the realtime clock): a program is
at most MAX_PROGRAM_CHARS characters and MAX_STATEMENTS statements; a number
is at most MAX_NUMBER_CHARS characters; a speed is at most MAX_SPEED; a
ratio or note list has at most MAX_LIST_ITEMS items; one statement plays at
most MAX_ONSETS_PER_STATEMENT onsets per bar (speed x number of ratios) and a
whole program at most MAX_ONSETS_PER_BAR.

Errors are :class:`ParseError` with the line, the column and what was
expected in plain words. No TensorFlow here: the realtime adapter parses
programs on its hot path.
"""

import dataclasses
import fractions
import re
from typing import Optional, Sequence, Tuple, Union

import lark

Fraction = fractions.Fraction

DRUM_INSTRUMENTS = ('kick', 'snare', 'closedhat', 'openhat')
ROLES = ('play', 'source', 'learn', 'predict')
MOUSE_CONTROLS = ('mousex', 'mousey')
DEFAULT_BPM = 120
BPM_RANGE = (20, 400)  # Beats per minute accepted by ``bpm N;``.
# Limits (issue 12): a 13-byte ``kick*1000000;`` used to stall the clock for
# 34 s and a 1 MB program took 21 s to parse. A real program is a few hundred
# characters with a few onsets per tick; these leave ample room for that.
MAX_PROGRAM_CHARS = 16_384  # Characters of program text (parsed in < 1 s).
MAX_STATEMENTS = 64  # Statements (bpm lines included).
MAX_NUMBER_CHARS = 12  # Characters of one number ('120.5' has 5).
MAX_SPEED = 64  # Pattern cycles per bar.
MAX_LIST_ITEMS = 64  # Ratios or notes in one list.
MAX_ONSETS_PER_STATEMENT = 256  # speed * number of ratios, per bar.
MAX_ONSETS_PER_BAR = 1024  # The same summed over a program's statements.
# Synth parameter defaults when a statement leaves them out (0-100 scale).
DEFAULT_CUT, DEFAULT_RES, DEFAULT_ENV = 100, 0, 0

_GRAMMAR = r"""
start: statement*
?statement: bpm | drum | synth
bpm: BPM NUMBER SEMI
drum: ROLE? DRUM speed? offset? numbers? effects? SEMI
synth: SYNTH speed? offset? numbers numbers param* effects? SEMI
speed: STAR NUMBER
offset: PLUS NUMBER
numbers: NUMBER (COMMA NUMBER)*
param: CUT | RES | ENV
effects: LPAR effect (COMMA effect)* RPAR
effect: EFFECT COLON NUMBER

BPM.2: /bpm\b/
ROLE.2: /(source|learn|predict)\b/
DRUM.2: /(kick|snare|closedhat|openhat)\b/
SYNTH.2: /(lead|bass)\b/
EFFECT.2: /(dist|amp|lpf|hpf)\b/
CUT.2: /cut(_mouse[xy]|\d+(\.\d+)?|\.\d+)\b/
RES.2: /res(_mouse[xy]|\d+(\.\d+)?|\.\d+)\b/
ENV.2: /env(_mouse[xy]|\d+(\.\d+)?|\.\d+)\b/
NUMBER: /(\d+(\.\d*)?|\.\d+)(?![A-Za-z_])/
SEMI: ";"
STAR: "*"
PLUS: "+"
COMMA: ","
COLON: ":"
LPAR: "("
RPAR: ")"
COMMENT: /\/\/[^\n]*/
%import common.WS
%ignore WS
%ignore COMMENT
"""

# Terminal names in plain words, for error messages.
_WORDS = {
    'BPM': "'bpm'",
    'ROLE': 'source, learn or predict',
    'DRUM': 'an instrument (kick, snare, closedhat, openhat)',
    'SYNTH': 'a synth (lead, bass)',
    'EFFECT': 'an effect name (dist, amp, lpf, hpf)',
    'CUT': 'cutN or cut_mousex/cut_mousey',
    'RES': 'resN or res_mousex/res_mousey',
    'ENV': 'envN or env_mousex/env_mousey',
    'NUMBER': 'a number',
    'SEMI': "';'",
    'STAR': "'*' (speed)",
    'PLUS': "'+' (offset)",
    'COMMA': "','",
    'COLON': "':'",
    'LPAR': "'(' (effects)",
    'RPAR': "')'",
    '$END': 'the end of the program',
}


class ParseError(ValueError):
  """A program that does not parse or has a value out of range.

  Attributes:
    line: 1-based line of the problem.
    column: 1-based column of the problem.
    expected: what would have been accepted there, in plain words.
    message: the problem, without the position.
  """

  def __init__(self, line: int, column: int, message: str,
               expected: Sequence[str] = ()):
    self.line = line
    self.column = column
    self.expected = tuple(expected)
    self.message = message
    super().__init__(f'line {line}, column {column}: {message}')


@dataclasses.dataclass(frozen=True)
class DrumStatement:
  """One drum pattern line.

  Attributes:
    role: 'play' (plain), 'source', 'learn' or 'predict'.
    instrument: one of DRUM_INSTRUMENTS.
    speed: pattern cycles per bar (> 0).
    offset: shift as a fraction of one cycle, in [0, 1).
    ratios: the proportional parts of one cycle (each > 0).
    effects: (name, value) pairs in written order.
    line: 1-based source line of the statement.
    column: 1-based source column of its instrument name.
  """
  role: str
  instrument: str
  speed: Fraction = Fraction(1)
  offset: Fraction = Fraction(0)
  ratios: Tuple[Fraction, ...] = (Fraction(1),)
  effects: Tuple[Tuple[str, float], ...] = ()
  line: int = 0
  column: int = 0


SynthValue = Union[float, str]  # A number in 0-100, or 'mousex'/'mousey'.


@dataclasses.dataclass(frozen=True)
class SynthStatement:
  """One synth line (lead or bass).

  Attributes:
    synth: 'lead' or 'bass'.
    speed, offset, ratios: as in DrumStatement.
    notes: MIDI note numbers cycled over the onsets.
    cut, res, env: filter cutoff, resonance and envelope amount, 0-100, or
      'mousex'/'mousey' to follow a 0-1 control input.
    effects: (name, value) pairs in written order.
    line: 1-based source line.
    column: 1-based source column of its synth name.
  """
  synth: str
  speed: Fraction = Fraction(1)
  offset: Fraction = Fraction(0)
  ratios: Tuple[Fraction, ...] = (Fraction(1),)
  notes: Tuple[int, ...] = (60,)
  cut: SynthValue = DEFAULT_CUT
  res: SynthValue = DEFAULT_RES
  env: SynthValue = DEFAULT_ENV
  effects: Tuple[Tuple[str, float], ...] = ()
  line: int = 0
  column: int = 0

  @property
  def instrument(self) -> str:
    return self.synth


Statement = Union[DrumStatement, SynthStatement]


@dataclasses.dataclass(frozen=True)
class Program:
  """A parsed program: tempo and statements in written order.

  Attributes:
    bpm: beats (quarter notes) per minute; the last ``bpm`` statement wins,
      DEFAULT_BPM without one.
    statements: drum and synth statements in written order.
  """
  bpm: float = DEFAULT_BPM
  statements: Tuple[Statement, ...] = ()

  def drums(self, role: Optional[str] = None) -> Tuple[DrumStatement, ...]:
    """Drum statements, optionally only those with ``role``."""
    return tuple(s for s in self.statements if isinstance(s, DrumStatement)
                 and (role is None or s.role == role))


def _error(token: lark.Token, message: str, expected=()) -> ParseError:
  if expected:
    message += '; expected ' + _join(tuple(expected))
  return ParseError(token.line, token.column, message, expected)


def _number(token: lark.Token, text: Optional[str] = None) -> Fraction:
  """The exact value of a NUMBER token (or of ``text`` found at ``token``).

  Raises:
    ParseError: at the token if the number has more than MAX_NUMBER_CHARS
      characters (a 400-digit bpm used to escape as lark's VisitError).
  """
  text = str(token) if text is None else text
  if len(text) > MAX_NUMBER_CHARS:
    raise _error(token, f'number {text[:MAX_NUMBER_CHARS]}... has {len(text)} '
                 f'characters, more than {MAX_NUMBER_CHARS}',
                 [f'a number of at most {MAX_NUMBER_CHARS} characters'])
  return Fraction(text)


def _check_range(token, name, value, low=None, high=None, high_open=False,
                 low_open=False):
  """Raises ParseError naming ``value`` unless it is within the bounds."""
  ok = True
  if low is not None:
    ok &= value > low if low_open else value >= low
  if high is not None:
    ok &= value < high if high_open else value <= high
  if not ok:
    lo = '' if low is None else f'{low} {"<" if low_open else "<="} '
    hi = '' if high is None else f' {"<" if high_open else "<="} {high}'
    shown = float(value) if isinstance(value, Fraction) else value
    raise _error(token, f'{name} {shown:g} is out of range',
                 [f'{lo}{name}{hi}'])


# Effect name -> (low, high) inclusive bounds (SPEC section 2).
_EFFECT_RANGES = {'dist': (1, 100), 'amp': (0, 16), 'lpf': (20, 20000),
                  'hpf': (20, 20000)}


def _adjacent(previous: lark.Token, token: lark.Token, what: str):
  """``*``/``+`` and their numbers must follow with no space."""
  if token.start_pos != previous.end_pos:
    raise _error(token, f'unexpected space before {what}',
                 [f"{what} directly after '{previous}' with no space"])


class _ToProgram(lark.Transformer):
  """Parse tree -> Program, with range checks."""

  def start(self, statements):
    bpm = DEFAULT_BPM
    kept = []
    onsets_per_bar = 0
    for i, statement in enumerate(statements):
      if i == MAX_STATEMENTS:
        line, column = ((statement[2].line, statement[2].column)
                        if isinstance(statement, tuple) else
                        (statement.line, statement.column))
        raise ParseError(line, column, f'more than {MAX_STATEMENTS} '
                         'statements', [f'at most {MAX_STATEMENTS} statements'])
      if not (isinstance(statement, tuple) and statement[0] == 'bpm'):
        onsets_per_bar += statement.speed * len(statement.ratios)
        if onsets_per_bar > MAX_ONSETS_PER_BAR:
          raise ParseError(statement.line, statement.column,
                           f'the program plays more than {MAX_ONSETS_PER_BAR} '
                           'onsets per bar', [
                               f'at most {MAX_ONSETS_PER_BAR} onsets per bar '
                               '(speed x ratios, summed over statements)'])
      if isinstance(statement, tuple) and statement[0] == 'bpm':
        bpm = statement[1]
      else:
        kept.append(statement)
    return Program(bpm=bpm, statements=tuple(kept))

  def bpm(self, children):
    keyword, number, _ = children
    value = _number(number)
    _check_range(number, 'bpm', value, *BPM_RANGE)
    return ('bpm', float(value), keyword)

  def speed(self, children):
    star, number = children
    value = _number(number)
    _adjacent(star, number, 'the speed number')
    _check_range(number, 'speed', value, 0, MAX_SPEED, low_open=True)
    return ('speed', star, value, number)

  def offset(self, children):
    plus, number = children
    value = _number(number)
    _adjacent(plus, number, 'the offset number')
    _check_range(number, 'offset', value, 0, 1, high_open=True)
    return ('offset', plus, value, number)

  def numbers(self, children):
    tokens = [t for t in children if t.type == 'NUMBER']
    if len(tokens) > MAX_LIST_ITEMS:
      raise _error(tokens[MAX_LIST_ITEMS], f'a list of {len(tokens)} numbers '
                   f'is longer than {MAX_LIST_ITEMS}',
                   [f'at most {MAX_LIST_ITEMS} numbers in a list'])
    return tokens

  def param(self, children):
    (token,) = children
    name, value = token[:3], token[3:]
    if value.startswith('_'):
      return (name, token, value[1:])
    number = _number(token, value)
    _check_range(token, name, number, 0, 100)
    return (name, token, float(number))

  def effect(self, children):
    name, _, number = children
    value = _number(number)
    _check_range(number, str(name), value, *_EFFECT_RANGES[str(name)])
    return (str(name), float(value))

  def effects(self, children):
    return ('effects', tuple(c for c in children if isinstance(c, tuple)))

  def _ratios(self, tokens):
    ratios = []
    for token in tokens:
      value = _number(token)
      _check_range(token, 'ratio', value, 0, low_open=True)
      ratios.append(value)
    return tuple(ratios)

  def drum(self, children):
    role, head = 'play', None
    numbers, effects = None, ()
    for child in children:
      if isinstance(child, lark.Token) and child.type == 'ROLE':
        role = str(child)
      elif isinstance(child, lark.Token) and child.type == 'DRUM':
        head = child
      elif isinstance(child, list):
        numbers = child
      elif isinstance(child, tuple) and child[0] == 'effects':
        effects = child[1]
    speed, offset = self._modifiers_from(head, children)
    ratios = self._ratios(numbers) if numbers else (Fraction(1),)
    self._check_onsets(head, speed, ratios)
    return DrumStatement(
        role=role, instrument=str(head), speed=speed, offset=offset,
        ratios=ratios, effects=effects, line=head.line, column=head.column)

  def synth(self, children):
    head = children[0]
    lists = [c for c in children if isinstance(c, list)]
    ratios_tokens, note_tokens = lists
    notes = []
    for token in note_tokens:
      value = _number(token)
      if value.denominator != 1:
        raise _error(token, f'note {float(value):g} is not a whole MIDI '
                     'number', ['a MIDI note number 0-127'])
      _check_range(token, 'note', value, 0, 127)
      notes.append(int(value))
    params = {'cut': DEFAULT_CUT, 'res': DEFAULT_RES, 'env': DEFAULT_ENV}
    effects = ()
    for child in children:
      if isinstance(child, tuple) and child[0] in params:
        params[child[0]] = child[2]
      elif isinstance(child, tuple) and child[0] == 'effects':
        effects = child[1]
    speed, offset = self._modifiers_from(head, children)
    ratios = self._ratios(ratios_tokens)
    self._check_onsets(head, speed, ratios)
    return SynthStatement(
        synth=str(head), speed=speed, offset=offset,
        ratios=ratios, notes=tuple(notes), effects=effects,
        line=head.line, column=head.column, **params)

  def _check_onsets(self, head, speed, ratios):
    """At most MAX_ONSETS_PER_STATEMENT onsets per bar (speed x ratios)."""
    if speed * len(ratios) > MAX_ONSETS_PER_STATEMENT:
      raise _error(head, f'{head} plays {float(speed * len(ratios)):g} onsets '
                   f'per bar, more than {MAX_ONSETS_PER_STATEMENT}', [
                       f'speed x number of ratios <= '
                       f'{MAX_ONSETS_PER_STATEMENT}'])

  def _modifiers_from(self, head, children):
    """(speed, offset); ``*``/``+`` must touch what they follow."""
    speed, offset, end, written = Fraction(1), Fraction(0), head.end_pos, head
    for child in children:
      if not (isinstance(child, tuple) and child[0] in ('speed', 'offset')):
        continue
      _, sign, value, number = child
      if sign.start_pos != end:
        raise _error(sign, f"unexpected space before '{sign}'",
                     [f"'{sign}' directly after '{written}' with no space, "
                      f'e.g. {written}{sign}{"2" if sign == "*" else "0.5"}'])
      end, written = number.end_pos, f'{written}{sign}{number}'
      if child[0] == 'speed':
        speed = value
      else:
        offset = value
    return speed, offset


_PARSER = lark.Lark(_GRAMMAR, parser='lalr', lexer='contextual',
                    propagate_positions=True, maybe_placeholders=False)


def _expected_words(names) -> Tuple[str, ...]:
  words = []
  for name in sorted(names):
    word = _WORDS.get(name, name)
    if word not in words:
      words.append(word)
  return tuple(words)


def _found(text: str, pos: int) -> str:
  match = re.match(r'[A-Za-z_]\w*|\d+(\.\d*)?|\S', text[pos:])
  return match.group(0) if match else 'the end of the program'


def parse(text: str) -> Program:
  """Parses program text into a :class:`Program`.

  Args:
    text: the program source.

  Returns:
    The program.

  Raises:
    ParseError: with line, column and the expected tokens in plain words, on
      a syntax error, a value out of range or a program over the limits
      (module docstring); nothing else, whatever the text.
  """
  if len(text) > MAX_PROGRAM_CHARS:
    line, column = _position(text, MAX_PROGRAM_CHARS)
    raise ParseError(line, column, f'the program has {len(text)} characters, '
                     f'more than {MAX_PROGRAM_CHARS}',
                     [f'a program of at most {MAX_PROGRAM_CHARS} characters'])
  try:
    tree = _PARSER.parse(text)
  except lark.exceptions.UnexpectedCharacters as e:
    expected = _expected_words(e.allowed or ())
    found = _found(text, e.pos_in_stream)
    raise ParseError(e.line, e.column, f'unexpected {found!r}; expected '
                     + _join(expected), expected) from None
  except lark.exceptions.UnexpectedToken as e:
    expected = _expected_words(e.accepts or e.expected)
    token = e.token
    if token.type == '$END':
      line, column = _end_position(text)
      found = 'end of the program'
    else:
      line, column, found = token.line, token.column, repr(str(token))
    raise ParseError(line, column, f'unexpected {found}; expected '
                     + _join(expected), expected) from None
  except lark.exceptions.UnexpectedEOF as e:
    expected = _expected_words(e.expected)
    line, column = _end_position(text)
    raise ParseError(line, column, 'unexpected end of the program; expected '
                     + _join(expected), expected) from None
  except lark.exceptions.UnexpectedInput as e:  # Any other kind lark adds.
    raise ParseError(getattr(e, 'line', 1) or 1, getattr(e, 'column', 1) or 1,
                     f'syntax error: {e}') from None
  try:
    return _ToProgram().transform(tree)
  except lark.exceptions.VisitError as e:
    if isinstance(e.orig_exc, ParseError):
      raise e.orig_exc from None
    raise  # A bug in this module, not in the program: keep the traceback.


def _join(words: Sequence[str]) -> str:
  if len(words) <= 1:
    return ''.join(words)
  return ', '.join(words[:-1]) + ' or ' + words[-1]


def _position(text: str, index: int) -> Tuple[int, int]:
  """1-based (line, column) of ``text[index]``."""
  line = text.count('\n', 0, index) + 1
  return line, index - (text.rfind('\n', 0, index) + 1) + 1


def _end_position(text: str) -> Tuple[int, int]:
  """1-based (line, column) just after the last non-space character."""
  stripped = text.rstrip()
  line = stripped.count('\n') + 1
  column = len(stripped) - (stripped.rfind('\n') + 1) + 1
  return line, column
