"""Profiles built from a host's own reference set (issue 21).

The same code as the shipped profiles (:func:`evaluation.build.build_profile`: descriptor
references, critic ensemble, embedding calibration, novelty index, whole-tune critic where
the set is mostly single lines), on pieces a host brings, then judged on the set's own
held-out test split by the validity report and the red team before anyone may use it.

- **Screening**: a piece with drums only, a single note (or fewer than ``MIN_NOTES``
  notes) or the exact content of an earlier piece is left out and said; a set with fewer
  than ``MIN_PIECES`` usable pieces is refused with those counts, in words.
- **Splits by piece**: pieces whose melody opens alike (``music.corpus.splits.melody_key``)
  stay together; groups are dealt in the order of a hash of their smallest id, test split
  first, then validation, each ``HELD_OUT_SHARE`` of the set and at least
  ``MIN_HELD_OUT`` pieces; the rest train. A held-out piece that near-duplicates another
  piece (``music.corpus.neardup``) is left out of the build altogether, as the shipped
  manifests leave such twins out: kept anywhere, the novelty index would hold the twin
  of a held-out piece and the validity report would count a right flag as false.
- **The gate**: ``passes`` is the validity report's own targets (the rows the shipped
  profiles are held to), leaving out the partial-copy row, which the report lists beyond
  the targets and no shipped profile meets. The red team's rows are reported beside it:
  no shipped profile passes every one of them either.

A build writes into a hidden working folder beside its destination and renames it into
place only when everything, reports included, is written: a failed or cancelled build
leaves nothing that can be loaded. A built folder is never rebuilt in place (versions
are immutable: a rebuild is a new name).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from evaluation.build import (
    BASELINE_FILE,
    MAX_CRITIC_TRAIN,
    MAX_CRITIC_VALIDATION,
    build_profile,
    quick_critic_config,
    quick_tune_critic_config,
)
from evaluation.profile import Profile, ProfileError, ProfileSpec
from evaluation.tune_critic import TuneCriticConfig
from music.catalogue import list_samples, load_sample
from music.corpus.convert import CorpusPiece, content_hash
from music.corpus.neardup import held_out_duplicates
from music.corpus.splits import SPLITS, melody_key
from music.score import Score

MIN_PIECES = 30
MIN_HELD_OUT = 5  # pieces in each of the validation and test splits, at least
HELD_OUT_SHARE = 0.15
MIN_NOTES = 8
RESULT_FILE = "HOST_BUILD.json"
PARTIAL_COPY_ROW = "every partial copy kind"

# Share of a build's time each stage takes, measured on chorale sets on two busy cores
# (README, "Host-built judges": the critics took 63 % of 44 pieces' build and 80 % of 200
# pieces'): what the progress bar and the estimate stand on. The whole-tune critic's
# share is a guess (those sets have none).
STAGES: tuple[tuple[str, float], ...] = (
    ("checking the pieces", 0.01),
    ("descriptors", 0.01),
    ("critic ensemble", 0.72),
    ("embeddings", 0.005),
    ("novelty index", 0.01),
    ("whole-tune critic", 0.03),
    ("baseline judge", 0.08),
    ("validity report", 0.04),
    ("red team", 0.095),
)
# build_profile's own log lines, by how each begins with the profile's name cut off.
_LOG_STAGES = {
    "descriptors": "descriptors",
    "training the critic ensemble": "critic ensemble",
    "calibrating embeddings": "embeddings",
    "novelty index": "novelty index",
    "training the whole-tune critic": "whole-tune critic",
}

Progress = Callable[[str, float], None]  # (stage, share of the build done): may raise


class BuildRefused(ValueError):
    """The set cannot make a judge; the message says why in plain words."""


@dataclass(frozen=True)
class Screened:
    pieces: list[tuple[str, Score]]
    left_out: dict[str, str]  # piece id -> why, in words


@dataclass
class HostBuildResult:
    name: str
    passes: bool
    figures: dict[str, Any] = field(default_factory=dict)


def stage_start(stage: str) -> float:
    """The share of the build done when ``stage`` begins."""
    done = 0.0
    for name, share in STAGES:
        if name == stage:
            return done
        done += share
    raise KeyError(stage)


def screen(pieces: Sequence[tuple[str, Score]]) -> Screened:
    """The pieces a judge can learn from, and why each other one was left out."""
    kept: list[tuple[str, Score]] = []
    left_out: dict[str, str] = {}
    seen: dict[str, str] = {}
    for piece_id, score in pieces:
        notes = [n for t in score.pitched_tracks() for n in t.notes]
        digest = content_hash(score)
        if not notes:
            left_out[piece_id] = "drums only: the judge reads pitched music"
        elif len({n.pitch for n in notes}) < 2:
            left_out[piece_id] = "one note, repeated: there is no melody to learn from"
        elif len(notes) < MIN_NOTES:
            left_out[piece_id] = f"only {len(notes)} notes (a piece needs {MIN_NOTES} or more)"
        elif digest in seen:
            left_out[piece_id] = f"the same music as {seen[digest]}"
        else:
            seen[digest] = piece_id
            kept.append((piece_id, score))
    return Screened(kept, left_out)


def refusal(screened: Screened, total: int) -> str | None:
    """Why the set cannot make a judge, in words; None when it can."""
    if len(screened.pieces) >= MIN_PIECES:
        return None
    reasons: dict[str, int] = {}
    for why in screened.left_out.values():
        kind = why.split(":")[0].split(" (")[0]
        kind = "copies of another piece" if kind.startswith("the same music") else kind
        kind = "too few notes" if kind.startswith("only") else kind
        reasons[kind] = reasons.get(kind, 0) + 1
    detail = "; ".join(f"{count} left out: {kind}" for kind, count in sorted(reasons.items()))
    text = (
        f"Too few pieces: {len(screened.pieces)} of the {total} can be used, and a judge "
        f"needs at least {MIN_PIECES} different pieces (it holds some back to test itself)."
    )
    return f"{text} {detail}." if detail else text


def split_by_piece(
    pieces: Sequence[tuple[str, Score]],
) -> tuple[dict[str, str], dict[str, str]]:
    """``{piece id: split}`` and ``{near-duplicate left out: its twin}``; see the
    module's docstring."""
    groups: dict[tuple[int, ...], list[str]] = {}
    for piece_id, score in pieces:
        groups.setdefault(melody_key(score), []).append(piece_id)
    ordered = sorted(groups.values(), key=lambda ids: _hash(min(ids)))
    held_out = max(MIN_HELD_OUT, round(HELD_OUT_SHARE * len(pieces)))
    splits: dict[str, str] = {}
    filled = {"test": 0, "validation": 0}
    for ids in ordered:
        split = next((s for s in ("test", "validation") if filled[s] < held_out), "train")
        if split != "train":
            filled[split] += len(ids)
        splits.update(dict.fromkeys(ids, split))
    corpus = [CorpusPiece(piece_id, piece_id, piece_id, score) for piece_id, score in pieces]
    twins = held_out_duplicates(corpus, splits, SPLITS)
    for twin in twins:
        del splits[twin]
    for split in ("validation", "test"):
        if sum(1 for s in splits.values() if s == split) < 2:
            raise BuildRefused(
                "Too many near-duplicates: after keeping pieces that repeat each other "
                f"together, fewer than 2 pieces are left to hold back for the {split} split."
            )
    return splits, twins


