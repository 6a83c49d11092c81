"""AR-CNN: a U-Net that edits a piano roll one cell at a time, in the style of Bach.

DeepComposer's "Bach" AR-CNN (DESIGN.md §3), rebuilt small enough for a CPU. Training
takes 8-bar windows of the chorales (``generation.data``), removes cells or voices (or
parts of voices) and adds random cells, and teaches the network where the damage is: the
target is the XOR of the damaged and the original roll, normalised over the whole grid,
and the loss is the KL divergence from it to the softmax of the network's output over
the whole grid.

The grid has 2 steps per beat (eighth notes), not DeepComposer's 4: 100 one-cell
iterations can then add about 100 of the ~170 eighth-note cells that a chorale's three
lower voices fill in 8 bars, where at 4 steps per beat they fill at most 100 of ~330
sixteenth cells and leave confetti (the model card measures both, with the real voices as
an oracle). Chorales lose almost nothing at eighths.

Editing (:func:`edit_roll`) follows DeepComposer's sampler: every iteration runs the
network once, takes the softmax of its output divided by the temperature
(``creative_risk``) over all cells, masks the cells whose flip would break a quota
(removing more than ``max_input_notes_to_remove`` % of the input's cells, adding more
than ``max_notes_to_add`` cells), samples one cell and flips it. Like DeepComposer, a
"note" in the quotas is a cell of the roll (an eighth note at 2 steps per beat).

Longer inputs (up to 32 bars) are edited through 8-bar windows that overlap by half:
each window owns the steps nearer its centre than any other window's, an iteration on a
window runs the network on the whole window (context on both sides) but may only flip a
cell it owns, and ``sampling_iterations`` counts iterations per window (8 bars of 4/4),
shared among the windows in proportion to what they own and interleaved round-robin, so
every bar is edited as densely as DeepComposer edits its 8 bars. An input of 8 bars or
less is one window and gets exactly DeepComposer's algorithm.

Sizes: DeepComposer's U-Net has 31.5 M parameters (32 filters, 5 levels, 128 pitches,
128 steps); ours has 0.9 M (12 filters, 4 levels, additive skips, 64 pitches, 64 steps),
so that 100 iterations on 8 bars take under a second on one CPU core
(bench/bench_arcnn.py). The pitch
range is E1-G#6 (MIDI 28-91): the chorales span 36-81 and training transposes them by up
to ±6 semitones, a convolution is the same at every pitch, and notes outside the range
pass through unchanged (an input is first moved by octaves if that fits more notes in).
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

from generation.checkpoint import load_checkpoint, parameter_count, shipped_path
from generation.data import RollWindows, fixed_batches, load_split
from generation.params import ParamValue
from generation.rolls import from_grid, to_grid
from generation.training import (
    TrainingEntry,
    TrainOptions,
    adamw,
    clip_and_step,
    finish_training,
    run_training,
    seed_everything,
)
from music.score import Score
from music.transforms import rescale

BoolArray = npt.NDArray[np.bool_]


@dataclass
class ArcnnConfig:
    window_steps: int = 64  # 8 bars of 4/4 at 2 steps per beat (DeepComposer: 128 at 4)
    steps_per_beat: int = 2  # eighth-note cells (see the model card for why not sixteenths)
    low_pitch: int = 28  # the grid's pitch range is [low_pitch, high_pitch)
    high_pitch: int = 92
    base_channels: int = 12
    depth: int = 4  # poolings; window_steps and the pitch count must divide by 2**depth
    skip: str = "add"  # "add": 1x1-projected additive skips; "concat": DeepComposer's
    batch_norm: bool = True  # folded into the convolutions for inference
    # Training damage, per window (DeepComposer: remove 0-100 % of the notes, add 1-1.5 %
    # of the empty cells). voice_drop_pct of the windows instead lose whole voices, as a
    # melody given to the studio is a chorale that lost its other voices.
    remove_min_pct: float = 0.0
    remove_max_pct: float = 100.0
    add_min_pct: float = 1.0
    add_max_pct: float = 1.5
    voice_drop_pct: float = 60.0
    # A dropped voice keeps a random 0..dropped_voice_keep_max_pct % of its cells, as the
    # voices the sampler is adding look mid-edit (0: dropped voices vanish whole).
    dropped_voice_keep_max_pct: float = 80.0
    max_transpose: int = 6
    corpus: str = "bach-chorales"

    @property
    def pitches(self) -> int:
        return self.high_pitch - self.low_pitch


# DeepComposer's published architecture, for the latency comparison in bench/.
DEEPCOMPOSER_CONFIG = ArcnnConfig(
    window_steps=128,
    steps_per_beat=4,
    low_pitch=0,
    high_pitch=128,
    base_channels=32,
    depth=5,
    skip="concat",
    batch_norm=True,
)

CONFIG_HELP = {
    "window_steps": "time steps per window (8 bars of 4/4 at steps_per_beat)",
    "steps_per_beat": "grid steps per quarter note (2: eighth-note cells)",
    "base_channels": "channels of the first U-Net level (doubling per level)",
    "depth": "U-Net levels (poolings)",
    "skip": "skip connections: add (ours) or concat (DeepComposer's)",
    "voice_drop_pct": "percent of training windows that lose whole voices instead of cells",
    "dropped_voice_keep_max_pct": "a dropped voice keeps a random 0..this percent of its cells",
}


# ----- the network -------------------------------------------------------------------


def conv_block(channels_in: int, channels_out: int, batch_norm: bool) -> nn.Sequential:
    """Two 3x3 convolutions, each followed by (batch norm and) ReLU."""
    layers: list[nn.Module] = []
    for index in range(2):
        layers.append(
            nn.Conv2d(channels_in if index == 0 else channels_out, channels_out, 3, padding=1)
        )
        layers.append(nn.BatchNorm2d(channels_out) if batch_norm else nn.Identity())
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class ArCnn(nn.Module):
    """U-Net from a (batch, time, pitch) roll to (batch, time, pitch) flip logits."""

    def __init__(self, config: ArcnnConfig) -> None:
        super().__init__()
        self.config = config
        widths = [config.base_channels * 2**level for level in range(config.depth + 1)]
        self.down = nn.ModuleList(
            conv_block(1 if level == 0 else widths[level - 1], widths[level], config.batch_norm)
            for level in range(config.depth)
        )
        self.bottleneck = conv_block(widths[-2], widths[-1], config.batch_norm)
        levels = list(reversed(range(config.depth)))
        if config.skip == "add":
            self.project = nn.ModuleList(nn.Conv2d(widths[lv + 1], widths[lv], 1) for lv in levels)
            self.up = nn.ModuleList(
                conv_block(widths[lv], widths[lv], config.batch_norm) for lv in levels
            )
        elif config.skip == "concat":
            self.project = nn.ModuleList(nn.Identity() for _ in levels)
            self.up = nn.ModuleList(
                conv_block(widths[lv + 1] + widths[lv], widths[lv], config.batch_norm)
                for lv in levels
            )
        else:
            raise ValueError(f"skip must be 'add' or 'concat', not {config.skip!r}")
        self.head = nn.Conv2d(widths[0], 1, 1)

    def forward(self, roll: torch.Tensor) -> torch.Tensor:
        x = roll.unsqueeze(1)  # (B, 1, T, P)
        skips = []
        for block in self.down:
            x = block(x)  # (B, C_l, T / 2^l, P / 2^l)
            skips.append(x)
            x = F.max_pool2d(x, 2)
        x = self.bottleneck(x)  # (B, C_depth, T / 2^depth, P / 2^depth)
        for project, block in zip(self.project, self.up, strict=True):
            x = F.interpolate(x, scale_factor=2.0, mode="nearest")
            skip = skips.pop()
            x = block(project(x) + skip if self.config.skip == "add" else torch.cat([x, skip], 1))
        return self.head(x).squeeze(1)  # (B, T, P)


def fused_for_inference(model: ArCnn) -> ArCnn:
    """A copy with every batch norm folded into its convolution (same outputs, faster)."""
    fused = copy.deepcopy(model).eval()
    for block in [*fused.down, fused.bottleneck, *fused.up]:
        assert isinstance(block, nn.Sequential)
        for index in (0, 3):
            conv, norm = block[index], block[index + 1]
            if isinstance(conv, nn.Conv2d) and isinstance(norm, nn.BatchNorm2d):
                block[index] = fuse_conv_bn_eval(conv, norm)
                block[index + 1] = nn.Identity()
    return fused


def edit_loss(logits: torch.Tensor, damaged: torch.Tensor, original: torch.Tensor) -> torch.Tensor:
    """KL(target || softmax(logits)) over each window's whole grid, averaged over windows.

    The target spreads probability evenly over the cells that differ between the damaged
    input and the original (their XOR). DeepComposer's Keras loss flattens the whole batch
    into one distribution; per window is the same idea without windows competing.
    """
    target = (damaged != original).flatten(1).float()  # (B, T*P)
    target = target / target.sum(dim=1, keepdim=True)
    log_p = F.log_softmax(logits.flatten(1), dim=1)
    return (torch.xlogy(target, target) - target * log_p).sum(dim=1).mean()


# ----- training ----------------------------------------------------------------------


def damage(
    voices: BoolArray, rng: np.random.Generator, config: ArcnnConfig
) -> tuple[BoolArray, BoolArray]:
    """``(damaged, original)`` rolls, each (B, T, P), from (B, voices, T, P) windows."""
    original: BoolArray = np.asarray(voices.any(axis=1))
    damaged = original.copy()
    for index in range(len(original)):
        cells = damaged[index].reshape(-1)  # a view: writes land in ``damaged``
        sounding = np.flatnonzero(original[index])
        if rng.random() * 100 < config.voice_drop_pct and voices.shape[1] > 1:
            keep = rng.choice(
                voices.shape[1], size=int(rng.integers(1, voices.shape[1])), replace=False
            )
            kept = voices[index, keep].any(axis=0)
            if config.dropped_voice_keep_max_pct > 0:
                rest = np.flatnonzero(original[index] & ~kept)
                share = rng.uniform(0, config.dropped_voice_keep_max_pct) / 100
                back = rng.choice(rest, size=int(rest.size * share), replace=False)
                kept.reshape(-1)[back] = True
            cells[:] = kept.reshape(-1)
        elif sounding.size:
            share = rng.uniform(config.remove_min_pct, config.remove_max_pct) / 100
            cells[rng.choice(sounding, size=int(sounding.size * share), replace=False)] = False
        silent = np.flatnonzero(~original[index])
        share = rng.uniform(config.add_min_pct, config.add_max_pct) / 100
        cells[rng.choice(silent, size=int(silent.size * share), replace=False)] = True
        if np.array_equal(damaged[index], original[index]):  # the target needs one flipped cell
            cells[int(rng.integers(cells.size))] ^= True
    return damaged, original


def _windows(config: ArcnnConfig, split: str) -> RollWindows:
    return RollWindows(
        load_split(config.corpus, split),
        window_steps=config.window_steps,
        steps_per_beat=config.steps_per_beat,
        pitch_range=(config.low_pitch, config.high_pitch),
        max_transpose=config.max_transpose,
        merge=False,
    )


def train(config: ArcnnConfig, options: TrainOptions, out: Path) -> dict[str, Any]:
    seed_everything(options.seed, options.threads)
    started = time.perf_counter()
    train_windows, validation_windows = _windows(config, "train"), _windows(config, "validation")
    rng = np.random.default_rng(options.seed)
    validation = [
        damage(batch, np.random.default_rng(options.seed + 1 + i), config)
        for i, batch in enumerate(
            fixed_batches(
                validation_windows, options.eval_batches, options.batch_size, options.seed
            )
        )
    ]
    model = ArCnn(config)
    optimizer = adamw(model, options)

    def step(_: int) -> dict[str, float]:
        model.train()
        damaged, original = damage(train_windows.sample(options.batch_size, rng), rng, config)
        d, o = torch.from_numpy(damaged), torch.from_numpy(original)
        loss = edit_loss(model(d.float()), d, o)
        clip_and_step(model, optimizer, loss, options)
        return {"loss": loss.item()}

    def validation_loss(net: nn.Module) -> float:
        net.eval()
        with torch.no_grad():
            losses = [
                edit_loss(
                    net(torch.from_numpy(d).float()), torch.from_numpy(d), torch.from_numpy(o)
                ).item()
                for d, o in validation
            ]
        return float(np.mean(losses))

    log = run_training(
        step, lambda: {"loss": validation_loss(model)}, options, [optimizer], description="arcnn"
    )
    data = {
        "corpus": config.corpus,
        "train_split": train_windows.describe(),
        "validation_split": validation_windows.describe(),
        "setup_seconds": round(time.perf_counter() - started - log.seconds, 1),
    }
    return finish_training(
        model, config, out, log, options, data, validation_loss, "AR-CNN edit loss (KL)"
    )


TRAINING = TrainingEntry(
    config_class=ArcnnConfig,
    # One thread: on a shared 2-core machine two threads fight the other jobs and run
    # four times slower per step (measured: 0.5 s vs 2.2 s per step of 24 windows).
    options=TrainOptions(
        steps=20000, max_minutes=45, batch_size=24, lr=2e-3, eval_every=250, threads=1
    ),
    train=train,
    config_help=CONFIG_HELP,
)


# ----- editing -----------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    start: int  # first step the network sees
    own_from: int  # the steps this window may edit: [own_from, own_to)
    own_to: int


def plan_windows(steps: int, window: int, hop: int) -> list[Window]:
    """Windows of ``window`` steps every ``hop`` steps, each owning the steps nearest its centre."""
    starts = [0]
    while starts[-1] + window < steps:
        starts.append(starts[-1] + hop)
    centres = np.array([s + window / 2 for s in starts])
    owner = np.argmin(np.abs(np.arange(steps)[:, None] + 0.5 - centres[None, :]), axis=1)
    plan = []
    for index, start in enumerate(starts):
        owned = np.flatnonzero(owner == index)
        if owned.size:
            plan.append(Window(start, int(owned[0]), int(owned[-1]) + 1))
    return plan


def iteration_schedule(plan: list[Window], iterations_per_window: int, window: int) -> list[int]:
    """Which window each iteration edits: ``iterations_per_window`` per ``window`` steps owned,
    split by largest remainder and interleaved so that every window progresses together."""
    owned = np.array([w.own_to - w.own_from for w in plan], dtype=float)
    total = round(iterations_per_window * max(1.0, owned.sum() / window))
    exact = total * owned / owned.sum()
    counts = np.floor(exact).astype(int)
    for index in np.argsort(-(exact - counts), kind="stable")[: total - counts.sum()]:
        counts[index] += 1
    slots = [((j + 0.5) / n, w) for w, n in enumerate(counts) for j in range(n)]
    return [w for _, w in sorted(slots)]


@torch.no_grad()
def edit_roll(
    model: nn.Module | None,
    roll: BoolArray,
    *,
    max_input_notes_to_remove: int,
    max_notes_to_add: int,
    sampling_iterations: int,
    creative_risk: float,
    rng: np.random.Generator,
    window: int = 128,
    hop: int = 64,
) -> BoolArray:
    """DeepComposer's sampler over a (steps, pitches) roll; ``model=None`` is the baseline
    (every allowed cell equally likely, the same quotas and iterations)."""
    steps, pitches = roll.shape
    original = roll.copy()
    current = roll.copy()
    max_removed = int(max_input_notes_to_remove * original.sum() / 100)
    removed = added = 0
    plan = plan_windows(steps, window, hop)
    padded_steps = max(plan[-1].start + window, steps)
    canvas = torch.zeros((1, padded_steps, pitches))  # (1, T, P): the roll the network reads
    canvas[0, :steps] = torch.from_numpy(current)
    for index in iteration_schedule(plan, sampling_iterations, window):
        w = plan[index]
        if model is None:
            logits = torch.zeros((window, pitches), dtype=torch.float64)
        else:
            logits = model(canvas[:, w.start : w.start + window]).double()[0]  # (window, P)
        allowed = np.zeros((window, pitches), dtype=np.bool_)
        allowed[w.own_from - w.start : w.own_to - w.start] = True
        mine = slice(w.start, w.start + window)
        was, now = _padded(original, mine, window), _padded(current, mine, window)
        if removed >= max_removed:  # no more input cells may go
            allowed &= ~(was & now)
        if added >= max_notes_to_add:  # no more new cells may come
            allowed &= ~(~was & ~now)
        if not allowed.any():
            continue
        scaled = (logits / creative_risk).masked_fill(~torch.from_numpy(allowed), -math.inf)
        probabilities = torch.softmax(scaled.flatten(), dim=0).numpy()
        cell = _sample(probabilities, rng)
        step, pitch = divmod(cell, pitches)
        step += w.start
        if current[step, pitch]:
            removed, added = (removed + 1, added) if original[step, pitch] else (removed, added - 1)
        else:
            removed, added = (removed - 1, added) if original[step, pitch] else (removed, added + 1)
        current[step, pitch] = not current[step, pitch]
        canvas[0, step, pitch] = float(current[step, pitch])
    return current


def _padded(roll: BoolArray, rows: slice, length: int) -> BoolArray:
    part = roll[rows]
    return np.pad(part, ((0, length - len(part)), (0, 0))) if len(part) < length else part


def _sample(probabilities: npt.NDArray[np.float64], rng: np.random.Generator) -> int:
    """One index drawn from ``probabilities`` (inverse CDF: one uniform draw per sample)."""
    cumulative = np.cumsum(probabilities)
    return min(
        int(np.searchsorted(cumulative, rng.random() * cumulative[-1], side="right")),
        len(cumulative) - 1,
    )


# ----- the technique ------------------------------------------------------------------


@cache
def shipped_model() -> ArCnn:
    """The committed checkpoint, batch norms folded, loaded once per process."""
    model, _, _ = load_checkpoint(shipped_path("arcnn"), ArcnnConfig, ArCnn)
    return fused_for_inference(model)


def edit(score: Score, params: Mapping[str, ParamValue], seed: int, model: ArCnn | None) -> Score:
    """Edit ``score``'s pitched notes with ``model`` (``None``: the random baseline)."""
    config = model.config if model is not None else ArcnnConfig()
    if score.resolution % config.steps_per_beat:  # a grid step must be whole ticks
        score = rescale(score, math.lcm(score.resolution, config.steps_per_beat))
    grid = to_grid(score, config.steps_per_beat, (config.low_pitch, config.high_pitch))
    edited = edit_roll(
        model,
        grid.roll,
        max_input_notes_to_remove=int(params["max_input_notes_to_remove"]),
        max_notes_to_add=int(params["max_notes_to_add"]),
        sampling_iterations=int(params["sampling_iterations"]),
        creative_risk=float(params["creative_risk"]),
        rng=np.random.default_rng(seed),
        window=config.window_steps,
        hop=config.window_steps // 2,
    )
    return from_grid(grid, edited)


def generate(score: Score, params: Mapping[str, ParamValue], seed: int) -> Score:
    """The registry's entry point: ``score`` edited by the shipped model."""
    return edit(score, params, seed, shipped_model())


def random_edits(score: Score, params: Mapping[str, ParamValue], seed: int) -> Score:
    """The model card's baseline: uniformly random flips under the same quotas."""
    return edit(score, params, seed, None)


def describe(model: ArCnn) -> str:
    return f"AR-CNN U-Net, {parameter_count(model) / 1e6:.2f} M parameters"
