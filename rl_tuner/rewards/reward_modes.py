"""Reward modes: each name maps to a batched music-theory reward function.

Every function has the signature of ``batched.music_theory_reward``::

  fn(compositions int [B, t], actions int [B], key=C_MAJOR,
     composition_length=32) -> float32 [B]

and returns the music-theory part of the reward only. Whether the agent adds
the Note RNN's log p(a|s) is the agent's choice (see ``ADDS_NOTE_RNN_REWARD``
for what the public code did per mode).

Modes (the public code's ``collect_reward``; SPEC.md section 1):

  music_theory_all    the paper's full r_MT (the default).
  music_theory_only   the same r_MT; the public code pays no log p with it
                      (used by G-learning and pure RL).
  music_theory_basic  key + tonic + excessive repetition.
  music_theory_random the same rules as music_theory_basic, without log p.
  music_theory_basic_plus_variety  basic + the autocorrelation penalty.
  preferred_intervals the preferred-interval reward alone.
  scale               play the key's scale upwards.
  key                 1/23 for any in-key action (C major).
  key_and_tonic       key penalty + tonic reward.
  non_repeating       +0.1, or -100 for an excessive repetition.
"""

from typing import Callable, Dict

import numpy as np

from rl_tuner.rewards import batched
from rl_tuner.rewards import music_theory as mt

RewardFn = Callable[..., np.ndarray]

REWARD_MODES: Dict[str, RewardFn] = {
    'music_theory_all': batched.music_theory_reward,
    'music_theory_only': batched.music_theory_reward,
    'music_theory_basic': batched.key_tonic_repeating_reward,
    'music_theory_random': batched.key_tonic_repeating_reward,
    'music_theory_basic_plus_variety':
        batched.key_tonic_repeating_variety_reward,
    'preferred_intervals': batched.preferred_intervals_reward,
    'scale': batched.scale_reward,
    'key': batched.key_distribute_prob_reward,
    'key_and_tonic': batched.key_and_tonic_reward,
    'non_repeating': batched.non_repeating_reward,
}

# Modes whose reward has the tonic rule; their functions take a
# ``tonic_start_reward`` keyword (the reward for the tonic as the first event,
# paper: 3; RLTunerHParams.tonic_start_reward).
TONIC_REWARD_MODES = frozenset({
    'music_theory_all', 'music_theory_only', 'music_theory_basic',
    'music_theory_random', 'music_theory_basic_plus_variety',
    'key_and_tonic'})

# The per-note reference of each mode (tests check the batched ones against
# these): fn(composition, action, key, composition_length) -> float.
REFERENCE_REWARD_MODES: Dict[str, Callable[..., float]] = {
    'music_theory_all': mt.music_theory_reward_reference,
    'music_theory_only': mt.music_theory_reward_reference,
    'music_theory_basic': mt.reward_music_theory_basic,
    'music_theory_random': mt.reward_music_theory_basic,
    'music_theory_basic_plus_variety':
        mt.reward_music_theory_basic_plus_variety,
    'preferred_intervals': mt.reward_preferred_intervals,
    'scale': mt.reward_scale,
    'key': mt.reward_key_distribute_prob,
    'key_and_tonic': mt.reward_key_and_tonic,
    'non_repeating': mt.reward_non_repeating,
}

# Whether the public code added the Note RNN reward log p(a|s) in each mode.
ADDS_NOTE_RNN_REWARD: Dict[str, bool] = {
    mode: mode in ('music_theory_all', 'music_theory_basic',
                   'music_theory_basic_plus_variety')
    for mode in REWARD_MODES
}


def get_reward_fn(mode: str) -> RewardFn:
  """The batched reward function of ``mode``.

  Raises:
    ValueError: naming the unknown mode and listing the known ones.
  """
  try:
    return REWARD_MODES[mode]
  except (KeyError, TypeError):
    raise ValueError(f'unknown reward mode {mode!r}; known modes: '
                     f'{", ".join(sorted(REWARD_MODES))}') from None
