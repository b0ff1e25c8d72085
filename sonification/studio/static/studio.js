// The studio page: editor, controls and live views over one websocket
// (/ws, JSON) and audio over another (/audio, float32 blocks).
'use strict';

const token = new URLSearchParams(location.search).get('token') || '';
const $ = (id) => document.getElementById(id);
let ws = null;
let lastState = null;
let rttMs = null;
let audio = null;  // {ctx, node, socket, sampleRate, buffered}

// ------------------------------------------------------------- socket --

function send(message) {
  if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
}

function osc(address, ...args) {
  send({op: 'osc', address, args});
}

function status(text, isError) {
  const el = $('status');
  el.textContent = text;
  el.className = 'status' + (isError ? ' bad' : '');
}

function connect() {
  ws = new WebSocket(`ws://${location.host}/ws?token=${encodeURIComponent(token)}`);
  ws.onopen = () => { $('conn').textContent = 'connected'; $('conn').className = 'badge ok'; };
  ws.onclose = () => {
    $('conn').textContent = 'disconnected'; $('conn').className = 'badge bad';
    setTimeout(connect, 1000);
  };
  ws.onmessage = (event) => handle(JSON.parse(event.data));
}

function handle(m) {
  if (m.type === 'state') showState(m);
  else if (m.type === 'eval') showEval(m);
  else if (m.type === 'pong') rttMs = performance.now() - m.t;
  else if (m.type === 'names') showNames(m);
  else if (m.type === 'program') { editor.setValue(m.text); status(m.message || `loaded program ${m.name}`); }
  else if (m.type === 'session') downloadSession(m.data);
  else if (m.type === 'info') status(m.message);
  else if (m.type === 'error') status(m.message, true);
  if (m.message && (m.type === 'names')) status(m.message);
}

// ------------------------------------------------------------- editor --

const editor = CodeMirror.fromTextArea($('editor'), {
  mode: 'gosling', lineNumbers: true, viewportMargin: Infinity,
  extraKeys: {
    'Ctrl-Enter': evaluate, 'Cmd-Enter': evaluate,
    'Ctrl-.': hush, 'Cmd-.': hush,
  },
});
let programShown = false;  // the running program fills the editor once.
let errorMark = null;
let errorWidget = null;

function clearError() {
  if (errorMark) errorMark.clear();
  if (errorWidget) errorWidget.clear();
  errorMark = errorWidget = null;
  $('eval-error').classList.add('hidden');
}

function evaluate() {
  send({op: 'eval', text: editor.getValue()});
}

function hush() {
  osc('/hush');
  status('stopped: evaluate to play again');
}

function showEval(m) {
  clearError();
  if (m.ok) { status('evaluated'); return; }
  const line = m.line - 1;
  const ch = m.column - 1;
  errorMark = editor.markText({line, ch}, {line, ch: ch + 1},
                              {className: 'cm-parse-error'});
  const div = document.createElement('div');
  div.className = 'parse-error';
  div.textContent = `${' '.repeat(Math.max(0, ch))}^ ${m.message}`;
  errorWidget = editor.addLineWidget(line, div);
  const box = $('eval-error');
  box.textContent = m.message + ' (the previous program keeps playing)';
  box.dataset.line = m.line;
  box.dataset.column = m.column;
  box.classList.remove('hidden');
  status('parse error', true);
}

$('eval').onclick = evaluate;
$('hush').onclick = hush;
document.addEventListener('keydown', (e) => {
  if ((e.ctrlKey || e.metaKey) && e.key === '.') { e.preventDefault(); hush(); return; }
  const tag = (e.target.tagName || '').toLowerCase();
  if (tag === 'input' || tag === 'textarea' || e.ctrlKey || e.metaKey || e.altKey) return;
  if (e.target.closest && e.target.closest('.CodeMirror')) return;
  const keys = {l: () => reward(1), d: () => reward(-1),
                a: () => osc('/carl/randomise_actor'), c: () => osc('/carl/randomise_critic'),
                m: () => osc('/carl/clear_memory')};
  if (keys[e.key]) { e.preventDefault(); keys[e.key](); }
});

// -------------------------------------------------------------- state --

