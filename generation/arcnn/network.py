"""AR-CNN v2: an orderless inpainting network over four voices (Coconet's idea, our build).

Coconet (Huang et al., 2017; the model behind Google's Bach Doodle) learns to fill in any
masked part of a four-part chorale given the rest, and harmonises a melody by blocked
Gibbs sampling with a masked share annealed from large to small. This is our version,
sized for two CPU cores:

- **Voices, not a merged roll.** Each of soprano, alto, tenor and bass holds one pitch
  (or rest) per eighth-note step and an onset bit (a repeated pitch is a new note only
  where the onset says so). Pieces are moved to the key signature of C (relative major
  to C), as the GAN's data are (:class:`generation.gan.training.VoiceWindows`), so a
  column is a scale degree and the small network spends nothing on transposition.
- **A 1-D dilated residual convolution over time.** Each step's input is, per voice, the
  one-hot pitch (rest first) and onset where visible, and the mask bit; plus the meter
  (bar and beat starts). The output is, per voice and step, logits over rest and the
  pitches and an onset logit. Coconet convolves over (time, pitch); over time only, with
  the pitches as channels, a step of 32 bars costs one pass of a few milliseconds, so a
  Gibbs step is one forward pass over the whole piece, not a window at a time.
- **Training masks of every size and shape** (:func:`training_masks`): cells masked
  independently at a random rate over all voices; the three lower voices masked whole
  (the first Gibbs step of a harmonisation, the soprano given); the lower voices masked
  at a random rate under a given soprano (the later Gibbs steps); whole voices; and spans
  of time. The loss is the cross-entropy of the masked cells only, each window's cells
  averaged, as in Coconet.

The sampler and the technique are in :mod:`generation.arcnn.gibbs`; the model card
(``generation/checkpoints/arcnn/MODEL_CARD.md``) has the figures.
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import torch
import torch.nn.functional as F
from torch import nn

from generation.data import load_split
from generation.training import (
    TrainingEntry,
    TrainOptions,
    adamw,
    clip_and_step,
    finish_training,
    run_training,
    seed_everything,
)

BoolArray = npt.NDArray[np.bool_]
VOICES = 4  # soprano, alto, tenor, bass
METER_PLANES = 2  # bar starts, beat starts


@dataclass
class ArcnnConfig:
    window_steps: int = 64  # training windows: 8 bars of 4/4 at eighth notes
    steps_per_beat: int = 2
    low_pitch: int = 28  # columns are pitches [low_pitch, high_pitch) after the key move
    high_pitch: int = 92
    channels: int = 144  # 96 until the retraining of 050b2db (validation C2ST 0.80 -> 0.75)
    blocks: int = 10  # residual blocks of two dilated convolutions each
    dilation_cycle: int = 5  # block i dilates by 2 ** (i % dilation_cycle): 1, 2, 4, 8, 16
    dropout: float = 0.3
    # After the key move, windows are moved by up to this many semitones either way (the
    # corpus is small: 327 chorales; without it the network learns them by heart, the
    # validation loss stalling at 1.5 while the training loss falls to 1.0).
    max_transpose: int = 2
    # Shares of the training masks' kinds (see training_masks); the rest: random cells.
    harmonise_pct: float = 30.0  # lower voices masked whole, soprano given
    under_soprano_pct: float = 30.0  # lower voices masked at a random rate
    voices_pct: float = 10.0  # whole voices (any) masked
    span_pct: float = 10.0  # a span of steps masked in every voice
    corpus: str = "bach-chorales"

    @property
    def pitches(self) -> int:
        return self.high_pitch - self.low_pitch

    @property
    def classes(self) -> int:
        return self.pitches + 1  # rest, then the pitch columns

    @property
    def input_features(self) -> int:
        return VOICES * (self.classes + 2) + METER_PLANES


CONFIG_HELP = {
    "channels": "channels of the residual convolution",
    "blocks": "residual blocks (two dilated 3-tap convolutions each)",
    "harmonise_pct": "percent of training masks that hide the three lower voices whole",
    "under_soprano_pct": "percent that hide lower-voice cells at a random rate, soprano given",
    "voices_pct": "percent that hide whole voices",
    "span_pct": "percent that hide a span of time in every voice",
    "max_transpose": "training windows move by up to this many semitones after the key move",
}


class Block(nn.Module):
    def __init__(self, channels: int, dilation: int, dropout: float) -> None:
        super().__init__()
        self.norm1 = nn.BatchNorm1d(channels)
        self.conv1 = nn.Conv1d(channels, channels, 3, padding=dilation, dilation=dilation)
        self.norm2 = nn.BatchNorm1d(channels)
        self.conv2 = nn.Conv1d(channels, channels, 3, padding=1)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv1(F.relu(self.norm1(x)))
        y = self.conv2(self.dropout(F.relu(self.norm2(y))))
        return x + y


class Inpainter(nn.Module):
    """(B, features, T) -> pitch logits (B, 4, T, 1 + P) and onset logits (B, 4, T)."""

    def __init__(self, config: ArcnnConfig) -> None:
        super().__init__()
        self.config = config
        c = config.channels
        self.inp = nn.Conv1d(config.input_features, c, 1)
        self.blocks = nn.Sequential(
            *(
                Block(c, 2 ** (i % config.dilation_cycle), config.dropout)
                for i in range(config.blocks)
            )
        )
        self.norm = nn.BatchNorm1d(c)
        self.out = nn.Conv1d(c, VOICES * (config.classes + 1), 1)

    def forward(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.blocks(self.inp(features))
        y = self.out(F.relu(self.norm(x)))  # (B, 4 * (classes + 1), T)
        batch, _, steps = y.shape
        y = y.view(batch, VOICES, self.config.classes + 1, steps).transpose(2, 3)
        return y[..., :-1], y[..., -1]

    def predict(
        self, columns: np.ndarray, onsets: np.ndarray, hidden: np.ndarray, meter: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """One piece's ``(pitch logits (4, T, C), onset logits (4, T))`` from its grid as
        NumPy arrays (4, T) with ``hidden`` cells unseen, and ``meter`` (1, 2, T)."""
        x = features(
            torch.from_numpy(columns)[None],
            torch.from_numpy(onsets)[None],
            torch.from_numpy(hidden)[None],
            meter,
            self.config.classes,
        )
        pitch_logits, onset_logits = self(x)
        return pitch_logits[0], onset_logits[0]


def features(
    columns: torch.Tensor,
    onsets: torch.Tensor,
    mask: torch.Tensor,
    meter: torch.Tensor,
    classes: int,
) -> torch.Tensor:
    """The network's input (B, features, T) from ``columns`` (B, 4, T; -1 rest),
    ``onsets`` (B, 4, T), ``mask`` (B, 4, T; True = hidden) and ``meter`` (B, 2, T)."""
    visible = (~mask).float()
    one_hot = F.one_hot(columns + 1, classes).float() * visible[..., None]  # (B, 4, T, C)
    batch, _, steps = columns.shape
    planes = [
        one_hot.permute(0, 1, 3, 2).reshape(batch, VOICES * classes, steps),
        onsets.float() * visible,
        mask.float(),
        meter.float(),
    ]
    return torch.cat(planes, 1)


def inpainting_loss(
    pitch_logits: torch.Tensor,
    onset_logits: torch.Tensor,
    columns: torch.Tensor,
    onsets: torch.Tensor,
    mask: torch.Tensor,
) -> torch.Tensor:
    """Cross-entropy of the hidden cells (averaged per window), plus the onset of hidden
    cells that repeat the previous step's pitch (elsewhere the onset is implied)."""
    ce = F.cross_entropy(pitch_logits.permute(0, 3, 1, 2), columns + 1, reduction="none")
    weight = mask.float()
    per_window = (ce * weight).flatten(1).sum(1) / weight.flatten(1).sum(1).clamp(min=1)
    previous = F.pad(columns[..., :-1], (1, 0), value=-2)
    ambiguous = mask & (columns >= 0) & (columns == previous)
    bce = F.binary_cross_entropy_with_logits(onset_logits, onsets.float(), reduction="none")
    onset_loss = (bce * ambiguous.float()).sum() / ambiguous.float().sum().clamp(min=1)
    return per_window.mean() + 0.5 * onset_loss


