"""Per-sample DSP loops of the engine's own voices (numba, compiled once).

These are the loops that cannot be vectorised: oscillators, a resonant
low-pass whose cutoff moves every sample, parameter smoothing, the master
limiter's gain computer. Each kernel writes ``out[start:stop]`` and keeps its
state in a small float64 array the caller owns, so a voice is resumable at
any sample (blocks of any size give the same samples).

The resonant low-pass is two cascaded (24 dB/octave, like the 303's
four-pole filter; only the first resonates) topology-preserving-transform
state-variable filters (V. Zavalishin, "The Art of VA Filter Design", 2012, ch. 4): stable
for any cutoff below Nyquist and for damping ``R > 0`` however fast both
move, which is what lets cutoff and resonance follow a mouse without zipper
noise. Oscillators use PolyBLEP (Valimaki and Huovilainen, 2007) to keep
aliasing of the saw and square low.

``cache=True`` stores the compiled code beside this file (or in numba's user
cache), so only the first run on a machine pays the ~2 s compile; call
:func:`compile_all` before a realtime stream starts.
"""

import math

import numba
import numpy as np

# Synth voice state slots (SubtractiveVoice).
(S_PHASE, S_S1, S_S2, S_CUT, S_RES, S_FENV, S_AMP, S_GATE, S_INIT, S_S3,
 S_S4) = range(11)
SYNTH_STATE_SIZE = 11
# CARL voice: state slots; params are smoothed in slots CARL_P0.. .
C_PHASE, C_LFO, C_S1, C_S2, C_INIT = range(5)
CARL_P0 = 5
CARL_N_TARGETS = 7
CARL_STATE_SIZE = CARL_P0 + CARL_N_TARGETS


@numba.njit(cache=True, nogil=True)
def _polyblep(t, dt):
  if t < dt:
    t /= dt
    return t + t - t * t - 1.0
  if t > 1.0 - dt:
    t = (t - 1.0) / dt
    return t * t + t + t + 1.0
  return 0.0


@numba.njit(cache=True, nogil=True)
def _oscillator(phase, dt, wave):
  """Band-limited saw (wave 0) or square (wave 1) at ``phase`` in [0, 1)."""
  if wave == 0:
    return 2.0 * phase - 1.0 - _polyblep(phase, dt)
  naive = 1.0 if phase < 0.5 else -1.0
  return naive + _polyblep(phase, dt) - _polyblep((phase + 0.5) % 1.0, dt)


@numba.njit(cache=True, nogil=True)
def _svf_lowpass(x, g, r, state, i1, i2):
  """One sample of the TPT state-variable low-pass; updates state[i1, i2]."""
  s1 = state[i1]
  s2 = state[i2]
  hp = (x - (2.0 * r + g) * s1 - s2) / (1.0 + 2.0 * r * g + g * g)
  v1 = g * hp
  bp = v1 + s1
  state[i1] = bp + v1
  v2 = g * bp
  lp = v2 + s2
  state[i2] = lp + v2
  return lp