function showState(s) {
  lastState = s;
  if (!programShown && s.program !== undefined) {
    programShown = true;
    if (!editor.getValue()) editor.setValue(s.program);
  }
  $('clock').textContent = s.tick === null ? 'tick -' :
      `bar ${s.bar} tick ${s.step}  ${s.bpm ? s.bpm.toFixed(0) : '-'} bpm`;
  $('building').classList.toggle('hidden', !s.building);
  if (s.hushed) $('clock').textContent += '  (stopped)';
  showModes(s.modes);
  showPattern(s);
  drawLoss(s.loss);
  showCarl(s.carl);
  showMouse(s.controls);
  showHparams(s.hparams);
  $('outputs').textContent = `outputs: ${s.audio.outputs.join(', ')}; ` +
      `${s.audio.browser_clients} browser stream(s) at ${s.audio.sample_rate} Hz`;
  if (document.activeElement !== $('bpm') && s.bpm) $('bpm').value = Math.round(s.bpm);
  if (s.build_errors && s.build_errors.length) status(s.build_errors[s.build_errors.length - 1], true);
}

// Mode buttons beside each `learn`/`predict` statement in the editor too.
const AGENT_LINE = /\b(?:learn|predict)\s+(kick|snare|closedhat|openhat)\b/g;
let inlineMarks = [];
let inlineKey = null;

function modeButtons(instrument, mode) {
  const span = document.createElement('span');
  span.className = 'inline-modes';
  span.dataset.instrument = instrument;
  for (const m of ['learn', 'predict', 'off']) {
    const b = document.createElement('button');
    b.textContent = m;
    b.className = 'mode small' + (mode === m ? ' active' : '');
    b.dataset.mode = m;
    b.onmousedown = (e) => e.preventDefault();  // keep the editor's cursor.
    b.onclick = () => osc('/drums/mode', instrument, m);
    span.appendChild(b);
  }
  return span;
}

function showInlineModes(force) {
  const modes = (lastState && lastState.modes) || {};
  const key = JSON.stringify(modes) + editor.getValue();
  if (!force && key === inlineKey) return;
  inlineKey = key;
  for (const mark of inlineMarks) mark.clear();
  inlineMarks = [];
  editor.eachLine((handle) => {
    const text = handle.text.replace(/\/\/.*/, '');
    for (const match of text.matchAll(AGENT_LINE)) {
      if (!(match[1] in modes)) continue;
      const line = editor.getLineNumber(handle);
      inlineMarks.push(editor.setBookmark(
          {line, ch: handle.text.length},
          {widget: modeButtons(match[1], modes[match[1]])}));
    }
  });
}
editor.on('changes', () => showInlineModes(false));

function showModes(modes) {
  const box = $('modes');
  const key = JSON.stringify(modes);
  showInlineModes(false);
  if (box.dataset.key === key) return;
  box.dataset.key = key;
  box.textContent = '';
  const names = Object.keys(modes).sort();
  if (!names.length) box.textContent = 'no learn/predict statement in the program';
  for (const instrument of names) {
    const row = document.createElement('div');
    row.className = 'mode-row';
    row.dataset.instrument = instrument;
    const label = document.createElement('span');
    label.textContent = instrument;
    row.appendChild(label);
    for (const mode of ['learn', 'predict', 'off']) {
      const b = document.createElement('button');
      b.textContent = mode;
      b.className = 'mode' + (modes[instrument] === mode ? ' active' : '');
      b.dataset.mode = mode;
      b.onclick = () => osc('/drums/mode', instrument, mode);
      row.appendChild(b);
    }
    box.appendChild(row);
  }
}

function patternRow(label, cells, step, kind) {
  const row = document.createElement('div');
  row.className = 'prow';
  const name = document.createElement('span');
  name.className = 'plabel';
  name.textContent = label;
  row.appendChild(name);
  cells.forEach((hit, i) => {
    const c = document.createElement('span');
    c.className = `cell ${kind}` + (hit ? ' on' : '') + (i === step ? ' now' : '');
    row.appendChild(c);
  });
  return row;
}

