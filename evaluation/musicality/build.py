"""Train the general musicality critic: ``python -m evaluation build-musicality``.

The critic is the profiles' realism ensemble (:mod:`evaluation.critic`), trained on the
broad corpus slice of :mod:`evaluation.musicality.data` against the generic fake
families and rule harmonisations (:data:`evaluation.fakes.TRAINING`). It is written with
a JSON meta (the commit it was trained from, the data, the validation figures) beside
it; the model card (``MODEL_CARD.md``) is written by hand from those figures.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from evaluation.critic import CriticConfig
from evaluation.critic_training import train_ensemble
from evaluation.fakes import TRAINING, make_fake
from evaluation.musicality import CRITIC_FILE, META_FILE, MODEL_DIR, Musicality
from evaluation.musicality.data import (
    GROUPS,
    MusicalityPiece,
    describe_split,
    musicality_split,
    red_team_sources,
)
from evaluation.revision import source_revision


def musicality_config(quick: bool = False) -> CriticConfig:
    """Three critics of the profiles' size, 10 epochs on ~18k real windows and two fakes
    of each piece per family. A first run of 6 epochs and one fake each still had its
    loss falling (0.21) and told reversed pieces from real ones worst (window AUROC
    0.84 on validation), so this one trains longer on more fakes."""
    config = CriticConfig(families=TRAINING, n_critics=3, epochs=10, fake_rounds=2)
    return replace(config, **CriticConfig.quick_overrides()) if quick else config


def build_musicality(
    *, seed: int = 0, quick: bool = False, output: Path = MODEL_DIR, log: Any = print
) -> dict[str, Any]:
    """Train, calibrate and save the critic and its meta in ``output``; returns the meta."""
    # Another trainer may share the machine's cores; one thread keeps runs comparable.
    torch.set_num_threads(1)
    started = time.monotonic()
    revision = source_revision()  # before anything is written or edited
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
                "their split (music/splits/, test never used; a multi-tune ABC file of the "
                "folk corpus is split by tune there); other files sha1(path "
                "without suffix) mod 100 < 75 train, else validation; long pieces cut "
                "into 32-bar segments, at most 160 train / 40 validation per group"
            ),
            "train": describe_split(train),
            "validation": describe_split(validation),
            "train_files": sorted({p.source for p in train}),
            "validation_files": sorted({p.source for p in validation}),
            "train_pieces": sorted({p.piece_id for p in train}),
            "validation_pieces": sorted({p.piece_id for p in validation}),
            "excluded_red_team_files": sorted(red_team_sources()),
        },
        "training": {k: v for k, v in training.items() if k != "critics"},
        "critics": [
            {k: c[k] for k in ("seconds", "temperature", "val_auroc")} for c in training["critics"]
        ],
        "validation_figures": piece_figures(model, validation, seed),
        "cap_table": cap_table(model, validation, seed),
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
    for family in TRAINING:
        figures[f"fake: {family}"] = _quantiles(
            model.judge([make_fake(family, s, rng) for s in scores])
        )
    return figures


CAP_PROFILE = "bach-chorales"
CAPS = (40.0, 45.0, 50.0, 55.0, 60.0)
OTHER_GROUPS = ("folk", "renaissance", "classical", "early")


def cap_table(
    model: Musicality, pieces: list[MusicalityPiece], seed: int, profile_name: str = CAP_PROFILE
) -> dict[str, Any]:
    """How the final score would fall under ``profile_name`` for each cap in
    :data:`CAPS`, on validation data only: the validation segments of the other styles
    (the median of the final score), the profile's validation pieces (the median) and
    the generic fakes made from them (each family's 95th percentile and median)."""
    from evaluation.build import load_split
    from evaluation.evaluate import evaluate_many
    from evaluation.profile import load_profile

    profile = replace(load_profile(profile_name), musicality=model)
    rng = np.random.default_rng([seed, 3])
    real = [p.score for p in load_split(profile.corpus, "validation")]
    other = [p.score for p in pieces if p.group in OTHER_GROUPS]
    sets = {"other styles": other, f"{profile_name} validation": real}
    sets |= {f"fake: {family}": [make_fake(family, s, rng) for s in real] for family in TRAINING}
    table: dict[str, Any] = {}
    for label, scores in sets.items():
        reports = evaluate_many(scores, profile)
        style = np.array([r.details["style_score"] for r in reports])
        general = np.array([r.components["musicality"] for r in reports])
        finals = {cap: np.maximum(style, cap * general) for cap in CAPS}
        table[label] = {
            f"cap {cap:g}": {
                "median": round(float(np.median(f)), 1),
                "p95": round(float(np.quantile(f, 0.95)), 1),
            }
            for cap, f in finals.items()
        }
    return table


def _quantiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    q05, q50, q95 = np.quantile(values, [0.05, 0.5, 0.95])
    return {
        "p05": round(float(q05), 4),
        "median": round(float(q50), 4),
        "p95": round(float(q95), 4),
    }
