"""Build a shipped profile from the committed corpus split: ``build-profile NAME``.

Besides the profile itself this trains the baseline "AI judge" on the same split and
stores it beside the profile (``baseline_judge.pt``), so the validity report can
compare the two on the same test pieces.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from evaluation.baseline_judge import BaselineJudge, train_baseline_judge
from evaluation.critic import CriticConfig
from evaluation.descriptors import DESCRIPTOR_NAMES, describe_many
from evaluation.profile import (
    PROFILE_SPECS,
    Profile,
    ProfileError,
    build_novelty_index,
    build_profile,
)
from evaluation.tune_critic import TuneCriticConfig, train_tune_critic
from evaluation.typicality import DescriptorReference
from music.catalogue import list_samples, load_sample
from music.corpus import CorpusPiece, load_corpus
from music.score import Score

QUICK_PIECES = 24
BASELINE_FILE = "baseline_judge.pt"
# The critics and the baseline train on at most this many pieces (a seeded sample): the
# folk corpus has 9,000 training tunes, which would take hours on two cores for little
# gain. Descriptor distributions and the novelty index use every piece.
MAX_CRITIC_TRAIN = 400
MAX_CRITIC_VALIDATION = 150


def load_split(corpus: str, split: str | None) -> list[CorpusPiece]:
    return load_corpus(corpus, split=split)


def profile_baseline_judge(directory: Path) -> BaselineJudge:
    path = directory / BASELINE_FILE
    if not path.exists():
        raise ProfileError(f"{path} is missing: rebuild the profile with build-profile.")
    return BaselineJudge.load(path)


def quick_critic_config() -> CriticConfig:
    """A tiny critic for pipeline checks: trains in seconds, judges poorly."""
    return replace(CriticConfig(), **CriticConfig.quick_overrides())


def quick_tune_critic_config() -> TuneCriticConfig:
    """A tiny whole-tune critic for pipeline checks."""
    return replace(TuneCriticConfig(), **TuneCriticConfig.quick_overrides())


def _sample(pieces: list[CorpusPiece], limit: int, seed: int) -> list[CorpusPiece]:
    if len(pieces) <= limit:
        return pieces
    chosen = np.random.default_rng(seed).choice(len(pieces), size=limit, replace=False)
    return [pieces[i] for i in sorted(chosen)]


def build_and_save(
    name: str,
    *,
    seed: int = 0,
    quick: bool = False,
    output: Path,
    max_critic_pieces: int = MAX_CRITIC_TRAIN,
    keep_critic: bool = False,
    tune_critic: bool | None = None,
    tune_critic_only: bool = False,
) -> Profile:
    """Build profile ``name`` (the whole corpus, or a small slice with ``quick``).

    ``keep_critic`` rebuilds everything but the trained networks: the critic ensemble
    (with its calibration and embedding statistics) and the baseline judge are kept
    from the profile already in ``output``, which must have been trained on the same
    training pieces; descriptors and the novelty index are rebuilt. For changes that
    leave the networks' inputs alone (a folk critic takes 45 minutes on two cores).

    ``tune_critic`` says whether to train the whole-tune critic (default: the profile
    spec's choice); ``tune_critic_only`` (re)trains just that member on top of the
    profile already in ``output`` and keeps everything else.
    """
    spec = PROFILE_SPECS[name]
    started = time.monotonic()
    train = load_split(spec.corpus, "train")
    validation = load_split(spec.corpus, "validation")
    everything = load_corpus(spec.corpus)
    if quick:
        train, validation = train[:QUICK_PIECES], validation[: QUICK_PIECES // 2]
        everything = train + validation
    samples = [(s.slug, load_sample(s.slug)) for s in list_samples()]
    critic_train = _sample(train, max_critic_pieces, seed)
    critic_validation = _sample(validation, min(MAX_CRITIC_VALIDATION, max_critic_pieces), seed + 1)
    with_tune = spec.tune_critic if tune_critic is None else tune_critic
    tune_config = None
    if with_tune or tune_critic_only:
        tune_config = quick_tune_critic_config() if quick else TuneCriticConfig()
    if tune_critic_only:
        return _retrain_tune_critic(
            name,
            output / name,
            [p.score for p in train],
            [p.score for p in critic_validation],
            tune_config or TuneCriticConfig(),
            seed,
            started,
        )
    if keep_critic:
        return _rebuild_keeping_critic(
            name, output / name, train, validation, everything, samples, seed, started
        )
    profile = build_profile(
        spec,
        train=[p.score for p in train],
        validation=[p.score for p in validation],
        critic_train=[p.score for p in critic_train],
        critic_validation=[p.score for p in critic_validation],
        all_pieces=[(p.id, p.score) for p in everything],
        samples=samples,
        critic_config=quick_critic_config() if quick else None,
        tune_critic_config=tune_config,
        seed=seed,
        validation_ids=[p.id for p in validation],
    )
    directory = output / name
    profile.save(directory)
    print(f"{name}: training the baseline AI judge")
    judge = train_baseline_judge(
        [p.score for p in critic_train],
        [p.score for p in critic_validation],
        seed=seed,
        quick=quick,
    )
    judge.save(directory / BASELINE_FILE)
    print(f"{name}: saved to {directory} in {time.monotonic() - started:.0f} s")
    return profile


def _retrain_tune_critic(
    name: str,
    directory: Path,
    train: list[Score],
    validation: list[Score],
    config: TuneCriticConfig,
    seed: int,
    started: float,
) -> Profile:
    """Train the whole-tune critic and add it to the saved profile, leaving the rest."""
    old = Profile.load(directory, novelty_index=False, tune_critic=False)
    print(f"{name}: training the whole-tune critic on {len(train)} training pieces")
    critic, log = train_tune_critic(train, validation, config=config, seed=seed)
    meta = {**old.meta, "tune_critic": log}
    profile = replace(old, tune_critic=critic, meta=meta)
    profile.save(directory, novelty_index=False)
    aurocs = ", ".join(f"{f} {a:.3f}" for f, a in log["val_auroc"].items())
    print(f"{name}: whole-tune critic validation AUROC: {aurocs}")
    print(f"{name}: saved to {directory} in {time.monotonic() - started:.0f} s")
    return profile


def _rebuild_keeping_critic(
    name: str,
    directory: Path,
    train: list[CorpusPiece],
    validation: list[CorpusPiece],
    everything: list[CorpusPiece],
    samples: list[tuple[str, Score]],
    seed: int,
    started: float,
) -> Profile:
    old = Profile.load(directory, novelty_index=False)
    trained_on = old.meta.get("pieces", {}).get("train")
    if trained_on != len(train):
        raise ProfileError(
            f"{directory} was trained on {trained_on} pieces, the split now has "
            f"{len(train)}: rebuild it without --keep-critic."
        )
    print(f"{name}: descriptors of {len(train)} training pieces (critic kept)")
    descriptors = DescriptorReference.fit(DESCRIPTOR_NAMES, describe_many([p.score for p in train]))
    print(f"{name}: novelty index of {len(everything)} pieces and {len(samples)} samples")
    novelty, novelty_log = build_novelty_index(
        old.corpus,
        [(p.id, p.score) for p in everything],
        samples,
        [(p.id, p.score) for p in validation],
        seed,
    )
    meta = dict(old.meta)
    meta["pieces"] = {**meta["pieces"], "validation": len(validation), "all": len(everything)}
    meta["descriptors_used"] = len(descriptors.names)
    meta["novelty"] = novelty_log
    meta["critic_kept_from_revision"] = meta.get("built_with_revision")
    profile = replace(old, descriptors=descriptors, novelty=novelty, meta=meta)
    profile.save(directory)
    print(f"{name}: saved to {directory} in {time.monotonic() - started:.0f} s")
    return profile