function showPattern(s) {
  const box = $('pattern');
  box.textContent = '';
  const p = s.pattern;
  box.appendChild(patternRow('source', p.source, s.step, 'source'));
  for (const instrument of Object.keys(p.target).sort()) {
    box.appendChild(patternRow(`${instrument} target`, p.target[instrument], s.step, 'target'));
    box.appendChild(patternRow(`${instrument} predicted`, p.predicted[instrument], s.step, 'predicted'));
  }
  // What each statement played this bar (a predict line: the agent's hits).
  (s.plays || []).forEach((row, i) => {
    const el = patternRow(`line ${row.line} ${row.name}`, row.hits, s.step, 'plays');
    if (i === 0) el.classList.add('first-play');
    box.appendChild(el);
  });
}

const COLOURS = ['#e4572e', '#29335c', '#17bebb', '#f3a712', '#76b041'];

function drawLoss(loss) {
  const canvas = $('loss');
  const g = canvas.getContext('2d');
  g.clearRect(0, 0, canvas.width, canvas.height);
  const series = Object.entries(loss);
  let points = 0;
  let max = 1e-6;
  let minBar = Infinity;
  let maxBar = -Infinity;
  for (const [, pts] of series) {
    for (const [bar, v] of pts) {
      max = Math.max(max, v); minBar = Math.min(minBar, bar); maxBar = Math.max(maxBar, bar);
    }
  }
  const pad = 28;
  const w = canvas.width - 2 * pad;
  const h = canvas.height - 2 * pad;
  g.strokeStyle = '#999';
  g.strokeRect(pad, pad, w, h);
  g.fillStyle = '#333';
  g.font = '11px sans-serif';
  g.fillText(max.toPrecision(2), 2, pad + 4);
  g.fillText('0', 2, pad + h);
  series.forEach(([instrument, pts], k) => {
    const colour = COLOURS[k % COLOURS.length];
    g.strokeStyle = colour;
    g.fillStyle = colour;
    g.beginPath();
    pts.forEach(([bar, v], i) => {
      const x = pad + (maxBar > minBar ? (bar - minBar) / (maxBar - minBar) : 0.5) * w;
      const y = pad + h - (v / max) * h;
      if (i === 0) g.moveTo(x, y); else g.lineTo(x, y);
      g.fillRect(x - 1.5, y - 1.5, 3, 3);
      points++;
    });
    g.stroke();
    g.fillText(`${instrument} ${pts.length ? pts[pts.length - 1][1].toFixed(3) : ''}`,
               pad + 6 + 110 * k, pad - 8);
  });
  if (series.length) g.fillText(`bar ${minBar} .. ${maxBar}`, pad + w - 80, pad + h + 16);
  canvas.dataset.points = points;
}

// --------------------------------------------------------------- CARL --

function showCarl(c) {
  const box = $('carl-stats');
  if (!c) { box.textContent = 'CARL is off (--carl)'; return; }
  const losses = Object.entries(c.losses).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(', ');
  box.innerHTML = '';
  const lines = [
    ['rewards', c.rewards], ['memory', c.memory], ['optimisations', c.optimisations],
    ['losses', losses || '-'], ['input', c.input.map((x) => x.toFixed(2)).join(' ')],
    ['params', c.params.map((x) => x.toFixed(2)).join(' ')],
  ];
  for (const [k, v] of lines) {
    const d = document.createElement('div');
    d.id = `carl-${k}`;
    d.textContent = `${k}: ${v}`;
    box.appendChild(d);
  }
  for (const [id, value] of [['reward-scale', c.reward_scale], ['optimise-every', c.optimise_every],
                             ['noise', c.noise]]) {
    if (document.activeElement !== $(id)) $(id).value = value;
  }
}

function reward(value) {
  osc('/carl/reward', value);
  status(value > 0 ? 'liked' : 'disliked');
}

