"""Deterministic train/validation/test splits, by piece, committed as manifests.

Pieces that share a melody go to the same split: many chorales harmonise the same hymn
tune (bwv13.6, bwv44.7, bwv244.10 and bwv393 open with the same 16 melody intervals), and
folk collections hold variants of one tune, so splitting them apart would put nearly the
same music on both sides. A group is the set of pieces whose top voice opens with the same
``MELODY_KEY_NOTES`` intervals (transposition-invariant); the group's split is
``sha1(smallest id in the group)`` mod 100: below 80 train, below 90 validation, else test.

Near-duplicates (:mod:`music.corpus.neardup`: the same music twice with small changes,
which content-hash dedupe misses) are then taken out of the held-out splits: a
validation or test piece that repeats a piece of an earlier split, or an earlier piece
of its own split, is left out of every split and listed under ``near_duplicates`` with
its twin. The training split is never changed by this, and the kept pieces keep the
split their group gave them.

The manifests under ``music/splits/`` are what generators, critics and the novelty index
read, so they all agree on what is held out.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Sequence
from pathlib import Path

from music.corpus.convert import CorpusPiece
from music.corpus.neardup import ALIGNMENT, held_out_duplicates
from music.score import Score

SPLITS = ("train", "validation", "test")
SPLIT_PERCENT = {"train": 80, "validation": 10, "test": 10}
MANIFEST_DIR = Path(__file__).resolve().parent.parent / "splits"
MELODY_KEY_NOTES = 16


def assign_split(piece_id: str) -> str:
    bucket = int(hashlib.sha1(piece_id.encode(), usedforsecurity=False).hexdigest()[:8], 16) % 100
    if bucket < SPLIT_PERCENT["train"]:
        return "train"
    if bucket < SPLIT_PERCENT["train"] + SPLIT_PERCENT["validation"]:
        return "validation"
    return "test"


def melody_key(score: Score) -> tuple[int, ...]:
    """The opening intervals of the top voice (highest pitch at each onset of track 0)."""
    if not score.tracks:
        return ()
    top: dict[int, int] = {}
    for note in score.tracks[0].notes:
        top[note.start] = max(top.get(note.start, 0), note.pitch)
    pitches = [top[start] for start in sorted(top)][: MELODY_KEY_NOTES + 1]
    return tuple(b - a for a, b in itertools.pairwise(pitches))


def assign_splits(pieces: Sequence[CorpusPiece]) -> dict[str, str]:
    """``{piece id: split}``, pieces sharing a melody opening kept together."""
    groups: dict[tuple[int, ...], list[str]] = {}
    for piece in pieces:
        groups.setdefault(melody_key(piece.score), []).append(piece.id)
    return {piece_id: assign_split(min(ids)) for ids in groups.values() for piece_id in ids}


def make_manifest(corpus: str, pieces: Sequence[CorpusPiece]) -> dict[str, object]:
    splits = assign_splits(pieces)
    duplicates = held_out_duplicates(pieces, splits, SPLITS)
    by_split: dict[str, list[str]] = {split: [] for split in SPLITS}
    for piece_id, split in sorted(splits.items()):
        if piece_id not in duplicates:
            by_split[split].append(piece_id)
    return {
        "corpus": corpus,
        "method": (
            f"pieces grouped by the first {MELODY_KEY_NOTES} melody intervals; "
            "sha1(smallest id in group) mod 100: <80 train, <90 validation, else test; "
            f"held-out pieces aligned >= {ALIGNMENT} with an earlier piece left out "
            "(near_duplicates: {left out: its twin})"
        ),
        "counts": {split: len(ids) for split, ids in by_split.items()},
        **by_split,
        "near_duplicates": dict(sorted(duplicates.items())),
    }


def manifest_path(corpus: str, directory: Path | None = None) -> Path:
    return (directory or MANIFEST_DIR) / f"{corpus}.json"


def write_manifest(
    corpus: str, pieces: Sequence[CorpusPiece], directory: Path | None = None
) -> Path:
    path = manifest_path(corpus, directory)
    path.parent.mkdir(parents=True, exist_ok=True)
    manifest = make_manifest(corpus, pieces)
    path.write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def read_manifest(corpus: str, directory: Path | None = None) -> dict[str, list[str]] | None:
    """``{split: [piece ids]}`` from the committed manifest, or None if there is none."""
    path = manifest_path(corpus, directory)
    if not path.exists():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    return {split: list(data[split]) for split in SPLITS}


def near_duplicate_ids(corpus: str, directory: Path | None = None) -> set[str]:
    """The ids the committed manifest leaves out as near-duplicates of other pieces."""
    path = manifest_path(corpus, directory)
    if not path.exists():
        return set()
    return set(json.loads(path.read_text(encoding="utf-8")).get("near_duplicates", {}))


def split_ids(corpus: str, split: str) -> set[str] | None:
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; choose one of {', '.join(SPLITS)}")
    manifest = read_manifest(corpus)
    return None if manifest is None else set(manifest[split])
