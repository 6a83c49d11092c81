"""Choosing the copy detector's thresholds on a validation split (building a profile).

The kinds of copy the thresholds must catch (``COPY_KINDS`` for whole copies,
``PARTIAL_COPY_KINDS`` for copies of part of a source) are made from validation pieces;
each threshold is set midway between the weakest copies and the most copy-like real
pieces. Scoring never imports this module: it only reads the thresholds a profile
stores (see :mod:`evaluation.novelty`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np

from evaluation.novelty import (
    MIN_LOCAL_NOTES,
    Fingerprint,
    NoveltyIndex,
    copy_strength,
    fingerprint,
)
from music import transforms
from music.score import Score


def _reinstrument(score: Score) -> Score:
    programs = [40, 41, 42, 70, 71, 68]
    tracks = [replace(t, program=programs[i % len(programs)]) for i, t in enumerate(score.tracks)]
    return replace(score, tracks=tracks)


def _reorder(score: Score) -> Score:
    return replace(score, tracks=list(reversed(score.tracks)))


CopyKind = Callable[[Score, np.random.Generator], Score]
COPY_KINDS: dict[str, CopyKind] = {
    "verbatim": lambda s, rng: s,
    "transposed": lambda s, rng: transforms.transpose(s, int(rng.choice([-5, -3, 2, 4, 7]))),
    "time-stretched": lambda s, rng: transforms.time_stretch(
        s, float(rng.choice([0.5, 0.75, 1.5]))
    ),
    "re-instrumented": lambda s, rng: _reinstrument(s),
    "tracks reordered": lambda s, rng: _reorder(s),
    "10% of notes dropped": lambda s, rng: transforms.drop_notes(s, 0.1, seed=rng),
}


def _excerpt(score: Score, rng: np.random.Generator, seconds: float = 30.0) -> Score:
    """Half the piece, and at least ``seconds`` (whole bars), from a random bar. (Thirty
    seconds of slow polyphony can be under 20 notes a voice, below MIN_LOCAL_NOTES.)"""
    bars = max(1, int(seconds / (score.ticks_per_bar * score.seconds_per_tick)))
    bars = max(bars, (score.bar_count + 1) // 2)
    start = int(rng.integers(0, max(score.bar_count - bars, 0) + 1))
    return transforms.crop(score, start, start + bars)


# Copies of part of a source, or of a source within more music: found by local
# matching, with their own threshold (``local_threshold``, in notes).
PARTIAL_COPY_KINDS: dict[str, CopyKind] = {
    "excerpt (half, at least 30 s)": _excerpt,
    "looped (played twice)": lambda s, rng: transforms.concatenate([s, s]),
    # New music after the source: the source again, backwards and a tritone away
    # (same style, different lines).
    "new material appended": lambda s, rng: transforms.concatenate(
        [s, transforms.reverse(transforms.transpose(s, 6))]
    ),
    "excerpt, transposed, 10% of notes dropped": lambda s, rng: transforms.drop_notes(
        transforms.transpose(_excerpt(s, rng), int(rng.choice([-5, -3, 2, 4, 7]))), 0.1, seed=rng
    ),
}
COPY_RECALL = 0.995  # on the validation split, for every kind of copy
REAL_QUANTILE = 0.99


def _strength(index: NoveltyIndex, print_: Fingerprint, source: str | None, exclude: str) -> float:
    """The highest alignment threshold at which the piece would still be flagged as a
    copy of ``source`` (of any source but ``exclude`` when ``source`` is None)."""
    best = 0.0
    for match in index.copy_candidates(print_, exclude=[exclude] if exclude else []):
        if match.alignments and (source is None or match.source == source):
            best = max(best, copy_strength(match.alignments, index.piece_threshold))
    return best


def _local_strength(
    index: NoveltyIndex, print_: Fingerprint, source: str | None, exclude: str
) -> float:
    """The highest ``local_threshold`` (notes) at which the piece would still be flagged
    by local matches alone as a copy of ``source`` (of any source but ``exclude``)."""
    best = 0.0
    for match in index.copy_candidates(print_, exclude=[exclude] if exclude else []):
        if match.local and (source is None or match.source == source):
            best = max(best, copy_strength(match.local, index.local_piece_threshold))
    return best


def calibrate_local(
    index: NoveltyIndex, validation: Sequence[tuple[str, Score]], seed: int = 0
) -> dict[str, object]:
    """Set ``index.local_threshold`` (notes matched in one run, per voice) from the
    validation pieces: midway between the most copy-like real piece (the *highest*
    local strength of any of them against every other source) and the weakest partial
    copies (the ``1 - COPY_RECALL`` quantile, the lowest over the kinds), above every
    real piece in any case and never below ``MIN_LOCAL_NOTES``. Every real piece, not
    the ``REAL_QUANTILE`` used for whole alignment: in corpora whose pieces share long
    passages (folk tunes share whole strains) the tail of real local strength is long,
    and a threshold just above its 99th percentile flagged 1.0% of folk's validation
    pieces but 2.7% of its test pieces. Returns what was measured."""
    if not validation:
        return {}
    saved = index.alignment_threshold
    index.alignment_threshold = 2.0  # no voice matches whole: every voice is matched locally
    try:
        rng = np.random.default_rng(seed)
        copies: dict[str, list[float]] = {}
        for kind, make in PARTIAL_COPY_KINDS.items():
            copies[kind] = [
                _local_strength(index, fingerprint(make(score, rng)), source, "")
                for source, score in validation
            ]
        real = [
            _local_strength(index, fingerprint(score), None, source) for source, score in validation
        ]
    finally:
        index.alignment_threshold = saved
    highest = float(max(real))
    weakest = {
        kind: float(np.quantile(v, 1.0 - COPY_RECALL, method="lower")) for kind, v in copies.items()
    }
    lowest = min(weakest.values())
    middle = int(np.floor((lowest + highest) / 2))
    index.local_threshold = max(MIN_LOCAL_NOTES, int(highest) + 1, middle)
    chosen = index.local_threshold
    return {
        "local_threshold": chosen,
        "most_copy_like_real": highest,
        "weakest_copies": weakest,
        "validation_copy_recall": {
            kind: round(float(np.mean(np.array(v) >= chosen)), 4) for kind, v in copies.items()
        },
        "validation_flagged_real": round(float(np.mean(np.array(real) >= chosen)), 4),
    }


def calibrate(
    index: NoveltyIndex, validation: Sequence[tuple[str, Score]], seed: int = 0
) -> dict[str, object]:
    """Both thresholds: :func:`calibrate_alignment`, then :func:`calibrate_local`."""
    measured = calibrate_alignment(index, validation, seed)
    if measured:
        measured["local"] = calibrate_local(index, validation, seed)
    return measured


def calibrate_alignment(
    index: NoveltyIndex, validation: Sequence[tuple[str, Score]], seed: int = 0
) -> dict[str, object]:
    """Set ``index.alignment_threshold`` from the validation pieces, midway between the
    weakest copies (the ``1 - COPY_RECALL`` quantile of copy strength, the lowest over
    the kinds of copy) and the most copy-like real pieces (the ``REAL_QUANTILE`` of
    their strength against every other source): the widest margin on either side, as
    the test split is not the validation split. Returns what was measured."""
    if not validation:
        return {}
    saved = index.alignment_threshold
    index.alignment_threshold = 0.0  # every verified candidate reports its alignments
    rng = np.random.default_rng(seed)
    copies: dict[str, list[float]] = {}
    for kind, make in COPY_KINDS.items():
        copies[kind] = [
            _strength(index, fingerprint(make(score, rng)), source, "")
            for source, score in validation
        ]
    real = [_strength(index, fingerprint(score), None, source) for source, score in validation]
    lowest = min(float(np.quantile(v, 1.0 - COPY_RECALL, method="lower")) for v in copies.values())
    highest = float(np.quantile(real, REAL_QUANTILE, method="higher"))
    middle = (lowest + highest) / 2
    index.alignment_threshold = float(np.floor(middle * 1e4) / 1e4) if lowest > 0 else saved
    chosen = index.alignment_threshold
    return {
        "alignment_threshold": chosen,
        "weakest_copies": round(lowest, 4),
        "most_copy_like_real": round(highest, 4),
        "validation_pieces": len(validation),
        "validation_copy_recall": {
            kind: round(float(np.mean(np.array(v) >= chosen)), 4) for kind, v in copies.items()
        },
        "validation_flagged_real": round(float(np.mean(np.array(real) >= chosen)), 4),
    }
