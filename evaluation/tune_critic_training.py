"""Training the whole-tune critic (building a profile): fake tunes, fitting and
temperature calibration. Scoring loads a trained critic through
:mod:`evaluation.tune_critic` and never imports this module.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import torch
import torch.nn.functional as F
from tqdm import tqdm

from evaluation.critic_training import auroc, fit_temperature, round_to_half
from evaluation.fakes import make_fake
from evaluation.tune_critic import (
    TuneCritic,
    TuneCriticConfig,
    TuneFeatures,
    TuneNet,
    _collate,
    tune_features,
)
from music.score import Score


def _fakes(
    scores: Sequence[Score],
    families: Sequence[str],
    rounds: int,
    rng: np.random.Generator,
    progress: bool,
    desc: str,
) -> dict[str, list[TuneFeatures]]:
    jobs = [(f, s) for _ in range(rounds) for f in families for s in scores]
    pool: dict[str, list[TuneFeatures]] = {f: [] for f in families}
    for family, score in tqdm(jobs, desc=desc, unit="piece", disable=not progress):
        pool[family].append(tune_features(make_fake(family, score, rng)))
    return pool


def train_tune_critic(
    train_scores: Sequence[Score],
    val_scores: Sequence[Score],
    *,
    config: TuneCriticConfig | None = None,
    seed: int = 0,
    progress: bool = True,
) -> tuple[TuneCritic, dict[str, Any]]:
    """Train on balanced batches (half real tunes, half fakes spread evenly over the
    families), round to fp16 and calibrate on the validation pieces and their fakes.

    Fakes come from their own random stream (``[seed, 17]`` for training, ``[seed, 18]``
    for validation), apart from the streams the validity report draws.
    """
    config = config or TuneCriticConfig()
    started = time.perf_counter()
    rng = np.random.default_rng([seed, 17])
    if len(train_scores) > config.max_train_pieces:
        keep = rng.choice(len(train_scores), size=config.max_train_pieces, replace=False)
        train_scores = [train_scores[i] for i in sorted(keep)]
    real = [tune_features(s) for s in train_scores]
    pool = _fakes(train_scores, config.families, config.fake_rounds, rng, progress, "tune fakes")
    val_rng = np.random.default_rng([seed, 18])
    val_real = [tune_features(s) for s in val_scores]
    val_fakes = _fakes(val_scores, config.families, 1, val_rng, progress, "tune val fakes")
    torch.manual_seed(seed * 1009 + 17)
    net = TuneNet(config)
    losses = _fit(net, real, pool, config, rng, progress)
    round_to_half(net)
    critic = TuneCritic(net, 1.0)
    z_real = critic.logits(val_real)
    z_fakes = {f: critic.logits(v) for f, v in val_fakes.items()}
    critic.temperature = _calibrate(z_real, z_fakes)
    seconds = round(time.perf_counter() - started, 1)
    critic.meta = {"config": config.to_dict(), "seed": seed, "train_seconds": seconds}
    log = {
        "seconds": seconds,
        "train_pieces": len(real),
        "validation_pieces": len(val_real),
        "losses": losses,
        "temperature": critic.temperature,
        "val_auroc": {f: round(auroc(z_real, z), 4) for f, z in z_fakes.items()},
    }
    return critic, log


def _fit(
    net: TuneNet,
    real: list[TuneFeatures],
    fakes: dict[str, list[TuneFeatures]],
    config: TuneCriticConfig,
    rng: np.random.Generator,
    progress: bool,
) -> list[float]:
    half = config.batch_size // 2
    steps_per_epoch = max(len(real) // half, 1)
    total = steps_per_epoch * config.epochs
    optimizer = torch.optim.AdamW(net.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, config.lr, total_steps=total)
    families = [f for f in fakes if fakes[f]]
    labels = torch.cat([torch.ones(half), torch.zeros(half)])
    # Fakes are drawn by family in proportion to the family's running loss (with a floor
    # of a quarter of an even share): the easy families (clusters, random notes) are
    # learnt in a few steps, the batches then go to the hard ones (reversal, shuffles).
    family_loss = np.ones(len(families))
    losses = []
    net.train()
    bar = tqdm(range(config.epochs), desc="tune critic", unit="epoch", disable=not progress)
    for _ in bar:
        order = rng.permutation(len(real))
        epoch_loss = 0.0
        for step in range(steps_per_epoch):
            picked = order[step * half : (step + 1) * half]
            if len(picked) < half:
                picked = rng.integers(0, len(real), size=half)
            share = family_loss / family_loss.sum()
            share = np.maximum(share, 0.25 / len(families))
            which = rng.choice(len(families), size=half, p=share / share.sum())
            fake_rows = [fakes[families[f]][rng.integers(len(fakes[families[f]]))] for f in which]
            logits = net(*_collate([real[i] for i in picked] + fake_rows))
            each = F.binary_cross_entropy_with_logits(logits, labels, reduction="none")
            loss = each.mean()
            fake_losses = each[half:].detach().double().numpy()
            sums = np.bincount(which, weights=fake_losses, minlength=len(families))
            seen = np.bincount(which, minlength=len(families))
            mean = np.where(seen > 0, sums / np.maximum(seen, 1), family_loss)
            family_loss = 0.9 * family_loss + 0.1 * mean
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            epoch_loss += float(loss.detach())
        losses.append(round(epoch_loss / steps_per_epoch, 4))
        bar.set_postfix(loss=f"{losses[-1]:.4f}")
    net.eval()
    return losses


def _calibrate(z_real: npt.NDArray, z_fakes: dict[str, npt.NDArray]) -> float:
    """The temperature fitted with reals and fakes weighing the same, and the families
    the same among the fakes (1 without validation pieces)."""
    parts = [(z, 0.0, 1.0 / len(z_fakes)) for z in z_fakes.values() if len(z)]
    if not len(z_real) or not parts:
        return 1.0
    parts.insert(0, (z_real, 1.0, 1.0))
    z = np.concatenate([p[0] for p in parts])
    y = np.concatenate([np.full(len(p[0]), p[1]) for p in parts])
    w = np.concatenate([np.full(len(p[0]), p[2] / len(p[0])) for p in parts])
    temperature = fit_temperature(z, y, w)
    return temperature if math.isfinite(temperature) else 1.0
