"""Training the GAN: four-part windows of a corpus, the critic and generator steps, the run.

``python -m generation.train gan --style chorale`` lands here (through ``TRAINING``
below, which the registry names). Each training step is, after ``pretrain_steps`` steps of
the generator alone on the cross-entropy to the real voices, ``critic_steps`` WGAN-GP
critic updates (gradient penalty ``gp_weight`` at random points between real and
generated voices) and one generator update on the critic's score plus ``recon_weight``
times the cross-entropy; every update draws a fresh batch, as in DeepComposer's lab.
The network code, the config and sampling live in :mod:`generation.gan.model`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from generation.data import load_split, steps_per_bar
from generation.gan.lines import key_shift, line, meter_planes, to_columns
from generation.gan.model import (
    CONFIG_HELP,
    VOICES,
    Batch,
    BoolArray,
    GanConfig,
    Generator,
    IntArray,
    generator_input,
    one_hot,
    voice_mask,
)
from generation.gan.styles import STYLES
from generation.training import (
    TrainingEntry,
    TrainLog,
    TrainOptions,
    card_dir,
    finish_training,
    run_training,
    seed_everything,
)
from music.corpus import CorpusPiece
from music.pianoroll import _step as tick_to_step
from music.score import Score

# ----- training data -------------------------------------------------------------------

# ----- the critic and the losses -------------------------------------------------------

CRITIC_INPUTS = 2 + 2 * VOICES + 2  # melody, onsets; voices, onsets; meter


class Critic(nn.Module):
    """(B, CRITIC_INPUTS, T, P) -> (B,) realness: strided convolutions over the roll plus
    a branch over the same channels folded to 12 pitch classes (harmony in any octave)."""

    fold: torch.Tensor  # (P, 12): column to pitch class

    def __init__(self, config: GanConfig) -> None:
        super().__init__()
        c = config.critic_channels
        layers: list[nn.Module] = []
        channels = CRITIC_INPUTS
        for level in range(4):
            layers += [nn.Conv2d(channels, c * 2**level, 4, 2, 1), nn.LeakyReLU(0.2)]
            channels = c * 2**level
        self.roll = nn.Sequential(*layers, nn.Flatten())
        cells = channels * (config.window_steps // 16) * (config.pitches // 16)
        self.roll_out = nn.Linear(cells, 1)
        self.chroma = nn.Sequential(
            nn.Conv1d(CRITIC_INPUTS * 12, 2 * c, 3, padding=1),
            nn.LeakyReLU(0.2),
            nn.Conv1d(2 * c, 4 * c, 4, 2, 1),
            nn.LeakyReLU(0.2),
            nn.Conv1d(4 * c, 4 * c, 4, 2, 1),
            nn.LeakyReLU(0.2),
            nn.Flatten(),
        )
        self.chroma_out = nn.Linear(4 * c * (config.window_steps // 4), 1)
        classes = (torch.arange(config.pitches) + config.low_pitch) % 12
        self.register_buffer("fold", F.one_hot(classes, 12).float(), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        chroma = (x @ self.fold).permute(0, 1, 3, 2).flatten(1, 2)  # (B, C * 12, T)
        return (self.roll_out(self.roll(x)) + self.chroma_out(self.chroma(chroma))).squeeze(1)


def condition(batch: Batch, pitches: int) -> torch.Tensor:
    """(B, 4, T, P): what the critic is told besides the voices (melody and meter)."""
    melody = one_hot(batch.melody, pitches)
    planes = [
        melody[:, None],
        (melody * batch.melody_onsets[..., None])[:, None],
        batch.meter[..., None].expand(-1, -1, -1, pitches),
    ]
    return torch.cat(planes, 1)


def real_voices(batch: Batch, pitches: int) -> torch.Tensor:
    """(B, 2V, T, P): the real voices' frames and onsets."""
    frames = one_hot(batch.voices, pitches)
    return torch.cat([frames, frames * batch.voice_onsets[..., None]], 1)