@numba.njit(cache=True, nogil=True)
def render_synth(out, start, stop, state, freq_hz, wave, cut_log2, damping,
                 env_octaves, env_coef, velocity, sample_rate, smooth_coef,
                 attack_coef, release_coef):
  """Renders the subtractive voice into ``out[start:stop]`` (overwrites).

  Args:
    out: float32 ``[frames]`` buffer.
    start, stop: sample range of ``out`` to write.
    state: float64 ``[SYNTH_STATE_SIZE]`` (phase, filter, envelopes, gate).
    freq_hz: oscillator frequency in Hz.
    wave: 0 saw, 1 square.
    cut_log2: target cutoff as log2(Hz); smoothed per sample.
    damping: target SVF damping R (0.707 flat .. 0.014 near
      self-oscillation); smoothed per sample.
    env_octaves: filter envelope depth in octaves above the cutoff.
    env_coef: per-sample decay factor of the filter envelope.
    velocity: amplitude while the gate is open (linear).
    sample_rate: Hz.
    smooth_coef: one-pole coefficient of the parameter smoothing.
    attack_coef, release_coef: one-pole coefficients of the amp envelope.
  """
  if state[S_INIT] == 0.0:
    state[S_CUT] = cut_log2
    state[S_RES] = damping
    state[S_INIT] = 1.0
  dt = freq_hz / sample_rate
  top = 0.45 * sample_rate
  pi_over_sr = math.pi / sample_rate
  for i in range(start, stop):
    state[S_CUT] += (cut_log2 - state[S_CUT]) * smooth_coef
    state[S_RES] += (damping - state[S_RES]) * smooth_coef
    fc = 2.0 ** (state[S_CUT] + env_octaves * state[S_FENV])
    if fc > top:
      fc = top
    elif fc < 20.0:
      fc = 20.0
    state[S_FENV] *= env_coef
    g = math.tan(fc * pi_over_sr)
    r = state[S_RES]
    x = _oscillator(state[S_PHASE], dt, wave)
    state[S_PHASE] += dt
    if state[S_PHASE] >= 1.0:
      state[S_PHASE] -= 1.0
    if state[S_GATE] > 0.0:
      state[S_AMP] += (velocity - state[S_AMP]) * attack_coef
      state[S_GATE] -= 1.0
    else:
      state[S_AMP] *= release_coef
    # Input compensation: strong resonance would otherwise dwarf the rest.
    lp = _svf_lowpass(x / (1.0 + 0.04 / r), g, r, state, S_S1, S_S2)
    lp = _svf_lowpass(lp, g, 0.707, state, S_S3, S_S4)
    out[i] = math.tanh(lp) * state[S_AMP]


@numba.njit(cache=True, nogil=True)
def render_carl(out, start, stop, state, targets, sample_rate, smooth_coef):
  """Renders CARL's continuous voice into ``out[start:stop]`` (overwrites).

  Args:
    out: float32 ``[frames]`` buffer.
    start, stop: sample range to write.
    state: float64 ``[CARL_STATE_SIZE]``.
    targets: float64 ``[CARL_N_TARGETS]`` in synthesis units: MIDI pitch,
      log2 cutoff (Hz), SVF damping R, drive k (>= 0; tanh(k x)/tanh(k)),
      modulation depth (semitones of vibrato; the cutoff moves by the same
      number of octaves / 2), modulation rate (Hz), amplitude (linear).
      Each is smoothed per sample with ``smooth_coef``.
    sample_rate: Hz.
    smooth_coef: one-pole coefficient of the smoothing.
  """
  p = CARL_P0
  if state[C_INIT] == 0.0:
    for j in range(CARL_N_TARGETS):
      state[p + j] = targets[j]
    state[C_INIT] = 1.0
  top = 0.45 * sample_rate
  for i in range(start, stop):
    for j in range(CARL_N_TARGETS):
      state[p + j] += (targets[j] - state[p + j]) * smooth_coef
    pitch, cut, r, k, depth, rate, amp = (
        state[p], state[p + 1], state[p + 2], state[p + 3], state[p + 4],
        state[p + 5], state[p + 6])
    lfo = math.sin(2.0 * math.pi * state[C_LFO])
    state[C_LFO] += rate / sample_rate
    if state[C_LFO] >= 1.0:
      state[C_LFO] -= 1.0
    freq = 440.0 * 2.0 ** ((pitch + depth * lfo - 69.0) / 12.0)
    dt = freq / sample_rate
    x = 0.5 * (_oscillator(state[C_PHASE], dt, 0)
               + _oscillator((state[C_PHASE] + 0.25) % 1.0, dt, 1))
    state[C_PHASE] += dt
    if state[C_PHASE] >= 1.0:
      state[C_PHASE] -= 1.0
    fc = 2.0 ** (cut + 0.5 * depth * lfo)
    if fc > top:
      fc = top
    elif fc < 20.0:
      fc = 20.0
    g = math.tan(math.pi * fc / sample_rate)
    y = _svf_lowpass(x / (1.0 + 0.04 / r), g, r, state, C_S1, C_S2)
    if k > 1e-3:
      y = math.tanh(k * y) / math.tanh(k)
    out[i] = y * amp


