"""CARL hyperparameters (MEMLNaut defaults, ../shared/SPEC.md §3). No TF."""

import dataclasses
from typing import Tuple

from rl_tuner import hparams_overrides

ALGOS = ('ddpg', 'rwsl', 'pref')  # CarlHParams.algo values.
NOISE_MODES = ('ou', 'held', 'mirrored')  # CarlHParams.noise_mode values.

# Named learners (--carl_learner_algo): CarlHParams overrides.
#   ddpg: DDPG with the dataclass defaults (SPEC.md section 3 networks,
#     tau, discount, memory, batch; Ornstein-Uhlenbeck noise per tick).
#   rwsl: reward-weighted supervised learning, as first measured.
#   rwsl_mirrored: the best learner of bench/carl_learning_bench.py with the
#     XY-pad musician (mean distance ratio 0.86 over 3 seeds, every seed
#     closer; DDPG 1.35: every seed further; the oracle-ish bounds 0.80 and
#     0.82): rwsl at lr 3e-3 x 10 steps per call, noise held between rewards
#     and mirrored in pairs, each reward credited to the mean of what was
#     heard since the previous one (at most 50 ticks: one second at 50 Hz),
#     a dislike stored as a like of the mirrored sound.
#   pref: the preference-likelihood learner (sonification/carl/carl_pref.py):
#     the actor fitted as the player's target to every judgement in memory
#     (lr 1e-2 x 10 Adam steps per call, prior 1e-2), held mirrored noise
#     of sigma 0.2, credit of one second. On the musician bench the only
#     learner that meets issue 11 item 4 (see README).
LEARNERS = {
    'ddpg': {},
    'rwsl': dict(algo='rwsl'),
    'rwsl_mirrored': dict(algo='rwsl', actor_lr=3e-3, steps_per_call=10,
                          noise_mode='mirrored', credit_ticks=50,
                          mirror_dislikes=True),
    'pref': dict(algo='pref', actor_lr=1e-2, steps_per_call=10,
                 batch_size=1, noise_mode='mirrored', noise_sigma=0.2,
                 credit_ticks=50, pref_prior=1e-2),
}
# Help of the binaries' --carl_learner_algo flag (live, studio).
LEARNER_FLAG_HELP = (
    'CARL learner (sonification/carl/carl_hparams.LEARNERS): pref (preference '
    'likelihood, the best measured with bench/carl_learning_bench.py), '
    'rwsl_mirrored, ddpg (MEMLNaut, SPEC section 3) or rwsl (reward-weighted '
    'supervised, NISPS); --carl_hparams overrides its fields')