const pad = $('pad');
let dragging = false;
function padInput(e) {
  const r = pad.getBoundingClientRect();
  const x = Math.min(1, Math.max(0, (e.clientX - r.left) / r.width));
  const y = Math.min(1, Math.max(0, 1 - (e.clientY - r.top) / r.height));
  $('pad-dot').style.left = `${x * 100}%`;
  $('pad-dot').style.top = `${(1 - y) * 100}%`;
  osc('/carl/input_at', 0, x);
  osc('/carl/input_at', 1, y);
}
pad.addEventListener('pointerdown', (e) => { dragging = true; pad.setPointerCapture(e.pointerId); padInput(e); });
pad.addEventListener('pointermove', (e) => { if (dragging) padInput(e); });
pad.addEventListener('pointerup', () => { dragging = false; });
pad.addEventListener('mousedown', (e) => { if (!window.PointerEvent) { dragging = true; padInput(e); } });
$('like').onclick = () => reward(1);
$('dislike').onclick = () => reward(-1);
$('rand-actor').onclick = () => osc('/carl/randomise_actor');
$('rand-critic').onclick = () => osc('/carl/randomise_critic');
$('clear-memory').onclick = () => osc('/carl/clear_memory');
$('reward-scale').onchange = (e) => osc('/carl/reward_scale', Number(e.target.value));
$('optimise-every').onchange = (e) => osc('/carl/optimise_every', Math.round(Number(e.target.value)));
$('noise').onchange = (e) => osc('/carl/noise', Number(e.target.value));
$('bpm').onchange = (e) => osc('/tempo', Number(e.target.value));

// ------------------------------------------------------ synth mouse --
// The synths' cut_mousex / res_mousey / env_mousex ... follow the controls
// mousex and mousey (0-1, /drums/control): the pad, or the pointer anywhere
// on the page when the box is ticked (as Sema's _mousex). At most one
// message per control every 30 ms, and only when the value changed.

const mouse = {x: null, y: null, sent: {}, timer: null, dragging: false};

function setMouse(x, y) {
  mouse.x = Math.min(1, Math.max(0, x));
  mouse.y = Math.min(1, Math.max(0, y));
  placeMouseDot(mouse.x, mouse.y);
  if (mouse.timer === null) mouse.timer = setTimeout(flushMouse, 30);
}

function flushMouse() {
  mouse.timer = null;
  for (const [name, value] of [['mousex', mouse.x], ['mousey', mouse.y]]) {
    const v = Math.round(value * 1000) / 1000;
    if (mouse.sent[name] !== v) {
      osc('/drums/control', name, v);
      mouse.sent[name] = v;
    }
  }
}

function placeMouseDot(x, y) {
  $('mouse-dot').style.left = `${x * 100}%`;
  $('mouse-dot').style.top = `${(1 - y) * 100}%`;
}

function showMouse(controls) {
  if (!controls) return;
  const x = controls.mousex, y = controls.mousey;
  $('mouse-values').textContent = `mousex ${x.toFixed(2)}  mousey ${y.toFixed(2)}`;
  $('mouse-values').dataset.x = x;
  $('mouse-values').dataset.y = y;
  if (!mouse.dragging && !$('mouse-page').checked) placeMouseDot(x, y);
}

const mousePad = $('mouse-pad');
function mousePadInput(e) {
  const r = mousePad.getBoundingClientRect();
  setMouse((e.clientX - r.left) / r.width, 1 - (e.clientY - r.top) / r.height);
}
mousePad.addEventListener('pointerdown', (e) => {
  mouse.dragging = true;
  mousePad.setPointerCapture(e.pointerId);
  mousePadInput(e);
});
mousePad.addEventListener('pointermove', (e) => { if (mouse.dragging) mousePadInput(e); });
mousePad.addEventListener('pointerup', () => { mouse.dragging = false; });
document.addEventListener('pointermove', (e) => {
  if (!$('mouse-page').checked || mouse.dragging) return;
  setMouse(e.clientX / window.innerWidth, 1 - e.clientY / window.innerHeight);
});

// ---------------------------------------------------- meta-parameters --

let hparamsShown = null;
function showHparams(h) {
  const key = JSON.stringify(h);
  if (key === hparamsShown) return;
  hparamsShown = key;
  const form = $('hparams');
  for (const el of form.elements) {
    if (!el.name || !(el.name in h)) continue;
    el.value = el.name === 'structure' ? h.structure.join('/') : h[el.name];
  }
}