@numba.njit(cache=True, nogil=True)
def sosfilt(sos, x, zi, out):
  """Second-order sections over ``x``, like ``scipy.signal.sosfilt`` (the
  same transposed direct form II recursion) without its per-call overhead
  (~40 us, a sixth of a 128-sample block's budget with six filters).

  Args:
    sos: float64 ``[sections, 6]`` (b0 b1 b2 a0 a1 a2, a0 = 1), e.g. from
      ``scipy.signal.butter(..., output='sos')``.
    x: float32 ``[frames]`` input.
    zi: float64 ``[sections, 2]`` state, updated in place.
    out: float32 ``[frames]`` output (may be ``x``).
  """
  for i in range(x.shape[0]):
    v = float(x[i])
    for s in range(sos.shape[0]):
      y = sos[s, 0] * v + zi[s, 0]
      zi[s, 0] = sos[s, 1] * v - sos[s, 4] * y + zi[s, 1]
      zi[s, 1] = sos[s, 2] * v - sos[s, 5] * y
      v = y
    out[i] = v


@numba.njit(cache=True, nogil=True)
def limit(block, state, window, ceiling, release_coef, delay):
  """Look-ahead peak limiter on a stereo block (in place, delayed).

  The gain needed by each input sample, ``min(1, ceiling / peak)``, is
  min-filtered over the look-ahead window, released slowly (one-pole
  toward 1), then averaged over the window; the audio is delayed by
  ``window - 1`` samples, so every output sample's gain is at most what it
  needs: nothing leaves above ``ceiling``, and gain changes are smooth.
  The window minimum is scanned only while some sample in the window needs
  gain reduction; the average is a running sum, re-summed exactly at every
  wrap of the ring (no drift).

  Args:
    block: float32 ``[frames, 2]``, replaced by the limited, delayed audio.
    state: float64 ``[4]``: the released gain, the running sample count,
      the running sum of row 2, how many of row 3 are below 1.
    window: look-ahead in samples (W).
    ceiling: peak limit (linear, e.g. 10 ** (-1 / 20)).
    release_coef: per-sample one-pole coefficient of the release.
    delay: float64 ``[4, W]``, a ring indexed by the sample count: rows 0-1
      the delayed audio (L, R), row 2 the released gains and row 3 the
      needed gains of the last W samples (start with rows 2-3 at 1 and
      state ``[1, 0, W, 0]``).
  """
  w = window
  pos = int(state[1])
  total = state[2]
  below = int(state[3])
  for i in range(block.shape[0]):
    peak = max(abs(block[i, 0]), abs(block[i, 1]))
    need = 1.0 if peak <= ceiling else ceiling / peak
    slot = pos % w
    if delay[3, slot] < 1.0:
      below -= 1
    if need < 1.0:
      below += 1
    delay[0, slot] = block[i, 0]
    delay[1, slot] = block[i, 1]
    delay[3, slot] = need
    m = 1.0
    if below > 0:
      for j in range(w):
        if delay[3, j] < m:
          m = delay[3, j]
    released = state[0] + (1.0 - state[0]) * release_coef
    g = m if m < released else released
    state[0] = g
    total += g - delay[2, slot]
    delay[2, slot] = g
    if slot == w - 1:
      total = 0.0
      for j in range(w):
        total += delay[2, j]
    out_slot = (pos + 1) % w  # The oldest sample: delayed by w - 1.
    gain = total / w
    block[i, 0] = delay[0, out_slot] * gain
    block[i, 1] = delay[1, out_slot] * gain
    pos += 1
  state[1] = pos
  state[2] = total
  state[3] = below


def compile_all() -> None:
  """Compiles (or loads from cache) every kernel with the engine's types."""
  out = np.zeros(8, np.float32)
  render_synth(out, 0, 8, np.zeros(SYNTH_STATE_SIZE), 110.0, 0, 10.0, 0.5,
               1.0, 0.999, 1.0, 44100.0, 0.01, 0.1, 0.999)
  render_carl(out, 0, 8, np.zeros(CARL_STATE_SIZE),
              np.array([60.0, 10.0, 0.5, 0.0, 0.0, 1.0, 0.5]), 44100.0, 0.01)
  limit(np.zeros((8, 2), np.float32), np.array([1.0, 0.0, 4.0, 0.0]), 4,
        0.9, 0.001, np.ones((4, 4)))
  sosfilt(np.array([[1.0, 0.0, 0.0, 1.0, 0.0, 0.0]]), out, np.zeros((1, 2)),
          out)