@dataclasses.dataclass(frozen=True)
class CarlHParams:
  """CARL (DDPG) hyperparameters, validated on construction.

  Attributes:
    input_size: length of the input vector (joystick x, y, z = 3).
    output_size: number of synthesis parameters, each in [0, 1].
    actor_hidden: actor hidden layers (MEMLNaut: [10, 12]).
    critic_hidden: critic hidden layers (MEMLNaut: [10, 10]).
    tau: soft target update rate (MEMLNaut: 0.005).
    discount: gamma (MEMLNaut: 0.95).
    memory_size: FIFO replay memory capacity (MEMLNaut: 64).
    batch_size: transitions per optimisation step (MEMLNaut: 4).
    actor_lr: Adam learning rate of the actor (DDPG paper: 1e-4).
    critic_lr: Adam learning rate of the critic (ours: 3e-3, faster than
      the actor so the actor follows a critic that has caught up).
    reward_scale: multiplies the player's rewards.
    optimise_every: optimise every N ticks.
    optimise_every_max: top of the optimisation-frequency control; at or
      above it optimisation is paused (MEMLNaut: "paused at its top").
    noise_sigma: exploration level: the Ornstein-Uhlenbeck sigma, or the
      standard deviation of held noise (parameter units).
    noise_theta: Ornstein-Uhlenbeck mean reversion per tick.
    noise_mode: 'ou' (SPEC section 3: Ornstein-Uhlenbeck, a new step every
      tick), 'held' (one Gaussian sample held until the next reward, so a
      reward judges one consistent perturbation) or 'mirrored' (held, every
      second sample the previous one negated: antithetic pairs);
      sonification/carl/carl_policy.py.
    credit_ticks: 0 (SPEC): a reward is stored for the last tick's state and
      action; N >= 1: for the mean state and mean action of the ticks since
      the previous reward, at most the last N (what the player heard; 50 =
      one second at 50 Hz).
    mirror_dislikes: False (SPEC): a dislike is stored as it came. True: a
      dislike of a = mu + e (e: the exploration noise heard, mu: the actor's
      own output) is stored as a like of the mirrored sound mu - e, clipped
      to [0, 1] (to first order the other side is the better one; evolution
      strategies' antithetic step as a supervised target).
    seed: seeds the networks, the noise and the memory sampling.
    algo: the learner: 'ddpg' (MEMLNaut, the default) or 'rwsl'
      (reward-weighted supervised learning, NISPS;
      sonification/carl/carl_rwsl.py).
    steps_per_call: optimisation steps per learner call, each on the same
      sampled batch (SPEC: 1; the learner is idle between rewards).
    actor_clipnorm: DDPG: clip the actor's gradient to this global norm
      (0 = no clipping, SPEC).
    dislike_margin: rwsl: a dislike pushes the output away until it is this
      far (Euclidean, parameter units) from the disliked sound.
    pref_sharpness: pref: k of P(like) = sigmoid(k * (d_ref - d_now)), per
      parameter unit of distance (sonification/carl/carl_pref.py).
    pref_prior: pref: weight of the L2 pull of the actor's weights toward
      their initial (or randomised, or loaded) values.
    ref_radius: a judgement's reference is the previous judgement's sound if
      the input moved at most this far (Euclidean, input units) between the
      two, else none (the player compared with something else).

  Raises:
    ValueError: naming the bad field and value.
  """
  input_size: int = 3
  output_size: int = 4
  actor_hidden: Tuple[int, ...] = (10, 12)
  critic_hidden: Tuple[int, ...] = (10, 10)
  tau: float = 0.005
  discount: float = 0.95
  memory_size: int = 64
  batch_size: int = 4
  actor_lr: float = 1e-4
  critic_lr: float = 3e-3
  reward_scale: float = 1.0
  optimise_every: int = 1
  optimise_every_max: int = 100
  noise_sigma: float = 0.1
  noise_theta: float = 0.15
  noise_mode: str = 'ou'
  credit_ticks: int = 0
  mirror_dislikes: bool = False
  seed: int = 0
  algo: str = 'ddpg'
  steps_per_call: int = 1
  dislike_margin: float = 0.3
  actor_clipnorm: float = 0.0
  pref_sharpness: float = 30.0
  pref_prior: float = 1e-3
  ref_radius: float = 0.05

  def __post_init__(self):
    object.__setattr__(self, 'actor_hidden', tuple(self.actor_hidden))
    object.__setattr__(self, 'critic_hidden', tuple(self.critic_hidden))
    hparams_overrides.check_numbers(self, {
        'actor_lr': 1.0, 'critic_lr': 1.0, 'reward_scale': 1000.0,
        'noise_sigma': 10.0, 'input_size': 1024, 'actor_hidden': 4096,
        'critic_hidden': 4096, 'memory_size': 1_000_000,
        'steps_per_call': 1000, 'dislike_margin': 10.0,
        'credit_ticks': 100_000, 'actor_clipnorm': 1e6,
        'pref_sharpness': 1e4, 'pref_prior': 1e6, 'ref_radius': 1e6})
    checks = {
        'input_size': self.input_size >= 1,
        'output_size': 1 <= self.output_size <= 128,
        'actor_hidden': all(h >= 1 for h in self.actor_hidden),
        'critic_hidden': all(h >= 1 for h in self.critic_hidden),
        'tau': 0.0 < self.tau <= 1.0,
        'discount': 0.0 <= self.discount < 1.0,
        'memory_size': self.memory_size >= 1,
        'batch_size': 1 <= self.batch_size <= self.memory_size,
        'actor_lr': self.actor_lr > 0,
        'critic_lr': self.critic_lr > 0,
        'reward_scale': self.reward_scale > 0,
        'optimise_every': self.optimise_every >= 1,
        'optimise_every_max': self.optimise_every_max >= 1,
        'noise_sigma': self.noise_sigma >= 0,
        'noise_theta': 0.0 <= self.noise_theta <= 1.0,
        'algo': self.algo in ALGOS,
        'noise_mode': self.noise_mode in NOISE_MODES,
        'credit_ticks': self.credit_ticks >= 0,
        'actor_clipnorm': self.actor_clipnorm >= 0,
        'steps_per_call': self.steps_per_call >= 1,
        'dislike_margin': self.dislike_margin > 0,
        'pref_sharpness': self.pref_sharpness > 0,
        'pref_prior': self.pref_prior >= 0,
        'ref_radius': self.ref_radius >= 0,
        # pref needs the sound as heard and its true reward.
        'mirror_dislikes': not (self.mirror_dislikes and self.algo == 'pref'),
    }
    for name, ok in checks.items():
      if not ok:
        raise ValueError(f'CarlHParams.{name} is invalid: '
                         f'{getattr(self, name)!r}')

  @classmethod
  def parse(cls, text: str, **defaults) -> 'CarlHParams':
    """Builds hparams from ``"a=1,b=2"`` overrides (tuples as ``10:12``).

    Args:
      text: the overrides (see rl_tuner.hparams_overrides).
      **defaults: field values applied before the overrides (e.g. seed).

    Raises:
      ValueError: on an unknown field or a bad value.
    """
    return hparams_overrides.parse_overrides(text, cls(**defaults))

  @classmethod
  def for_learner(cls, learner: str, text: str = '',
                  **defaults) -> 'CarlHParams':
    """The named learner's hparams (LEARNERS), then ``text`` overrides.

    Raises:
      ValueError: for an unknown learner name, field or bad value.
    """
    if learner not in LEARNERS:
      raise ValueError(f'CARL learner must be one of {sorted(LEARNERS)}, '
                       f'got {learner!r}')
    return cls.parse(text, **dict(LEARNERS[learner], **defaults))
