"""Train the general musicality critic: ``python -m evaluation build-musicality``.

The critic is the profiles' realism ensemble (:mod:`evaluation.critic`), trained on the
broad corpus slice of :mod:`evaluation.musicality.data` against the generic fake
families (:data:`evaluation.fakes.BUILTIN`). It is written with a JSON meta (the commit
it was trained from, the data, the validation figures) beside it; the model card
(``MODEL_CARD.md``) is written by hand from those figures.
"""

from __future__ import annotations

import json
import subprocess
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from evaluation.critic import CriticConfig
from evaluation.critic_training import train_ensemble
from evaluation.fakes import BUILTIN, make_fake
from evaluation.musicality import CRITIC_FILE, META_FILE, MODEL_DIR, Musicality
from evaluation.musicality.data import (
    GROUPS,
    MusicalityPiece,
    describe_split,
    musicality_split,
    red_team_sources,
)


def musicality_config(quick: bool = False) -> CriticConfig:
    """Three critics of the profiles' size: the broad corpus is more varied than one
    style, but the fakes are as easy to tell; measured: 3 x 6 epochs on ~18k windows."""
    config = CriticConfig(families=BUILTIN, n_critics=3, epochs=6, fake_rounds=1)
    return replace(config, **CriticConfig.quick_overrides()) if quick else config


def build_musicality(
    *, seed: int = 0, quick: bool = False, output: Path = MODEL_DIR, log: Any = print
) -> dict[str, Any]:
    """Train, calibrate and save the critic and its meta in ``output``; returns the meta."""
    # Another trainer may share the machine's cores; one thread keeps runs comparable.
    torch.set_num_threads(1)
    started = time.monotonic()
    revision = _git_revision()  # before anything is written or edited
    per_group = 8 if quick else None
    train = musicality_split("train", seed=seed, per_group=per_group)
    validation = musicality_split("validation", seed=seed, per_group=per_group)
    log(f"musicality: {len(train)} train and {len(validation)} validation segments")
    ensemble, training = train_ensemble(
        [p.score for p in train],
        [p.score for p in validation],
        config=musicality_config(quick),
        seed=seed,
        progress=True,
    )
    output.mkdir(parents=True, exist_ok=True)
    ensemble.save(output / CRITIC_FILE)
    model = Musicality(ensemble, digest="")
    meta = {
        "trained_from_revision": revision,
        "seed": seed,
        "quick": quick,
        "build_seconds": round(time.monotonic() - started, 1),
        "data": {
            "split_rule": (
                "by file: the red team's other-music files are test; cached corpora keep "
                "their split (music/splits/, test never used); other files sha1(path "
                "without suffix) mod 100 < 75 train, else validation; long pieces cut "
                "into 32-bar segments, at most 160 train / 40 validation per group"
            ),
            "train": describe_split(train),
            "validation": describe_split(validation),
            "train_files": sorted({p.source for p in train}),
            "validation_files": sorted({p.source for p in validation}),
            "excluded_red_team_files": sorted(red_team_sources()),
        },
        "training": {k: v for k, v in training.items() if k != "critics"},
        "critics": [
            {k: c[k] for k in ("seconds", "temperature", "val_auroc")} for c in training["critics"]
        ],
        "validation_pieces": piece_figures(model, validation, seed),
    }
    (output / META_FILE).write_text(json.dumps(meta, indent=1) + "\n")
    log(f"musicality: saved to {output} in {meta['build_seconds']:.0f} s")
    return meta


def piece_figures(
    model: Musicality, pieces: list[MusicalityPiece], seed: int
) -> dict[str, dict[str, float]]:
    """Per group of real validation pieces and per fake family (made from those pieces):
    the median, 5th and 95th percentile of the piece-level musicality."""
    rng = np.random.default_rng([seed, 2])
    figures = {}
    for group in GROUPS:
        mine = [p.score for p in pieces if p.group == group]
        figures[f"real: {group}"] = _quantiles(model.judge(mine))
    scores = [p.score for p in pieces]
    for family in BUILTIN:
        figures[f"fake: {family}"] = _quantiles(
            model.judge([make_fake(family, s, rng) for s in scores])
        )
    return figures


def _quantiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    q05, q50, q95 = np.quantile(values, [0.05, 0.5, 0.95])
    return {
        "p05": round(float(q05), 4),
        "median": round(float(q50), 4),
        "p95": round(float(q95), 4),
    }


def _git_revision() -> str:
    """The commit the model was trained from, with ``-dirty`` if the tree had changes."""
    try:
        result = subprocess.run(
            ["git", "describe", "--always", "--dirty", "--abbrev=10"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
            cwd=Path(__file__).parent,
        )
    except OSError:
        return "unknown"
    return result.stdout.strip() or "unknown"
