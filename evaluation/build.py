"""Build a shipped profile from the committed corpus split: ``build-profile NAME``.

Besides the profile itself this trains the baseline "AI judge" on the same split and
stores it beside the profile (``baseline_judge.pt``), so the validity report can
compare the two on the same test pieces.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from evaluation.baseline_judge import BaselineJudge, train_baseline_judge
from evaluation.critic import CriticConfig, CriticEnsemble
from evaluation.critic_training import train_ensemble
from evaluation.descriptors import DESCRIPTOR_NAMES, describe_many
from evaluation.fingerprint import fingerprint
from evaluation.frechet import EmbeddingReference, piece_distance
from evaluation.given import SAMPLE_PREFIX
from evaluation.musicality import load_musicality
from evaluation.novelty import NoveltyIndex
from evaluation.novelty_calibration import calibrate as calibrate_novelty
from evaluation.novelty_calibration import calibrate_coverage
from evaluation.profile import PROFILE_SPECS, Profile, ProfileError, ProfileSpec
from evaluation.revision import source_revision
from evaluation.tune_critic import TuneCriticConfig
from evaluation.tune_critic_training import train_tune_critic
from evaluation.typicality import DescriptorReference
from evaluation.windows import WindowSpec, score_windows
from music import transforms
from music.canonical import canonical_form
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
OOD_PERCENTILE = 99.0  # of validation real windows' Mahalanobis distances
DISTANCE_PERCENTILE = 90.0  # validation real pieces at this distance get one half
# Excerpt lengths (bars) with a descriptor reference of their own: DeepComposer-length
# entries (8 bars) and shorter. A longer piece is compared with whole pieces.
EXCERPT_BARS = (4, 8)


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
    recalibrate_coverage: bool = False,
) -> Profile:
    """Build profile ``name`` (the whole corpus, or a small slice with ``quick``).

    ``keep_critic`` rebuilds everything but the trained networks: the critic ensemble
    (with its calibration and embedding statistics) and the baseline judge are kept
    from the profile already in ``output``, which must have been trained on the same
    training pieces; descriptors and the novelty index are rebuilt. For changes that
    leave the networks' inputs alone (a folk critic takes 45 minutes on two cores).

    ``tune_critic`` says whether to train the whole-tune critic (default: the profile
    spec's choice); ``tune_critic_only`` (re)trains just that member on top of the
    profile already in ``output`` and keeps everything else. ``recalibrate_coverage``
    rebuilds the coverage part of the saved novelty index (every indexed piece's
    canonical form) and chooses the copy check's coverage thresholds again on the
    validation split (what a full build would choose; minutes, where rebuilding folk's
    whole index takes an hour).
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
    if recalibrate_coverage:
        return _recalibrate_coverage(
            name, output / name, spec.corpus, validation, everything, samples, seed
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


def _recalibrate_coverage(
    name: str,
    directory: Path,
    corpus: str,
    validation: list[CorpusPiece],
    everything: list[CorpusPiece],
    samples: list[tuple[str, Score]],
    seed: int,
) -> Profile:
    """The coverage part of the saved novelty index rebuilt from every indexed piece's
    canonical form, and its thresholds chosen again; the voice index is kept."""
    profile = Profile.load(directory)
    pieces = {f"{corpus}:{p.id}": p.score for p in everything}
    pieces.update({f"{SAMPLE_PREFIX}{slug}": score for slug, score in samples})
    print(f"{name}: canonical forms of {len(profile.novelty)} indexed pieces")
    profile.novelty.rebuild_coverage(pieces)
    held_out = [(f"{corpus}:{p.id}", p.score) for p in validation]
    print(f"{name}: coverage thresholds on {len(held_out)} validation pieces")
    measured = calibrate_coverage(profile.novelty, held_out, seed=seed)
    meta = dict(profile.meta)
    meta["novelty"] = {**meta.get("novelty", {}), "coverage": measured}
    profile = replace(profile, meta=meta)
    profile.save(directory)
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
    descriptors, excerpts = fit_descriptor_references([p.score for p in train])
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
    profile = replace(
        old, descriptors=descriptors, excerpt_descriptors=excerpts, novelty=novelty, meta=meta
    )
    profile.save(directory)
    print(f"{name}: saved to {directory} in {time.monotonic() - started:.0f} s")
    return profile


# ----- training and calibrating what a profile holds ---------------------------------


def cut_excerpts(score: Score, bars: int) -> list[Score]:
    """``score`` cut into consecutive excerpts of ``bars`` bars from the first bar (a
    shorter piece is its own only excerpt; a shorter remainder at the end is left out)."""
    if score.bar_count <= bars:
        return [score]
    starts = range(0, score.bar_count - bars + 1, bars)
    return [transforms.crop(score, start, start + bars) for start in starts]


def fit_descriptor_references(
    train: list[Score],
) -> tuple[DescriptorReference, dict[int, DescriptorReference]]:
    """The descriptor reference of the training pieces as whole pieces, and one for each
    of ``EXCERPT_BARS`` from their excerpts of that length (all on the canonical form)."""
    canonical = [canonical_form(score) for score in train]
    whole = DescriptorReference.fit(DESCRIPTOR_NAMES, describe_many(canonical))
    by_length = {
        bars: DescriptorReference.fit(
            DESCRIPTOR_NAMES, describe_many(e for s in canonical for e in cut_excerpts(s, bars))
        )
        for bars in EXCERPT_BARS
    }
    return whole, by_length


def _window_stack(scores: Iterable[Score], spec: WindowSpec) -> tuple[np.ndarray, np.ndarray]:
    """All windows of all pieces, and the piece index of each window."""
    stacks, owners = [], []
    for i, score in enumerate(scores):
        windows = score_windows(score, spec)
        stacks.append(windows)
        owners.append(np.full(len(windows), i))
    return np.concatenate(stacks), np.concatenate(owners)


def calibrate_embedding(
    critic: CriticEnsemble, spec: WindowSpec, train: list[Score], validation: list[Score]
) -> EmbeddingReference:
    """Fit embedding statistics on train windows; set the gate and scale on validation."""
    train_windows, _ = _window_stack(train, spec)
    reference = EmbeddingReference.fit(critic.predict(train_windows).embeddings)
    val_windows, owners = _window_stack(validation, spec)
    val_embeddings = critic.predict(val_windows).embeddings
    ood = float(np.percentile(reference.mahalanobis(val_embeddings), OOD_PERCENTILE))
    distances = [
        piece_distance(val_embeddings[owners == i], reference) for i in range(len(validation))
    ]
    scale = float(np.percentile(distances, DISTANCE_PERCENTILE))
    return EmbeddingReference(reference.mean, reference.covariance, ood, scale)


def build_novelty_index(
    corpus_name: str,
    pieces: Iterable[tuple[str, Score]],
    samples: Iterable[tuple[str, Score]],
    validation: Iterable[tuple[str, Score]] = (),
    seed: int = 0,
) -> tuple[NoveltyIndex, dict[str, Any]]:
    """The index of every piece and sample, its alignment threshold chosen on the
    ``validation`` pieces (ids of the corpus); returns it and what was measured."""
    index = NoveltyIndex()
    for piece_id, score in pieces:
        index.add(f"{corpus_name}:{piece_id}", fingerprint(score))
    for slug, score in samples:
        index.add(f"{SAMPLE_PREFIX}{slug}", fingerprint(score))
    held_out = [(f"{corpus_name}:{piece_id}", score) for piece_id, score in validation]
    return index, calibrate_novelty(index, held_out, seed=seed)


def build_profile(
    spec: ProfileSpec,
    *,
    train: list[Score],
    validation: list[Score],
    critic_train: list[Score] | None = None,
    critic_validation: list[Score] | None = None,
    all_pieces: list[tuple[str, Score]],
    samples: list[tuple[str, Score]],
    critic_config: CriticConfig | None = None,
    tune_critic_config: TuneCriticConfig | None = None,
    seed: int = 0,
    progress: bool = True,
    log: Callable[[str], None] = print,
    validation_ids: list[str] | None = None,
) -> Profile:
    """Train and calibrate everything a profile holds from the given splits.

    Descriptor distributions use every training piece; the critics (and the embedding
    statistics) use ``critic_train`` / ``critic_validation`` when given, a sample that
    keeps training within a CPU budget. The whole-tune critic is trained where
    ``tune_critic_config`` is given, on (a sample of) every training piece.
    """
    started = time.monotonic()
    critic_train = critic_train if critic_train is not None else train
    critic_validation = critic_validation if critic_validation is not None else validation
    log(f"{spec.name}: descriptors of {len(train)} training pieces")
    descriptors, excerpts = fit_descriptor_references(train)
    log(f"{spec.name}: training the critic ensemble")
    critic, training_log = train_ensemble(
        critic_train,
        critic_validation,
        config=critic_config or CriticConfig(),
        seed=seed,
        progress=progress,
    )
    window_spec = critic.window
    log(f"{spec.name}: calibrating embeddings on {len(critic_validation)} validation pieces")
    embedding = calibrate_embedding(critic, window_spec, critic_train, critic_validation)
    log(f"{spec.name}: novelty index of {len(all_pieces)} pieces and {len(samples)} samples")
    by_id = dict(all_pieces)
    held_out = [(i, by_id[i]) for i in validation_ids or [] if i in by_id]
    novelty, novelty_log = build_novelty_index(spec.corpus, all_pieces, samples, held_out, seed)
    tune_critic, tune_log = None, None
    if tune_critic_config is not None:
        log(f"{spec.name}: training the whole-tune critic")
        tune_critic, tune_log = train_tune_critic(
            train, critic_validation, config=tune_critic_config, seed=seed, progress=progress
        )
    meta = {
        "built_with_revision": source_revision(),
        "seed": seed,
        "pieces": {
            "train": len(train),
            "validation": len(validation),
            "critic_train": len(critic_train),
            "critic_validation": len(critic_validation),
            "all": len(all_pieces),
        },
        "descriptors_used": len(descriptors.names),
        "build_seconds": round(time.monotonic() - started, 1),
        "critic": training_log,
        "novelty": novelty_log,
    }
    if tune_log is not None:
        meta["tune_critic"] = tune_log
    return Profile(
        name=spec.name,
        description=spec.description,
        corpus=spec.corpus,
        window_spec=window_spec,
        descriptors=descriptors,
        embedding=embedding,
        critic=critic,
        novelty=novelty,
        meta=meta,
        tune_critic=tune_critic,
        excerpt_descriptors=excerpts,
        musicality=load_musicality(),
    )
