"""Corpus conversion, dedupe, cache and splits.

The full build takes minutes, so these tests convert a handful of real corpus files,
dedupe constructed duplicates, round-trip a small cache, and check the committed split
manifests (against the built cache when one is present).
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from music.corpus import GRID, CorpusPiece, content_hash, dedupe, load_corpus, neardup, store
from music.corpus.readers import (
    RejectedFile,
    read_abc,
    read_chorale,
    read_humdrum,
    read_musicxml,
)
from music.corpus.sources import CORPORA, corpus_root
from music.corpus.splits import (
    SPLITS,
    assign_splits,
    make_manifest,
    melody_key,
    near_duplicate_ids,
    read_manifest,
    split_ids,
)
from music.score import Note, Score, Track


def read(reader, relative: str) -> list[CorpusPiece]:
    path = corpus_root() / relative
    return reader(path, relative.split("/")[0], relative)


def mean_pitch(track: Track) -> float:
    return sum(n.pitch for n in track.notes) / len(track.notes)


def piece(piece_id: str, pitches: list[int], name: str = "Melody") -> CorpusPiece:
    notes = [Note(i * GRID, p, GRID, 80) for i, p in enumerate(pitches)]
    score = Score([Track(notes, name=name)], resolution=GRID)
    return CorpusPiece(id=piece_id, source=f"{piece_id}.abc", title=piece_id, score=score)


# ----- readers -----------------------------------------------------------------------


def test_a_chorale_keeps_soprano_alto_tenor_bass_in_order_and_drops_instruments():
    # bwv1.6 has a horn part above the four voices.
    (chorale,) = read(read_chorale, "bach/bwv1.6.mxl")
    tracks = chorale.score.tracks
    assert [t.name for t in tracks] == ["Soprano", "Alto", "Tenor", "Bass"]
    means = [mean_pitch(t) for t in tracks]
    assert means == sorted(means, reverse=True)
    assert chorale.id == "bach/bwv1.6"
    assert chorale.source == "bach/bwv1.6.mxl"


def test_a_chorale_pickup_is_padded_so_the_first_downbeat_starts_bar_two():
    # bwv1.6 opens with a one-beat pickup in 4/4.
    (chorale,) = read(read_chorale, "bach/bwv1.6.mxl")
    score = chorale.score
    assert score.resolution == GRID
    assert score.time_signature == (4, 4)
    first = min(n.start for t in score.tracks for n in t.notes)
    assert first == score.ticks_per_bar - GRID


def test_a_chorale_without_a_pickup_starts_at_zero():
    (chorale,) = read(read_chorale, "bach/bwv10.7.mxl")
    assert min(n.start for t in chorale.score.tracks for n in t.notes) == 0
    assert "Meine Seel" in chorale.title


def test_a_keyboard_piece_is_not_taken_for_a_chorale():
    with pytest.raises(RejectedFile):
        read(read_chorale, "bach/bwv846.mxl")


def test_monteverdi_parts_keep_their_own_names():
    (madrigal,) = read(read_musicxml, "monteverdi/madrigal.3.1.mxl")
    assert [t.name for t in madrigal.score.tracks] == ["Canto", "Quinto", "Alto", "Tenor", "Basso"]


def test_palestrina_humdrum_gives_one_track_per_voice_top_first():
    (mass,) = read(read_humdrum, "palestrina/Agnus_00.krn")
    tracks = mass.score.tracks
    assert len(tracks) >= 4
    assert mean_pitch(tracks[0]) > mean_pitch(tracks[-1])
    assert all(n.duration > 0 for t in tracks for n in t.notes)


def _music21_onsets(relative: str, number: int, pad: Fraction) -> list[tuple[int, int]]:
    from music21 import converter

    parsed = converter.parse(corpus_root() / relative, forceSource=True, storePickle=False)
    scores = parsed.scores if hasattr(parsed, "scores") else [parsed]
    (tune,) = [s for s in scores if int(s.metadata.number) == number]
    return sorted(
        (round((Fraction(el.offset) + pad) * GRID), p.midi)
        for el in tune.stripTies().flatten().notes
        if el.quarterLength > 0
        for p in el.pitches
    )


@pytest.mark.parametrize(
    ("relative", "number"),
    [
        ("essenFolksong/altdeu10.abc", 1),  # pickup in 4/2
        ("oneills1850/0626-0635.abc", 627),  # 6/8, pickup, sixteenths
        ("ryansMammoth/7thRegimentReel.abc", 1),  # fiddle tune with double stops
    ],
)
def test_abc_tunes_read_from_tokens_match_music21s_own_translation(relative, number):
    pieces = {p.id: p for p in read(read_abc, relative)}
    tune = pieces[f"{relative.split('/')[0]}/{Path(relative).stem}#{number}"]
    ours = sorted((n.start, n.pitch) for n in tune.score.tracks[0].notes)
    first = ours[0][0]
    pad = Fraction(first, GRID)
    assert ours == _music21_onsets(relative, number, pad)


def test_abc_ties_merge_triplets_fit_and_annotated_notes_survive(tmp_path):
    # music21's own translation drops a note carrying a ">" annotation; the tokens keep it.
    abc = tmp_path / "tune.abc"
    abc.write_text(
        'X:1\nT:Tie test\nM:2/4\nL:1/8\nK:G\nD|G2 G-G|(3ABc d2|">"e2 d2|G4|]\n'
        "X:2\nT:Free\nM:none\nL:1/8\nK:G\nGABc|\n",
        encoding="utf-8",
    )
    (tune,) = read_abc(abc, "test", "tune.abc")  # the free-metre tune is left out
    notes = tune.score.tracks[0].notes
    assert notes[0] == Note(2 * GRID - GRID // 2, 62, GRID // 2, 80)  # pickup D, padded
    assert notes[1].start == 2 * GRID
    assert notes[1].duration == GRID
    assert notes[2].duration == GRID  # G-G tied into one quarter
    triplet = notes[3:6]
    assert [n.duration for n in triplet] == [GRID // 3] * 3
    assert [n.pitch for n in notes[6:8]] == [74, 76]  # d, then the annotated e
    assert notes[7].start == 3 * 2 * GRID
    assert tune.title == "Tie test"
    assert tune.score.time_signature == (2, 4)


# ----- dedupe --------------------------------------------------------------------------


def test_the_same_music_under_two_names_hashes_equal_and_other_music_does_not():
    a = piece("bach/bwv1", [60, 62, 64])
    renamed = piece("bach/bwv2-a", [60, 62, 64], name="Soprano")
    other = piece("bach/bwv3", [60, 62, 65])
    assert content_hash(a.score) == content_hash(renamed.score)
    assert content_hash(a.score) != content_hash(other.score)


def test_dedupe_keeps_the_first_of_each_content_and_reports_the_rest():
    pieces = [
        piece("bach/bwv1", [60, 62]),
        piece("bach/bwv2", [67]),
        piece("bach/bwv1-copy", [60, 62]),
    ]
    kept, dropped = dedupe(pieces)
    assert [p.id for p in kept] == ["bach/bwv1", "bach/bwv2"]
    assert dropped == {"bach/bwv1-copy": "bach/bwv1"}


# ----- cache ---------------------------------------------------------------------------


def test_the_cache_gives_back_exactly_what_was_stored(tmp_path):
    pieces = [read(read_chorale, "bach/bwv1.6.mxl")[0], piece("x/y#1", [70, 72])]
    path = store.cache_path("bach-chorales", tmp_path)
    store.save(path, pieces, {"corpus": "bach-chorales"})
    assert store.is_current(path)
    assert store.load(path) == pieces


def test_load_corpus_reads_an_existing_cache_and_filters_by_split(tmp_path):
    pieces = [piece(f"folkish/t#{i}", [60 + i, 62, 64 + i % 3]) for i in range(40)]
    store.save(store.cache_path("folk", tmp_path), pieces, {"corpus": "folk"})
    everything = load_corpus("folk", cache_dir=tmp_path)
    assert [p.id for p in everything] == [p.id for p in pieces]
    # These ids are not in the committed manifest, so no split holds them...
    committed = read_manifest("folk")
    parts = [load_corpus("folk", split, cache_dir=tmp_path) for split in SPLITS]
    if committed is None:
        assert sum(len(p) for p in parts) == len(pieces)
    else:
        assert all(not part for part in parts)


def test_a_stale_cache_is_not_current(tmp_path):
    path = store.cache_path("folk", tmp_path)
    store.save(path, [piece("a/b", [60])], {})
    meta = store.read_meta(path)
    assert meta["format"] == store.CACHE_FORMAT
    assert not store.is_current(tmp_path / "missing.npz")


def test_an_unknown_corpus_or_split_is_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown corpus"):
        load_corpus("jazz", cache_dir=tmp_path)
    with pytest.raises(ValueError, match="unknown split"):
        split_ids("folk", "holdout")


def test_the_cache_directory_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(store.CACHE_ENV, str(tmp_path))
    assert store.default_cache_dir() == tmp_path / "corpus"


# ----- splits --------------------------------------------------------------------------


def test_pieces_sharing_a_melody_opening_land_in_the_same_split():
    tune = [60, 62, 64, 65, 67, 65, 64, 62, 60, 62, 64, 60, 67, 65, 64, 62, 60]
    transposed = [p + 5 for p in tune]
    pieces = [piece(f"hymn/harmonisation{i}", tune if i % 2 else transposed) for i in range(30)]
    pieces += [piece(f"other/tune{i}", [60, 60 + i % 12, 55]) for i in range(30)]
    splits = assign_splits(pieces)
    hymn_splits = {splits[p.id] for p in pieces if p.id.startswith("hymn/")}
    assert len(hymn_splits) == 1
    assert melody_key(pieces[0].score) == melody_key(pieces[1].score)


def test_a_manifest_is_sorted_disjoint_and_counts_its_ids():
    pieces = [piece(f"c/p{i}", [60, 60 + i % 7, 50 + i % 11]) for i in range(200)]
    manifest = make_manifest("c", pieces)
    ids = [i for split in SPLITS for i in manifest[split]]  # type: ignore[attr-defined]
    assert sorted(ids) == sorted(p.id for p in pieces)
    assert len(set(ids)) == len(ids)
    assert manifest["counts"] == {s: len(manifest[s]) for s in SPLITS}  # type: ignore[arg-type]


@pytest.mark.parametrize("name", sorted(CORPORA))
def test_the_committed_manifest_is_disjoint_and_matches_the_built_corpus(name):
    manifest = read_manifest(name)
    assert manifest is not None, f"music/splits/{name}.json is missing"
    sets = {split: set(ids) for split, ids in manifest.items()}
    for split, ids in manifest.items():
        assert len(ids) == len(sets[split]), f"{split} lists an id twice"
        assert ids == sorted(ids)
    total = sum(len(s) for s in sets.values())
    assert len(set().union(*sets.values())) == total, "splits overlap"
    assert len(sets["train"]) > len(sets["validation"]) > 0
    assert len(sets["test"]) > 0
    path = store.cache_path(name)
    if not store.is_current(path):
        pytest.skip(f"no built {name} cache to compare with (python -m music.corpus build)")
    pieces = store.load(path)
    duplicates = near_duplicate_ids(name)
    assert not duplicates & set().union(*sets.values())
    assert set().union(*sets.values()) | duplicates == {p.id for p in pieces}
    expected = make_manifest(name, pieces)
    assert {split: expected[split] for split in SPLITS} == manifest
    assert set(expected["near_duplicates"]) == duplicates  # type: ignore[call-overload]


def _chorale(piece_id: str, voices: list[list[int]]) -> CorpusPiece:
    tracks = [
        Track(notes=[Note(i * GRID, p, GRID, 80) for i, p in enumerate(line)]) for line in voices
    ]
    return CorpusPiece(piece_id, "x", piece_id, Score(tracks=tracks, resolution=GRID))


def test_near_duplicates_align_note_for_note_but_two_harmonisations_do_not() -> None:
    rng = np.random.default_rng(0)
    melody = [int(p) for p in 60 + np.cumsum(rng.choice([-2, -1, 1, 2], size=40)) % 12]
    lower = [[int(p) for p in base + rng.integers(0, 7, size=40)] for base in (52, 45, 38)]
    other = [[int(p) for p in base + rng.integers(0, 7, size=40)] for base in (52, 45, 38)]
    original = _chorale("c/a", [melody, *lower])
    revised_bass = [*lower[2][:30], *(p + 2 for p in lower[2][30:])]
    revision = _chorale("c/b", [[p + 3 for p in melody], *(lower[:2]), revised_bass])
    reharmonised = _chorale("c/c", [melody, *other])
    assert neardup.alignment(original.score, revision.score) >= neardup.ALIGNMENT
    assert neardup.alignment(original.score, reharmonised.score) < neardup.ALIGNMENT
    splits = {"c/a": "train", "c/b": "test", "c/c": "test"}
    dropped = neardup.held_out_duplicates([original, revision, reharmonised], splits, SPLITS)
    assert dropped == {"c/b": "c/a"}


def test_training_pieces_are_never_left_out_as_near_duplicates() -> None:
    piece = _chorale("c/a", [[60, 62, 64, 65, 67, 65, 64, 62, 60, 64, 67, 72]])
    twin = _chorale("c/b", [[62, 64, 66, 67, 69, 67, 66, 64, 62, 66, 69, 74]])
    both_train = {"c/a": "train", "c/b": "train"}
    assert neardup.held_out_duplicates([piece, twin], both_train, SPLITS) == {}
    both_test = {"c/a": "test", "c/b": "test"}
    assert neardup.held_out_duplicates([twin, piece], both_test, SPLITS) == {"c/b": "c/a"}
