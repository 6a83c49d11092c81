"""Training the realism critic ensemble (building a profile): data, fitting, fp16
rounding, temperature calibration and the validation figures.

Scoring never imports this module (nor the fake families or tqdm it needs): a profile
loads its trained ensemble through :mod:`evaluation.critic`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt
import torch
import torch.nn.functional as F
from torch import nn
from tqdm import tqdm

from evaluation.augment import AUGMENTATIONS, augmented_real
from evaluation.critic import Critic, CriticConfig, CriticEnsemble, FloatArray
from evaluation.fakes import DEGENERATE, FAMILIES, HARD, make_fake
from evaluation.windows import Windows, WindowSpec, score_windows
from music.score import Score


def train_ensemble(
    train_scores: Sequence[Score],
    val_scores: Sequence[Score],
    *,
    config: CriticConfig | None = None,
    seed: int = 0,
    progress: bool = True,
) -> tuple[CriticEnsemble, dict[str, Any]]:
    """Train, round to fp16 and calibrate an ensemble; returns it and a training log."""
    config = config or CriticConfig()
    check_config(config)
    started, cpu_started = time.perf_counter(), time.process_time()
    rng = np.random.default_rng(seed)
    train_spec = replace(config.window, hop_beats=config.train_hop_beats)
    plain = np.concatenate([score_windows(s, train_spec) for s in train_scores])
    augmented = _augmented_windows(train_scores, config, train_spec, rng, progress)
    real = _packed(np.concatenate([plain, augmented]))
    steps_per_epoch = max(len(plain) // (config.batch_size // 2), 1)
    pool = _fake_pool(train_scores, config, train_spec, rng, progress)
    val_real, val_fakes = _validation_windows(val_scores, config, seed)
    data_seconds = round(time.perf_counter() - started, 1)
    critics: list[Critic] = []
    logs: list[dict[str, Any]] = []
    temperatures: list[float] = []
    for index, families in enumerate(_critic_families(config, rng)):
        torch.manual_seed(seed * 1009 + index)
        critic = Critic(_critic_config(config, index))
        fit_started = time.perf_counter()
        losses = _fit(
            critic, real, {f: pool[f] for f in families}, config, rng, progress, steps_per_epoch
        )
        round_to_half(critic)
        temperature, nll = _calibrate(critic, val_real, val_fakes)
        critics.append(critic)
        temperatures.append(temperature)
        logs.append(
            {
                "families": list(families),
                "held_out": [f for f in config.families if f not in families],
                "losses": losses,
                "seconds": round(time.perf_counter() - fit_started, 1),
                "temperature": temperature,
                "val_nll": nll,
                "val_auroc": _family_aurocs(critic, val_real, val_fakes),
            }
        )
    ensemble = CriticEnsemble(critics, temperatures)
    seconds = round(time.perf_counter() - started, 1)
    ensemble.meta = {"config": config.to_dict(), "seed": seed, "train_seconds": seconds}
    summary = evaluate_windows(ensemble, val_real, val_fakes)
    cpu_seconds = round(time.process_time() - cpu_started, 1)
    log = {
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "data_seconds": data_seconds,
        "real_windows": len(plain),
        "augmented_real_windows": len(augmented),
        "critics": logs,
    }
    return ensemble, {**log, **summary}


@dataclass(frozen=True)
class WindowSet:
    """Windows of several pieces, and which piece (0, 1, ...) each one comes from."""

    windows: Windows
    piece: npt.NDArray[np.int64]

    @classmethod
    def of(cls, scores: Sequence[Score], spec: WindowSpec) -> WindowSet:
        parts = [score_windows(s, spec) for s in scores]
        piece = np.repeat(np.arange(len(parts)), [len(p) for p in parts])
        empty = np.zeros((0, *spec.shape), dtype=np.uint8)
        return cls(np.concatenate(parts) if parts else empty, piece)

    def per_piece(self, values: FloatArray) -> FloatArray:
        """The mean of ``values`` (one per window) over each piece's windows (pieces
        left without windows left out)."""
        counts = np.bincount(self.piece)
        sums = np.bincount(self.piece, weights=values)
        return np.asarray(sums[counts > 0] / counts[counts > 0])


def evaluate_windows(
    ensemble: CriticEnsemble, real: WindowSet, fakes: dict[str, WindowSet]
) -> dict[str, Any]:
    """AUROC of real versus each fake family, per window and per piece (the mean p(real)
    of its windows), and the mean p(real) of each."""
    p_real = ensemble.predict(real.windows).p_real
    real_pieces = real.per_piece(p_real)
    windows, pieces, means = {}, {}, {"real": _mean(p_real)}
    for family, fake in fakes.items():
        p_fake = ensemble.predict(fake.windows).p_real
        windows[family] = auroc(p_real, p_fake)
        pieces[family] = auroc(real_pieces, fake.per_piece(p_fake))
        means[family] = _mean(p_fake)
    return {"val_auroc": windows, "val_auroc_pieces": pieces, "val_mean_p_real": means}


def _mean(values: FloatArray) -> float:
    return float(values.mean()) if len(values) else math.nan


def auroc(positives: npt.ArrayLike, negatives: npt.ArrayLike) -> float:
    """P(a random positive scores above a random negative), ties counting one half."""
    pos, neg = np.asarray(positives, float), np.asarray(negatives, float)
    if not len(pos) or not len(neg):
        return math.nan
    values = np.concatenate([pos, neg])
    order = np.argsort(values, kind="stable")
    ranks = np.empty(len(values))
    ranks[order] = np.arange(1, len(values) + 1)
    # Average the ranks of tied values.
    sorted_values = values[order]
    starts = np.flatnonzero(np.r_[True, sorted_values[1:] != sorted_values[:-1]])
    ends = np.r_[starts[1:], len(values)]
    for begin, end in zip(starts, ends, strict=True):
        if end - begin > 1:
            ranks[order[begin:end]] = (begin + end + 1) / 2
    u = ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2
    return float(u / (len(pos) * len(neg)))


def fit_temperature(
    logits: npt.ArrayLike, labels: npt.ArrayLike, weights: npt.ArrayLike | None = None
) -> float:
    """The temperature T minimising the weighted NLL of ``sigmoid(logits / T)``.

    A grid over log T from e^-3 to e^3 (which holds T = 1, so the fitted NLL is never
    worse than the uncalibrated one) refined by a finer grid around its best point.
    """
    z = np.asarray(logits, float)
    y = np.asarray(labels, float)
    w = np.ones_like(z) if weights is None else np.asarray(weights, float)
    grid = np.linspace(-3.0, 3.0, 121)
    best = grid[np.argmin(_nll(z, y, w, np.exp(grid)))]
    fine = np.linspace(best - 0.05, best + 0.05, 41)
    candidates = np.r_[fine, best]
    return float(np.exp(candidates[np.argmin(_nll(z, y, w, np.exp(candidates)))]))


def _nll(z: FloatArray, y: FloatArray, w: FloatArray, temperatures: FloatArray) -> FloatArray:
    """Weighted mean binary NLL for each temperature: (len(temperatures),)."""
    scaled = z[None, :] / temperatures[:, None]
    signed = np.where(y[None, :] > 0.5, -scaled, scaled)
    losses = np.logaddexp(0.0, signed)  # softplus(-z) for reals, softplus(z) for fakes
    return np.asarray((losses * w[None, :]).sum(axis=1) / w.sum())


# ----- training helpers ----------------------------------------------------------------


def check_config(config: CriticConfig) -> None:
    """Refuse a config naming unknown families or augmentations, or a family weight
    that is not a positive number."""
    weighted = [name for name, _ in config.family_weights]
    unknown = [f for f in (*config.families, *weighted) if f not in FAMILIES]
    unknown += [a for a in config.real_augmentations if a not in AUGMENTATIONS]
    if unknown:
        raise ValueError(f"unknown fake families or augmentations: {', '.join(unknown)}")
    if not config.families:
        raise ValueError("a critic needs at least one fake family")
    for name, weight in config.family_weights:
        if not (math.isfinite(weight) and weight > 0):
            raise ValueError(f"the weight of family {name} must be above 0, not {weight}")


def _packed(windows: Windows) -> npt.NDArray[np.uint8]:
    """Windows bit-packed along pitch (8x smaller), for the training pools."""
    return np.packbits(windows, axis=-1)


def _critic_config(config: CriticConfig, index: int) -> CriticConfig:
    width = config.widths[index % len(config.widths)]

    def scaled(channels: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(max(4, round(c * width)) for c in channels)

    return replace(
        config, channels=scaled(config.channels), chroma_channels=scaled(config.chroma_channels)
    )


def _critic_families(config: CriticConfig, rng: np.random.Generator) -> list[tuple[str, ...]]:
    """The families each critic sees: all degenerate ones and hard negatives, and all
    scrambled ones but ``held_out``, the held-out ones rotating through a shuffled order."""
    scrambled = [f for f in config.families if f not in DEGENERATE and f not in HARD]
    order = rng.permutation(len(scrambled)).tolist() if scrambled else []
    chosen = []
    for index in range(config.n_critics):
        skipped = {
            scrambled[order[(index * config.held_out + j) % len(order)]]
            for j in range(min(config.held_out, len(order) - 1))
        }
        chosen.append(tuple(f for f in config.families if f not in skipped))
    return chosen


def _fake_pool(
    scores: Sequence[Score],
    config: CriticConfig,
    spec: WindowSpec,
    rng: np.random.Generator,
    progress: bool,
) -> dict[str, npt.NDArray[np.uint8]]:
    """Packed fake windows per family: ``fake_rounds`` fakes of every train piece, up to
    ``fake_windows_per_piece`` random windows of each that differ from the piece's own
    window at that place (a damaged piece's undamaged stretch is no negative)."""
    empty = np.zeros((0, *spec.shape), dtype=np.uint8)
    pool: dict[str, list[Windows]] = {f: [empty] for f in config.families}
    jobs = [(f, s) for _ in range(config.fake_rounds) for f in config.families for s in scores]
    for family, score in tqdm(jobs, desc="fakes", unit="piece", disable=not progress):
        windows = score_windows(make_fake(family, score, rng, donors=scores), spec)
        windows = windows[_changed(windows, score_windows(score, spec))]
        keep = rng.permutation(len(windows))[: config.fake_windows_per_piece]
        pool[family].append(windows[np.sort(keep)])
    return {f: _packed(np.concatenate(w)) for f, w in pool.items()}


def _changed(fake: Windows, real: Windows) -> npt.NDArray[np.bool_]:
    """Which windows of a fake differ from the real piece's window at the same place."""
    same = np.zeros(len(fake), dtype=bool)
    common = min(len(fake), len(real))
    same[:common] = (fake[:common] == real[:common]).reshape(common, -1).all(axis=1)
    return ~same


def _validation_windows(
    scores: Sequence[Score], config: CriticConfig, seed: int
) -> tuple[WindowSet, dict[str, WindowSet]]:
    """Windows of the validation pieces, and of one fake of each per family."""
    spec = config.window
    rng = np.random.default_rng([seed, 1])
    real = WindowSet.of(scores, spec)
    fakes = {}
    for family in config.families:
        made = WindowSet.of([make_fake(family, s, rng, donors=scores) for s in scores], spec)
        changed = np.concatenate(
            [
                _changed(made.windows[made.piece == i], real.windows[real.piece == i])
                for i in range(len(scores))
            ]
            or [np.zeros(0, dtype=bool)]
        )
        fakes[family] = WindowSet(made.windows[changed], made.piece[changed])
    return real, fakes


def _augmented_windows(
    scores: Sequence[Score],
    config: CriticConfig,
    spec: WindowSpec,
    rng: np.random.Generator,
    progress: bool,
) -> Windows:
    """Windows of augmented real pieces: ``augment_rounds`` per piece, each by one of
    ``real_augmentations`` drawn at random, up to ``fake_windows_per_piece`` windows."""
    names = config.real_augmentations
    parts = [np.zeros((0, *spec.shape), dtype=np.uint8)]
    jobs = [s for _ in range(config.augment_rounds if names else 0) for s in scores]
    for score in tqdm(jobs, desc="augmented real", unit="piece", disable=not progress):
        name = names[int(rng.integers(len(names)))]
        windows = score_windows(augmented_real(name, score, rng), spec)
        keep = rng.permutation(len(windows))[: config.fake_windows_per_piece]
        parts.append(windows[np.sort(keep)])
    return np.concatenate(parts)


def _batch(
    packed: npt.NDArray[np.uint8], pitches: int, max_transpose: int, rng: np.random.Generator
) -> torch.Tensor:
    """Unpack windows and shift each by a random number of semitones (silence fills in)."""
    windows = np.unpackbits(packed, axis=-1, count=pitches)
    if max_transpose:
        margin = max_transpose
        padded = np.pad(windows, ((0, 0), (0, 0), (0, 0), (margin, margin)))
        shifts = rng.integers(-max_transpose, max_transpose + 1, size=len(windows))
        windows = np.stack(
            [padded[i, :, :, margin - s : margin - s + pitches] for i, s in enumerate(shifts)]
        )
    return torch.from_numpy(windows.astype(np.float32))


def _fit(
    critic: Critic,
    real: npt.NDArray[np.uint8],
    fakes: dict[str, npt.NDArray[np.uint8]],
    config: CriticConfig,
    rng: np.random.Generator,
    progress: bool,
    steps_per_epoch: int | None = None,
) -> list[float]:
    """Train on balanced batches (half real, half fakes split over the families by
    ``family_weights``) for
    ``steps_per_epoch`` steps an epoch (by default one pass over ``real``); returns the
    mean loss of each epoch."""
    pitches = critic.config.window.pitches
    half = config.batch_size // 2
    steps_per_epoch = steps_per_epoch or max(len(real) // half, 1)
    total = steps_per_epoch * config.epochs
    optimizer = torch.optim.AdamW(
        critic.parameters(), lr=config.lr, weight_decay=config.weight_decay
    )
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, config.lr, total_steps=total)
    families = list(fakes)
    chances = _family_chances(config, families)
    labels = torch.cat([torch.ones(half), torch.zeros(half)])
    losses = []
    critic.train()
    bar = tqdm(range(config.epochs), desc="critic", unit="epoch", disable=not progress)
    for _ in bar:
        order = rng.permutation(len(real))
        epoch_loss = 0.0
        for step in range(steps_per_epoch):
            picked = order[step * half : (step + 1) * half]
            if len(picked) < half:
                picked = rng.integers(0, len(real), size=half)
            which = rng.choice(len(families), size=half, p=chances)
            fake_rows = [fakes[families[f]][rng.integers(len(fakes[families[f]]))] for f in which]
            packed = np.concatenate([real[picked], np.stack(fake_rows)])
            # Channels-last makes the 2-channel stem about a third faster to train.
            x = _batch(packed, pitches, config.max_transpose, rng)
            x = x.contiguous(memory_format=torch.channels_last)
            logits, _ = critic(x)
            loss = F.binary_cross_entropy_with_logits(logits, labels)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            epoch_loss += float(loss.detach())
        losses.append(epoch_loss / steps_per_epoch)
        bar.set_postfix(loss=f"{losses[-1]:.4f}")
    critic.eval()
    return losses


def _family_chances(config: CriticConfig, families: list[str]) -> FloatArray:
    """The chance of each of ``families`` (a critic's, maybe fewer than the config's) to
    give a fake of a batch."""
    weights = dict(config.family_weights)
    chances = np.array([weights.get(f, 1.0) for f in families])
    return chances / chances.sum()


def round_to_half(module: nn.Module) -> None:
    """Round the weights through fp16 in place, so that a model saved in fp16 predicts
    exactly what it did before saving (and calibration sees the saved weights)."""
    with torch.no_grad():
        for tensor in module.state_dict().values():
            tensor.copy_(tensor.half().float())


@torch.no_grad()
def _logits(critic: Critic, windows: Windows, batch_size: int = 512) -> FloatArray:
    chunks = [
        critic(torch.from_numpy(windows[i : i + batch_size].astype(np.float32)))[0]
        for i in range(0, len(windows), batch_size)
    ]
    return torch.cat(chunks).double().numpy() if chunks else np.zeros(0)


def _calibrate(
    critic: Critic, real: WindowSet, fakes: dict[str, WindowSet]
) -> tuple[float, dict[str, float]]:
    """Fit the critic's temperature on validation windows, reals and fakes weighing the
    same in all and the families the same among the fakes. Without validation
    windows the temperature stays 1."""
    if not len(real.windows) or not fakes:
        return 1.0, {"before": math.nan, "after": math.nan}
    parts = [(_logits(critic, real.windows), 1.0, 1.0)]
    parts += [(_logits(critic, f.windows), 0.0, 1.0 / len(fakes)) for f in fakes.values()]
    z = np.concatenate([p[0] for p in parts])
    y = np.concatenate([np.full(len(p[0]), p[1]) for p in parts])
    w = np.concatenate([np.full(len(p[0]), p[2] / len(p[0])) for p in parts])
    temperature = fit_temperature(z, y, w)
    before, after = _nll(z, y, w, np.array([1.0, temperature]))
    return temperature, {"before": float(before), "after": float(after)}


def _family_aurocs(
    critic: Critic, real: WindowSet, fakes: dict[str, WindowSet]
) -> dict[str, float]:
    real_logits = _logits(critic, real.windows)
    return {f: auroc(real_logits, _logits(critic, w.windows)) for f, w in fakes.items()}