$('hparams').onsubmit = (e) => {
  e.preventDefault();
  const values = {};
  for (const el of e.target.elements) {
    if (!el.name) continue;
    values[el.name] = el.name === 'structure' ?
        el.value.split('/').map((n) => parseInt(n, 10)) : el.value;
  }
  send({op: 'hparams', values});
};

// --------------------------------------------------------- save/load --

function showNames(m) {
  const list = $('names');
  list.textContent = '';
  for (const name of new Set([...m.programs, ...m.agents])) {
    const o = document.createElement('option');
    o.value = name;
    list.appendChild(o);
  }
  $('saved').textContent = `programs: ${m.programs.join(', ') || '-'}; agents: ${m.agents.join(', ') || '-'}`;
}

const nameOf = () => $('name').value.trim();
$('save-program').onclick = () => send({op: 'save_program', name: nameOf(), text: editor.getValue()});
$('load-program').onclick = () => send({op: 'load_program', name: nameOf()});
$('save-agent').onclick = () => send({op: 'save_agent', name: nameOf()});
$('load-agent').onclick = () => send({op: 'load_agent', name: nameOf()});
$('export').onclick = () => send({op: 'export'});

function downloadSession(data) {
  window.lastExport = data;  // for scripts and tests.
  const blob = new Blob([JSON.stringify(data, null, 1)], {type: 'application/json'});
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = `${nameOf() || 'session'}.json`;
  a.click();
  status('session exported');
}

$('import').onchange = async (e) => {
  const file = e.target.files[0];
  if (!file) return;
  try {
    send({op: 'import', data: JSON.parse(await file.text())});
  } catch (err) {
    status(`import: ${err}`, true);
  }
  e.target.value = '';
};

// -------------------------------------------------------------- audio --

async function audioOn() {
  if (audio) return;
  const ctx = new AudioContext({sampleRate: 48000, latencyHint: 'interactive'});
  await ctx.audioWorklet.addModule('/static/audio_worklet.js');
  const node = new AudioWorkletNode(ctx, 'stream-player', {outputChannelCount: [2]});
  node.connect(ctx.destination);
  const socket = new WebSocket(`ws://${location.host}/audio?token=${encodeURIComponent(token)}`);
  socket.binaryType = 'arraybuffer';
  audio = {ctx, node, socket, buffered: 0, sampleRate: ctx.sampleRate, blocks: 0,
           peak: 0, heard: 0};
  node.port.onmessage = (e) => {
    audio.buffered = e.data.buffered;
    audio.peak = Math.max(audio.peak * 0.9, e.data.peak);
    if (e.data.peak > 0) audio.heard = Math.max(audio.heard, e.data.peak);
  };
  socket.onmessage = (e) => {
    if (typeof e.data === 'string') {
      const header = JSON.parse(e.data);
      if (header.sample_rate !== ctx.sampleRate) {
        status(`audio: stream is ${header.sample_rate} Hz, browser ${ctx.sampleRate} Hz`, true);
      }
      return;
    }
    audio.blocks++;
    node.port.postMessage(e.data, [e.data]);
  };
  await ctx.resume();
  status('browser audio on');
}

function audioOff() {
  if (!audio) return;
  audio.socket.close();
  audio.ctx.close();
  audio = null;
  $('latency').textContent = 'latency -';
  status('browser audio off');
}

$('audio-on').onclick = () => audioOn().catch((e) => status(`audio: ${e}`, true));
$('audio-off').onclick = audioOff;

// Latency = network (half the ping round trip) + the worklet's buffer +
// the browser's own output latency.
setInterval(() => {
  send({op: 'ping', t: performance.now()});
  if (!audio || rttMs === null) return;
  const ms = rttMs / 2 + 1000 * audio.buffered / audio.sampleRate +
      1000 * ((audio.ctx.baseLatency || 0) + (audio.ctx.outputLatency || 0));
  const el = $('latency');
  const db = audio.peak > 0 ? (20 * Math.log10(audio.peak)).toFixed(0) : '-inf';
  el.textContent = `latency ${ms.toFixed(0)} ms, level ${db} dBFS (${audio.blocks} blocks)`;
  el.dataset.ms = ms.toFixed(1);
  el.dataset.heard = audio.heard.toFixed(4);
}, 500);

connect();