def fake_voices(
    pitch_logits: torch.Tensor, onset_logits: torch.Tensor, batch: Batch, config: GanConfig
) -> torch.Tensor:
    """(B, 2V, T, P): the generated voices, the seam context pasted over where given."""
    probabilities = pitch_logits.softmax(-1)  # (B, V, T, 1 + P)
    onset = torch.sigmoid(onset_logits)  # (B, V, T)
    if config.straight_through:
        hard = F.one_hot(probabilities.argmax(-1), config.pitches + 1).float()
        probabilities = hard + probabilities - probabilities.detach()
        onset = (onset > 0.5).float() + onset - onset.detach()
    frames = probabilities[..., 1:]  # (B, V, T, P)
    fake = torch.cat([frames, frames * onset[..., None]], 1)
    given = voice_mask(batch)
    mask = torch.cat([given, given], 1)[..., None]  # (B, 2V, T, 1): frames, onsets
    return mask * real_voices(batch, config.pitches) + (1 - mask) * fake


def voice_loss(
    pitch_logits: torch.Tensor, onset_logits: torch.Tensor, batch: Batch
) -> torch.Tensor:
    """Cross-entropy of the real voices (pitch or rest per step, and onsets where a note
    sounds) under the generator's distributions, outside the given context."""
    free = 1 - voice_mask(batch)  # (B, V, T)
    pitch = F.cross_entropy(
        pitch_logits.flatten(0, 2), (batch.voices + 1).flatten(), reduction="none"
    )
    sounding = (batch.voices >= 0).float() * free
    onset = F.binary_cross_entropy_with_logits(
        onset_logits, batch.voice_onsets.float(), reduction="none"
    )
    return (pitch.view_as(free) * free).sum() / free.sum() + (
        onset * sounding
    ).sum() / sounding.sum().clamp(min=1)


@dataclass
class _Piece:
    pitches: IntArray  # (parts, steps): parts high to low, pitches after the key move
    onsets: BoolArray  # (parts, steps)
    bar: int


