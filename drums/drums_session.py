"""Plays a drum program for N bars: the agents learn or predict as it says.

  bazel run //drums:drums_session -- --program=drums/examples/learn_snare.gos \
      --bars=16 --output_dir=/tmp/drums --wav

Writes to --output_dir: session.mid (General MIDI drum track), session.wav
(with --wav: the project's audio engine, sonification/audio, where every
statement has its own voice and effect chain and lead/bass follow cut, res
and env, peak -1 dBFS, bit-identical for the same program and seed; or with
--synth=gm the MIDI file through fluidsynth and a GM soundfont, notes only),
patterns.png (source, target and
predicted hits over time, loss) and summary.json (per bar: loss and how many
of the ticks the agent got right). With --save the agents (model + replay
memory) are saved; --load starts from saved agents.
"""

import json
import os

from absl import app
from absl import flags
from absl import logging

from drums import beat_agent_hparams
from drums import language
from drums import session as session_lib
from drums import session_output
from rl_tuner import flag_checks

FLAGS = flags.FLAGS
flags.DEFINE_string('program', None, 'A .gos program file.')
flags.DEFINE_integer('bars', 16, 'Bars to play.', lower_bound=1)
flags.DEFINE_string('output_dir', None, 'Where outputs go.')
flags.DEFINE_boolean('wav', False, 'Also render session.wav.')
flags.DEFINE_enum('synth', 'engine', ['engine', 'gm'], 'What renders --wav: '
                  'the audio engine (effects and synth settings heard) or '
                  'fluidsynth General MIDI (notes only).')
flags.DEFINE_integer('seed', 0, 'Seed of the agents.')
flags.DEFINE_string('config', 'language',
                    f'Agent config: {sorted(beat_agent_hparams.CONFIGS)}.')
flags.DEFINE_string('hparams', '', 'Overrides, e.g. "learning_rate=0.01,'
                    'structure=32/16/8".')
flags.DEFINE_string('soundfont', session_output.DEFAULT_SOUNDFONT,
                    'General MIDI soundfont for --wav --synth=gm.')
flags.DEFINE_string('load', None, 'Load agents from this .npz first.')
flags.DEFINE_string('save', None, 'Save the agents to this .npz at the end.')


def bar_summary(records, ticks_per_bar):
  """Per bar: mean loss and correct ticks of each agent instrument."""
  bars = {}
  for record in records:
    entry = bars.setdefault(record.bar, {})
    for instrument, action in record.actions.items():
      stats = entry.setdefault(instrument, {'mode': record.modes[instrument],
                                            'correct': 0, 'losses': []})
      stats['correct'] += int(action == record.targets[instrument])
      if instrument in record.losses:
        stats['losses'].append(record.losses[instrument])
  out = []
  for bar, entry in sorted(bars.items()):
    row = {'bar': bar}
    for instrument, stats in entry.items():
      losses = stats.pop('losses')
      stats['loss'] = sum(losses) / len(losses) if losses else None
      stats['of'] = ticks_per_bar
      row[instrument] = stats
    out.append(row)
  return out


def render_engine_wav(session, records, wav_path):
  """Renders the records with the audio engine to ``wav_path`` (-1 dBFS)."""
  # pylint: disable=g-import-not-at-top
  from sonification.audio import engine as engine_lib
  from sonification.audio import outputs as audio_outputs
  from sonification.audio import program_tracks
  # pylint: enable=g-import-not-at-top
  audio = program_tracks.render_records(engine_lib.Engine(), session.program,
                                        records, session.bpm)
  return audio_outputs.write_wav(wav_path, audio_outputs.normalise(audio),
                                 engine_lib.DEFAULT_SAMPLE_RATE)


def run(program_path, bars, output_dir, wav, hparams, soundfont, load, save,
        synth='engine'):
  """Plays the program and writes the outputs; returns the summary.

  Raises:
    app.UsageError: if the program does not parse or --load is unusable.
  """
  try:
    with open(program_path, encoding='utf-8') as f:
      text = f.read(language.MAX_PROGRAM_CHARS + 1)
  except (OSError, UnicodeDecodeError) as e:
    raise app.UsageError(f'--program: cannot read {program_path}: {e}'
                         ) from None
  try:
    session = session_lib.DrumSession(text, hparams)
  except language.ParseError as e:
    raise app.UsageError(f'{program_path}: {e}') from None
  if load:
    try:
      session.load(load)
    except (OSError, ValueError) as e:
      raise app.UsageError(f'--load: {e}') from None
  records = session.run(bars)
  os.makedirs(output_dir, exist_ok=True)
  sequence = session_output.to_note_sequence(
      records, session.bpm, session.ticks_per_bar)
  outputs = {'midi': session_output.write_midi(
      os.path.join(output_dir, 'session.mid'), sequence)}
  if wav and synth == 'gm':
    outputs['wav'] = session_output.render_wav(
        outputs['midi'], os.path.join(output_dir, 'session.wav'), soundfont)
  elif wav:
    outputs['wav'] = render_engine_wav(
        session, records, os.path.join(output_dir, 'session.wav'))
  outputs['figure'] = session_output.plot_patterns(
      records, os.path.join(output_dir, 'patterns.png'),
      session.ticks_per_bar, title=os.path.basename(program_path))
  if save:
    outputs['agents'] = session.save(save)
  summary = {'program': program_path, 'bpm': session.bpm, 'bars': bars,
             'outputs': outputs,
             'per_bar': bar_summary(records, session.ticks_per_bar)}
  tmp = os.path.join(output_dir, '.summary.json.tmp')
  with open(tmp, 'w') as f:
    json.dump(summary, f, indent=1)
  os.replace(tmp, os.path.join(output_dir, 'summary.json'))
  return summary


def main(argv):
  del argv
  if not FLAGS.program or not FLAGS.output_dir:
    raise app.UsageError('--program and --output_dir are required')
  program = flag_checks.input_path('program', FLAGS.program)
  flag_checks.int_in_range('bars', FLAGS.bars, 1, 100_000)
  output_dir = flag_checks.output_dir('output_dir', FLAGS.output_dir)
  if FLAGS.config not in beat_agent_hparams.CONFIGS:
    raise flag_checks.FlagError(
        f'--config: unknown config {FLAGS.config!r}; expected one of '
        f'{sorted(beat_agent_hparams.CONFIGS)}')
  try:
    hparams = beat_agent_hparams.parse_hparams(
        FLAGS.hparams, beat_agent_hparams.CONFIGS[FLAGS.config])
    hparams = beat_agent_hparams.BeatAgentHParams(
        **{**hparams.to_dict(), 'seed': FLAGS.seed})
  except ValueError as e:
    raise flag_checks.FlagError(f'--hparams: {e}') from None
  load = flag_checks.input_path('load', FLAGS.load) if FLAGS.load else None
  save = (flag_checks.output_file('save', FLAGS.save, ('.npz',))
          if FLAGS.save else None)
  if FLAGS.wav and FLAGS.synth == 'gm':
    flag_checks.input_path('soundfont', FLAGS.soundfont)
  summary = run(program, FLAGS.bars, output_dir, FLAGS.wav, hparams,
                FLAGS.soundfont, load, save, FLAGS.synth)
  for row in summary['per_bar']:
    logging.info('bar %d: %s', row['bar'], {
        k: (v['mode'], f"{v['correct']}/{v['of']}", v['loss'])
        for k, v in row.items() if k != 'bar'})
  print(json.dumps(summary['outputs'], indent=1))


if __name__ == '__main__':
  flag_checks.run(main)