def training_masks(
    count: int, steps: int, rng: np.random.Generator, config: ArcnnConfig
) -> BoolArray:
    """(count, 4, steps) masks, True = hidden, of the kinds the config shares out."""
    masks = np.zeros((count, VOICES, steps), dtype=np.bool_)
    shares = np.array(
        [config.harmonise_pct, config.under_soprano_pct, config.voices_pct, config.span_pct]
    )
    edges = np.cumsum(shares) / 100
    for row in range(count):
        kind = int(np.searchsorted(edges, rng.random(), side="right"))
        rate = rng.uniform(0.05, 1.0)
        if kind == 0:
            masks[row, 1:] = True
            if rng.random() < 0.3:  # the sampler may also rewrite some melody cells
                masks[row, 0] = rng.random(steps) < rng.uniform(0, 0.3)
        elif kind == 1:
            masks[row, 1:] = rng.random((VOICES - 1, steps)) < rate
        elif kind == 2:
            hidden = rng.choice(VOICES, size=int(rng.integers(1, VOICES + 1)), replace=False)
            masks[row, hidden] = True
        elif kind == 3:
            length = int(rng.integers(2, steps // 2 + 1))
            start = int(rng.integers(0, steps - length + 1))
            masks[row, :, start : start + length] = True
        else:
            masks[row] = rng.random((VOICES, steps)) < rate
        if not masks[row].any():
            masks[row, int(rng.integers(VOICES)), int(rng.integers(steps))] = True
    return masks


# ----- training ----------------------------------------------------------------------


def _voice_windows(config: ArcnnConfig, split: str) -> Any:
    from generation.gan.model import GanConfig
    from generation.gan.training import VoiceWindows

    gan_config = GanConfig(
        window_steps=config.window_steps,
        steps_per_beat=config.steps_per_beat,
        low_pitch=config.low_pitch,
        high_pitch=config.high_pitch,
        context_pct=0.0,
    )
    return VoiceWindows(load_split(config.corpus, split), gan_config)


def batch_tensors(
    windows: Any, count: int, rng: np.random.Generator, config: ArcnnConfig
) -> tuple[torch.Tensor, ...]:
    """``(columns, onsets, mask, meter)`` of ``count`` random windows."""
    batch = windows.sample(count, rng)
    columns = torch.cat([batch.melody[:, None], batch.voices], 1)
    columns = torch.from_numpy(transposed(columns.numpy(), rng, config))
    onsets = torch.cat([batch.melody_onsets[:, None], batch.voice_onsets], 1)
    mask = torch.from_numpy(training_masks(count, config.window_steps, rng, config))
    return columns, onsets, mask, batch.meter


def transposed(
    columns: npt.NDArray[np.int64], rng: np.random.Generator, config: ArcnnConfig
) -> npt.NDArray[np.int64]:
    """Each window moved by a random shift of at most ``max_transpose`` semitones that
    keeps its notes on the grid (0 if none does)."""
    moved = columns.copy()
    for row in range(len(columns)):
        sounding = columns[row][columns[row] >= 0]
        if not sounding.size:
            continue
        low, high = -int(sounding.min()), config.pitches - 1 - int(sounding.max())
        shifts = [
            s for s in range(-config.max_transpose, config.max_transpose + 1) if low <= s <= high
        ]
        shift = int(rng.choice(shifts)) if shifts else 0
        moved[row] = np.where(columns[row] >= 0, columns[row] + shift, -1)
    return moved


def train(config: ArcnnConfig, options: TrainOptions, out: Path) -> dict[str, Any]:
    seed_everything(options.seed, options.threads)
    started = time.perf_counter()
    train_windows = _voice_windows(config, "train")
    validation_windows = _voice_windows(config, "validation")
    rng = np.random.default_rng(options.seed)
    validation = [
        batch_tensors(
            validation_windows, options.batch_size, np.random.default_rng(1000 + i), config
        )
        for i in range(options.eval_batches)
    ]
    model = Inpainter(config)
    optimizer = adamw(model, options)

    def loss_of(net: nn.Module, batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
        columns, onsets, mask, meter = batch
        pitch_logits, onset_logits = net(features(columns, onsets, mask, meter, config.classes))
        return inpainting_loss(pitch_logits, onset_logits, columns, onsets, mask)

    def step(_: int) -> dict[str, float]:
        model.train()
        loss = loss_of(model, batch_tensors(train_windows, options.batch_size, rng, config))
        clip_and_step(model, optimizer, loss, options)
        return {"loss": loss.item()}

    def validation_loss(net: nn.Module) -> float:
        net.eval()
        with torch.no_grad():
            return float(np.mean([loss_of(net, batch).item() for batch in validation]))

    best: dict[str, Any] = {"loss": math.inf, "state": None}

    def evaluate() -> dict[str, float]:
        loss = validation_loss(model)
        if loss < best["loss"]:  # the weights shipped are the best on validation
            best.update(loss=loss, state=copy.deepcopy(model.state_dict()))
        return {"loss": loss}

    log = run_training(step, evaluate, options, [optimizer], description="arcnn")
    model.load_state_dict(best["state"])
    data = {
        "corpus": config.corpus,
        "train_split": train_windows.describe(),
        "validation_split": validation_windows.describe(),
        "key": "moved to the key signature of C (relative major), as the GAN's data",
        "setup_seconds": round(time.perf_counter() - started - log.seconds, 1),
        "best_validation_step": min(log.validation, key=lambda row: row["loss"])["step"],
    }
    return finish_training(
        model, config, out, log, options, data, validation_loss, "AR-CNN inpainting loss (CE)"
    )


TRAINING = TrainingEntry(
    config_class=ArcnnConfig,
    # One thread: on a shared 2-core machine two threads fight the other jobs and run
    # many times slower per step (measured: 0.14 s alone, 4.8 s beside one other job).
    options=TrainOptions(
        steps=13000,
        max_minutes=58,
        batch_size=32,
        lr=2e-3,
        weight_decay=0.1,
        eval_every=250,
        eval_batches=16,
        threads=1,
    ),
    train=train,
    config_help=CONFIG_HELP,
)
