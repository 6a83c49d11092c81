"""Host-built profiles: which pieces a judge learns from, what a bad set is told, and
how a set is split (the build itself runs in the service's worker test)."""

from __future__ import annotations

from pathlib import Path

import pytest

from evaluation.host_profile import (
    MIN_PIECES,
    BuildRefused,
    build_host_profile,
    refusal,
    screen,
    split_by_piece,
    stage_start,
)
from music.score import Note, Score, Track
from tests.evaluation.builders import random_piece


def pieces(count: int, start: int = 0) -> list[tuple[str, Score]]:
    return [(f"p{i}", random_piece(i)) for i in range(start, start + count)]


def drums(seed: int) -> Score:
    hits = [Note(i * 240, 36 + seed % 3, 120, 100) for i in range(32)]
    return Score(tracks=[Track(hits, is_drum=True)], resolution=480)


def drone() -> Score:
    return Score(tracks=[Track([Note(i * 480, 60, 480, 80) for i in range(32)])], resolution=480)


def test_one_piece_is_too_few_and_the_refusal_says_so() -> None:
    screened = screen(pieces(1))
    assert refusal(screened, 1) == (
        f"Too few pieces: 1 of the 1 can be used, and a judge needs at least {MIN_PIECES} "
        "different pieces (it holds some back to test itself)."
    )


def test_500_copies_of_one_piece_are_one_piece() -> None:
    copies = [(f"copy{i}", random_piece(7)) for i in range(500)]
    screened = screen(copies)
    assert [piece_id for piece_id, _ in screened.pieces] == ["copy0"]
    assert screened.left_out["copy499"] == "the same music as copy0"
    assert "499 left out: copies of another piece" in (refusal(screened, 500) or "")


def test_drums_only_and_one_note_pieces_are_left_out_and_counted() -> None:
    given = [*[(f"d{i}", drums(i)) for i in range(3)], ("drone", drone()), *pieces(2)]
    screened = screen(given)
    assert len(screened.pieces) == 2
    assert screened.left_out["d0"].startswith("drums only")
    assert screened.left_out["drone"].startswith("one note")
    text = refusal(screened, len(given)) or ""
    assert "3 left out: drums only" in text
    assert "1 left out: one note, repeated" in text


def test_a_refused_set_builds_nothing(tmp_path: Path) -> None:
    with pytest.raises(BuildRefused, match="Too few pieces"):
        build_host_profile("junk-v1", "junk", [("drone", drone())], tmp_path, quick=True)
    assert list(tmp_path.iterdir()) == []


def test_a_set_is_split_by_piece_with_held_out_pieces_on_both_sides() -> None:
    given = pieces(40)
    splits, twins = split_by_piece(given)
    assert twins == {}
    counts = {s: list(splits.values()).count(s) for s in ("train", "validation", "test")}
    assert counts["test"] >= 5
    assert counts["validation"] >= 5
    assert counts["train"] == 40 - counts["test"] - counts["validation"]
    assert split_by_piece(list(reversed(given)))[0] == splits  # the order given does not matter


def test_pieces_sharing_a_melody_opening_stay_in_one_split() -> None:
    given = pieces(36)
    other = random_piece(100)
    harmonised = Score(tracks=[random_piece(3).tracks[0], *other.tracks[1:]], resolution=480)
    splits, twins = split_by_piece([*given, ("p3-reharmonised", harmonised)])
    assert twins == {}  # the same tune harmonised afresh is not a duplicate
    assert splits["p3-reharmonised"] == splits["p3"]


def test_the_twin_of_a_held_out_piece_is_left_out_of_the_build() -> None:
    given = pieces(36)
    splits, _ = split_by_piece(given)
    held = next(i for i, split in sorted(splits.items()) if split == "test")
    twin = random_piece(int(held[1:]))
    twin.tracks[3].notes.pop()  # one note fewer in the bass: the same music
    splits, twins = split_by_piece([*given, (f"{held}-copy", twin)])
    assert twins == {f"{held}-copy": held}
    assert f"{held}-copy" not in splits


def test_stages_add_up_to_the_whole_build() -> None:
    assert stage_start("checking the pieces") == 0.0
    assert 0 < stage_start("critic ensemble") < stage_start("red team") < 1.0


def test_other_composers_leave_out_the_collections_the_set_draws_on() -> None:
    from evaluation.host_profile import own_collection_files

    palestrina = own_collection_files(
        [("palestrina/Agnus_01#1", random_piece(1)), ("mine.mid", drone())]
    )
    assert palestrina
    assert all(path.startswith("palestrina/") for path in palestrina)
    assert own_collection_files([("mine.mid", drone())]) == set()