def _hash(text: str) -> str:
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


def _seeded_sample(scores: list[Score], limit: int, seed: int) -> list[Score]:
    """At most ``limit`` of ``scores``, a seeded sample in their order (as the shipped
    builds sample their critics' training pieces)."""
    if len(scores) <= limit:
        return scores
    chosen = np.random.default_rng(seed).choice(len(scores), size=limit, replace=False)
    return [scores[i] for i in sorted(chosen)]


def mostly_single_lines(pieces: Sequence[tuple[str, Score]]) -> bool:
    """Whether most pieces are one voice (the whole-tune critic helps there: see
    ``evaluation.profile.PROFILE_SPECS``, folk)."""
    single = sum(1 for _, s in pieces if len([t for t in s.pitched_tracks() if t.notes]) <= 1)
    return single * 2 > len(pieces)


def build_host_profile(
    name: str,
    description: str,
    pieces: Sequence[tuple[str, Score]],
    output: Path,
    *,
    seed: int = 0,
    quick: bool = False,
    other_music: bool = True,
    progress: Progress = lambda stage, done: None,
    log: Callable[[str], None] = print,
) -> HostBuildResult:
    """Build, validate and red-team profile ``name`` from ``pieces`` into ``output/name``.

    ``quick`` trains tiny networks (tests); ``other_music`` reads other composers' music
    from music21's corpus for the red team. ``progress`` is told each stage as it
    begins and may raise to stop the build (cancellation): nothing is left behind.
    """
    started = time.monotonic()
    final = output / name
    if final.exists():
        raise ProfileError(f"A profile named {name!r} is already built; build a new version.")
    progress("checking the pieces", 0.0)
    screened = screen(pieces)
    reason = refusal(screened, len(pieces))
    if reason:
        raise BuildRefused(reason)
    for piece_id, why in screened.left_out.items():
        log(f"left out {piece_id}: {why}")
    splits, twins = split_by_piece(screened.pieces)
    for piece_id, twin in twins.items():
        screened.left_out[piece_id] = f"a near-duplicate of {twin} (held back, so left out)"
    screened = Screened([(i, s) for i, s in screened.pieces if i in splits], screened.left_out)
    by_split = {s: [(i, sc) for i, sc in screened.pieces if splits[i] == s] for s in SPLITS}
    counts = {s: len(p) for s, p in by_split.items()}
    log(f"{name}: {counts['train']} training, {counts['validation']} validation and "
        f"{counts['test']} test pieces")  # fmt: skip
    work = output / f".{name}.building"
    shutil.rmtree(work, ignore_errors=True)
    try:
        figures = _build_into(
            work, name, description, screened, by_split, seed, quick, other_music, progress, log
        )
        figures["pieces"] = {"given": len(pieces), "used": len(screened.pieces), **counts}
        figures["left_out"] = screened.left_out
        figures["seconds"] = round(time.monotonic() - started, 1)
        (work / RESULT_FILE).write_text(json.dumps(figures, indent=1) + "\n")
        os.replace(work, final)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return HostBuildResult(name, bool(figures["passes"]), figures)