class VoiceWindows:
    """Random windows of a corpus split as four lines: the top part (the melody), two
    inner parts (drawn at random where a piece has more than four) and the lowest.

    Parts are ordered by mean pitch; pieces with fewer than four parts are left out.
    Window starts fall on beats, and the meter planes say where the bars are.
    """

    def __init__(self, pieces: Sequence[CorpusPiece], config: GanConfig) -> None:
        self.config = config
        self.pieces = [p for p in (self._piece(piece.score) for piece in pieces) if p]
        self.lengths = np.array([p.pitches.shape[1] for p in self.pieces], dtype=float)

    def _piece(self, score: Score) -> _Piece | None:
        parts = [t for t in score.pitched_tracks() if t.notes]
        if len(parts) < 4:
            return None
        parts.sort(key=lambda t: -float(np.mean([n.pitch for n in t.notes])))
        spb = self.config.steps_per_beat
        bar = steps_per_bar(score, spb)
        steps = -(-tick_to_step(score.end_tick, spb, score.resolution) // bar) * bar
        lines = [
            line(t.notes, steps, spb, score.resolution, lowest=i == len(parts) - 1)
            for i, t in enumerate(parts)
        ]
        shift = key_shift(parts[0].notes)
        pitches = np.stack([np.where(p >= 0, p + shift, -1) for p, _ in lines])
        return _Piece(pitches, np.stack([o for _, o in lines]), bar)

    def melody_center(self) -> int:
        return int(np.median([np.median(p.pitches[0][p.pitches[0] >= 0]) for p in self.pieces]))

    def describe(self) -> dict[str, Any]:
        return {
            "pieces": len(self.pieces),
            "steps": int(self.lengths.sum()),
            "parts": {
                str(k): int(v)
                for k, v in zip(
                    *np.unique([p.pitches.shape[0] for p in self.pieces], return_counts=True),
                    strict=True,
                )
            },
        }

    def sample(self, count: int, rng: np.random.Generator) -> Batch:
        c = self.config
        steps = c.window_steps
        chosen = rng.choice(len(self.pieces), size=count, p=self.lengths / self.lengths.sum())
        lines = np.full((count, 1 + VOICES, steps), -1, dtype=np.int64)
        onsets = np.zeros((count, 1 + VOICES, steps), dtype=np.bool_)
        meter = np.zeros((count, 2, steps), dtype=np.float32)
        for row, index in enumerate(chosen):
            piece = self.pieces[int(index)]
            parts, length = piece.pitches.shape
            start = int(rng.integers(max(1, (length - steps) // c.steps_per_beat + 1)))
            start *= c.steps_per_beat
            inner = sorted(rng.choice(np.arange(1, parts - 1), size=2, replace=False))
            rows = [0, *inner, parts - 1]
            cut = piece.pitches[rows, start : start + steps]
            lines[row, :, : cut.shape[1]] = cut
            onsets[row, :, : cut.shape[1]] = piece.onsets[rows, start : start + steps]
            meter[row] = meter_planes(start, steps, piece.bar, c.steps_per_beat)
        columns = to_columns(lines, c.low_pitch, c.pitches)
        mask = np.zeros((count, VOICES, steps), dtype=np.float32)
        mask[rng.random(count) * 100 < c.context_pct, :, : c.context_steps] = 1.0
        if c.voice_context:  # one or two voices given whole: a voice generated again
            for given_row in np.flatnonzero(rng.random(count) * 100 < c.voice_context_pct):
                given = rng.choice(VOICES, size=int(rng.integers(1, VOICES)), replace=False)
                mask[given_row, given] = 1.0
        else:
            mask = mask[:, 0]
        return Batch(
            torch.from_numpy(columns[:, 0]),
            torch.from_numpy(onsets[:, 0]),
            torch.from_numpy(columns[:, 1:]),
            torch.from_numpy(onsets[:, 1:]),
            torch.from_numpy(meter),
            torch.from_numpy(mask),
        )


# ----- training ----------------------------------------------------------------------


def gradient_penalty(
    critic: Critic, cond: torch.Tensor, real: torch.Tensor, fake: torch.Tensor
) -> torch.Tensor:
    """WGAN-GP: (|grad D(x_hat)| - 1)^2 at random points between real and fake voices."""
    eps = torch.rand(real.shape[0], 1, 1, 1)
    mixed = (eps * real + (1 - eps) * fake).requires_grad_(True)
    score = critic(torch.cat([cond, mixed], 1))
    (grad,) = torch.autograd.grad(score.sum(), mixed, create_graph=True)
    return ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()


class GanTrainer:
    """One generator step after ``critic_steps`` critic steps, each on a fresh batch."""

    def __init__(self, config: GanConfig, windows: VoiceWindows, options: TrainOptions) -> None:
        self.config, self.windows, self.options = config, windows, options
        self.generator, self.critic = Generator(config), Critic(config)
        betas = (0.5, 0.9)  # DeepComposer's lab
        self.g_opt = torch.optim.Adam(self.generator.parameters(), lr=options.lr, betas=betas)
        self.c_opt = torch.optim.Adam(self.critic.parameters(), lr=options.lr, betas=betas)
        self.rng = np.random.default_rng(options.seed)

    def generate(
        self, batch: Batch, z: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        if z is None:
            z = torch.randn(self.generator.noise_shape(len(batch.melody)))
        return self.generator(
            generator_input(batch, self.config.pitches, self.config.voice_context), z
        )

    def critic_step(self) -> dict[str, float]:
        c = self.config
        batch = self.windows.sample(self.options.batch_size, self.rng)
        with torch.no_grad():
            fake = fake_voices(*self.generate(batch), batch, c)
        real, cond = real_voices(batch, c.pitches), condition(batch, c.pitches)
        d_real = self.critic(torch.cat([cond, real], 1)).mean()
        d_fake = self.critic(torch.cat([cond, fake], 1)).mean()
        penalty = gradient_penalty(self.critic, cond, real, fake)
        loss = d_fake - d_real + c.gp_weight * penalty
        self.c_opt.zero_grad(set_to_none=True)
        loss.backward()
        self.c_opt.step()
        return {
            "critic": loss.item(),
            "wasserstein": (d_real - d_fake).item(),
            "gp": penalty.item(),
        }

    def generator_step(self) -> dict[str, float]:
        c = self.config
        batch = self.windows.sample(self.options.batch_size, self.rng)
        pitch_logits, onset_logits = self.generate(batch)
        fake = fake_voices(pitch_logits, onset_logits, batch, c)
        adversarial = -self.critic(torch.cat([condition(batch, c.pitches), fake], 1)).mean()
        reconstruction = voice_loss(pitch_logits, onset_logits, batch)
        loss = adversarial + c.recon_weight * reconstruction if c.recon_weight else adversarial
        self.g_opt.zero_grad(set_to_none=True)
        loss.backward()
        self.g_opt.step()
        return {"generator": adversarial.item(), "loss": reconstruction.item()}

    def pretrain_step(self) -> dict[str, float]:
        """A supervised warm-up step: the cross-entropy to the real voices alone."""
        batch = self.windows.sample(self.options.batch_size, self.rng)
        loss = voice_loss(*self.generate(batch), batch)
        self.g_opt.zero_grad(set_to_none=True)
        loss.backward()
        self.g_opt.step()
        # No critic yet: its figures are reported as 0 (plots start after the warm-up).
        return {"critic": 0.0, "wasserstein": 0.0, "gp": 0.0, "generator": 0.0, "loss": loss.item()}

    def step(self, index: int) -> dict[str, float]:
        self.generator.train()
        if index < self.config.pretrain_steps:
            return self.pretrain_step()
        critic = [self.critic_step() for _ in range(self.config.critic_steps)]
        mean = {k: float(np.mean([m[k] for m in critic])) for k in critic[0]}
        return {**mean, **self.generator_step()}


def _validation(
    config: GanConfig, windows: VoiceWindows, options: TrainOptions
) -> list[tuple[Batch, torch.Tensor]]:
    rng = np.random.default_rng(options.seed + 1)
    generator = torch.Generator().manual_seed(options.seed + 1)
    shape = Generator(config).noise_shape(options.batch_size)
    return [
        (windows.sample(options.batch_size, rng), torch.randn(shape, generator=generator))
        for _ in range(options.eval_batches)
    ]


def evaluate(trainer: GanTrainer, validation: list[tuple[Batch, torch.Tensor]]) -> dict[str, float]:
    """Validation: the voices' cross-entropy (``loss``), the critic's Wasserstein estimate,
    and how often generated voices sound, stay in the key and are consonant with the melody."""
    c = trainer.config
    trainer.generator.eval()
    losses, distances, in_key, consonant, sounding = [], [], [], [], []
    scale = torch.tensor([0, 2, 4, 5, 7, 9, 11])
    with torch.no_grad():
        for batch, z in validation:
            pitch_logits, onset_logits = trainer.generate(batch, z)
            losses.append(voice_loss(pitch_logits, onset_logits, batch).item())
            cond = condition(batch, c.pitches)
            fake = fake_voices(pitch_logits, onset_logits, batch, c)
            real = real_voices(batch, c.pitches)
            distances.append(
                (
                    trainer.critic(torch.cat([cond, real], 1))
                    - trainer.critic(torch.cat([cond, fake], 1))
                )
                .mean()
                .item()
            )
            chosen = pitch_logits.argmax(-1) - 1  # (B, V, T) column or -1
            free = voice_mask(batch) == 0
            voiced = (chosen >= 0) & free
            classes = (chosen + c.low_pitch) % 12
            in_key.append(torch.isin(classes[voiced], scale).float().mean().item())
            both = voiced & (batch.melody[:, None] >= 0)
            interval = (batch.melody[:, None] - chosen).remainder(12)[both]
            consonant.append(
                torch.isin(interval, torch.tensor([0, 3, 4, 7, 8, 9])).float().mean().item()
            )
            sounding.append(voiced.float().sum().item() / free.float().sum().item())
    return {
        "loss": float(np.mean(losses)),
        "wasserstein": float(np.mean(distances)),
        "in_key": float(np.nanmean(in_key)),
        "consonant": float(np.nanmean(consonant)),
        "sounding": float(np.mean(sounding)),
    }


def plot_gan_curves(log: TrainLog, path: Path, style: str, start: int = 0) -> None:
    """The adversarial curves beside the shared loss curve, in one picture: the critic's
    Wasserstein estimate and loss, the generator's adversarial loss, and the validation
    share of voice notes consonant with the melody, after the ``start`` warm-up steps."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = (
        ("wasserstein", "Wasserstein estimate"),
        ("critic", "critic loss (with penalty)"),
        ("generator", "generator loss"),
        ("consonant", "consonant with melody"),
    )
    figure, axes = plt.subplots(2, 2, figsize=(9, 6), dpi=100)
    for axis, (key, title) in zip(axes.flat, panels, strict=True):
        for which, entries in (("train", log.train), ("validation", log.validation)):
            points = [(e["step"], e[key]) for e in entries if key in e and e["step"] > start]
            if points:
                axis.plot(
                    *zip(*points, strict=True),
                    label=which,
                    marker="." if which == "validation" else "",
                )
        axis.set_title(title)
        axis.set_xlabel("step")
        axis.grid(alpha=0.3)
        axis.legend()
    figure.suptitle(f"GAN {style}")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)


def train(config: GanConfig, options: TrainOptions, out: Path) -> dict[str, Any]:
    if config.style not in STYLES:
        raise SystemExit(f"unknown style {config.style!r}; the styles are {', '.join(STYLES)}")
    style = STYLES[config.style]
    seed_everything(options.seed, options.threads)
    started = time.perf_counter()
    train_windows = VoiceWindows(load_split(style.corpus, "train"), config)
    validation_windows = VoiceWindows(load_split(style.corpus, "validation"), config)
    config.melody_center = train_windows.melody_center()
    trainer = GanTrainer(config, train_windows, options)
    validation = _validation(config, validation_windows, options)
    log = run_training(
        trainer.step,
        lambda: evaluate(trainer, validation),
        options,
        [trainer.g_opt, trainer.c_opt],
        description=f"gan-{config.style}",
    )

    def validation_loss(net: nn.Module) -> float:
        net.eval()
        losses = []
        with torch.no_grad():
            for batch, z in validation:
                pitch_logits, onset_logits = net(
                    generator_input(batch, config.pitches, config.voice_context), z
                )
                losses.append(voice_loss(pitch_logits, onset_logits, batch).item())
        return float(np.mean(losses))

    data = {
        "corpus": style.corpus,
        "train_split": train_windows.describe(),
        "validation_split": validation_windows.describe(),
        "setup_seconds": round(time.perf_counter() - started - log.seconds, 1),
    }
    meta = finish_training(
        trainer.generator,
        config,
        out,
        log,
        options,
        data,
        validation_loss,
        f"GAN {config.style}: voices' cross-entropy",
    )
    plot_gan_curves(log, card_dir(out) / "gan_curves.png", config.style, config.pretrain_steps)
    return meta


TRAINING = TrainingEntry(
    config_class=GanConfig,
    # A step budget, not a time budget: the same commit trains the same weights on any
    # machine, however busy (the first shipped runs stopped at 20 minutes, 1,930-1,976 steps).
    options=TrainOptions(
        steps=2000,
        max_minutes=0,
        batch_size=16,
        lr=1e-3,
        warmup_steps=0,
        min_lr_ratio=0.1,
        grad_clip=0.0,
        eval_every=50,
        eval_batches=8,
    ),
    train=train,
    config_help=CONFIG_HELP,
)