def _build_into(
    work: Path,
    name: str,
    description: str,
    screened: Screened,
    by_split: dict[str, list[tuple[str, Score]]],
    seed: int,
    quick: bool,
    other_music: bool,
    progress: Progress,
    log: Callable[[str], None],
) -> dict[str, Any]:
    from evaluation.baseline_judge import train_baseline_judge
    from evaluation.redteam.other_music import read_other_music
    from evaluation.redteam.run import run_redteam
    from evaluation.validity import run_validity

    train = [s for _, s in by_split["train"]]
    validation = [s for _, s in by_split["validation"]]
    critic_train = _seeded_sample(train, MAX_CRITIC_TRAIN, seed)
    critic_validation = validation[:MAX_CRITIC_VALIDATION]
    single = mostly_single_lines(screened.pieces)
    tune_config: TuneCriticConfig | None = None
    if single:
        tune_config = quick_tune_critic_config() if quick else TuneCriticConfig()

    def stage_log(line: str) -> None:
        log(line)
        text = line.removeprefix(f"{name}: ")
        for start, stage in _LOG_STAGES.items():
            if text.startswith(start):
                progress(stage, stage_start(stage))

    profile = build_profile(
        ProfileSpec(name, name, description, tune_critic=single),
        train=train,
        validation=validation,
        critic_train=critic_train,
        critic_validation=critic_validation,
        all_pieces=list(screened.pieces),
        samples=[(s.slug, load_sample(s.slug)) for s in list_samples()],
        critic_config=quick_critic_config() if quick else None,
        tune_critic_config=tune_config,
        seed=seed,
        progress=False,
        log=stage_log,
        validation_ids=[i for i, _ in by_split["validation"]],
    )
    profile.save(work)
    progress("baseline judge", stage_start("baseline judge"))
    judge = train_baseline_judge(critic_train, critic_validation, seed=seed, quick=quick)
    judge.save(work / BASELINE_FILE)
    profile = Profile.load(work)
    progress("validity report", stage_start("validity report"))
    corpus = {f"{name}:{i}": s for i, s in screened.pieces}
    validity = run_validity(profile, judge, by_split["test"], seed=seed, corpus=corpus)
    (work / "VALIDITY.md").write_text(validity.to_markdown())
    progress("red team", stage_start("red team"))
    others = (
        read_other_music(log, exclude=own_collection_files(screened.pieces)) if other_music else []
    )
    redteam = run_redteam(
        profile,
        by_split["test"],
        others,
        seed=seed,
        progress=lambda row: progress("red team", stage_start("red team")),
    )
    (work / "REDTEAM.md").write_text(redteam.to_markdown())
    return _figures(validity, redteam)


def own_collection_files(pieces: Sequence[tuple[str, Score]]) -> set[str]:
    """The red team's "other composers" files from a collection the set itself draws on
    (a set of corpus picks names its pieces ``palestrina/...``): not other music to it."""
    from evaluation.redteam.other_music import other_music_files
    from music.corpus.sources import corpus_root

    collections = {piece_id.split("/")[0] for piece_id, _ in pieces if "/" in piece_id}
    root = corpus_root()
    return {
        str(path.relative_to(root))
        for _, folder, path in other_music_files(root)
        if folder in collections
    }


def _figures(validity: Any, redteam: Any) -> dict[str, Any]:
    checks = [(name, ok) for name, ok in validity.checks() if PARTIAL_COPY_ROW not in name]
    return {
        "passes": all(ok for _, ok in checks),
        "evaluator_version": validity.evaluator_version,
        "real_median": round(validity.real_median, 1),
        "families": {
            f.name: {
                "median": round(f.median, 1),
                "auroc": round(f.auroc, 3),
                "baseline_auroc": round(f.baseline_auroc, 3),
            }
            for f in validity.families
        },
        "copy_recall": {k: round(v, 3) for k, v in validity.copy_recall.items()},
        "false_flags": round(validity.false_flag_rate, 3),
        "checks": [[name, bool(ok)] for name, ok in checks],
        "redteam": [[name, outcome] for name, outcome in redteam.checks()],
    }


def read_result(directory: Path) -> dict[str, Any]:
    """The figures a host build wrote beside its profile."""
    data: dict[str, Any] = json.loads((directory / RESULT_FILE).read_text())
    return data
