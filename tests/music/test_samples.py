"""The sample melody catalogue: every file valid, one track, the stated meter, bars and key."""

from __future__ import annotations

import difflib
import itertools
from collections import Counter
from fractions import Fraction

import pytest

from music.catalogue import (
    CATALOGUE_FILE,
    MelodyError,
    build_catalogue,
    get_sample,
    key_pitch_classes,
    list_samples,
    load_sample,
    melody_score,
    pitch_number,
)
from music.midi_io import read_midi_file
from music.score import Score
from music.validate import Limits, validate_midi
from tests.music.conftest import DEEPCOMPOSER_DIR

SAMPLES = list_samples()
DEEPCOMPOSER = {
    "twinkle-twinkle": "input_twinkle_twinkle.mid",
    "ode-to-joy": "input_ode_to_joy.mid",
    "new-world": "input_new_world.mid",
    "deck-the-halls": "input_deck_the_halls.mid",
    "we-wish-you-a-merry-christmas": "input_merry_christmas.mid",
}


def in_scale_rate(score: Score, key: str) -> float:
    scale = key_pitch_classes(key)
    notes = score.all_notes()
    return sum(n.pitch % 12 in scale for n in notes) / len(notes)


def test_there_are_at_least_sixteen_samples_including_deepcomposers_five():
    slugs = [s.slug for s in SAMPLES]
    assert len(slugs) >= 16
    assert len(set(slugs)) == len(slugs)
    assert set(DEEPCOMPOSER) <= set(slugs)
    assert sum("music21 corpus" in s.source for s in SAMPLES) >= 3  # a few corpus folk tunes


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: s.slug)
def test_each_sample_is_a_small_valid_single_piano_track_as_catalogued(sample):
    data = sample.path.read_bytes()
    assert len(data) < 10_000  # DeepComposer's own import limit
    score = validate_midi(data, Limits())
    assert len(score.tracks) == 1
    (track,) = score.tracks
    assert track.program == 0
    assert not track.is_drum
    assert score.time_signature == sample.meter
    assert score.tempo == pytest.approx(sample.tempo, rel=1e-4)
    assert 4 <= sample.bars <= 16
    assert score.bar_count == sample.bars + (1 if sample.pickup_beats else 0)
    if sample.pickup_beats:
        first = min(n.start for n in track.notes)
        assert score.ticks_per_bar - first == round(sample.pickup_beats * score.resolution)
    assert sample.title
    assert sample.source


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: s.slug)
def test_each_sample_is_a_melody_in_its_stated_key(sample):
    score = load_sample(sample.slug)
    notes = score.all_notes()
    starts = Counter(n.start for n in notes)
    assert max(starts.values()) == 1, "a melody plays one note at a time"
    assert in_scale_rate(score, sample.key) >= 0.9
    tonic = pitch_number(f"{sample.key.split()[0]}4") % 12
    assert notes[-1].pitch % 12 in {tonic, (tonic + 7) % 12}, "ends on the tonic or dominant"


def _skyline(score: Score) -> list[int]:
    """The top voice: the highest note at each onset not under a higher held note."""
    notes = sorted(score.all_notes(), key=lambda n: (n.start, -n.pitch))
    top: list[int] = []
    last_start = -1
    for note in notes:
        covered = any(m.start < note.start < m.end and m.pitch > note.pitch for m in notes)
        if covered or note.start == last_start:
            continue
        top.append(note.pitch)
        last_start = note.start
    return top


def _intervals(pitches: list[int]) -> list[int]:
    return [b - a for a, b in itertools.pairwise(pitches)]


@pytest.mark.parametrize(("slug", "filename"), sorted(DEEPCOMPOSER.items()))
def test_deepcomposers_samples_have_the_same_tune_as_ours(slug, filename):
    path = DEEPCOMPOSER_DIR / filename
    if not path.exists():
        pytest.skip("shared/testdata/deepcomposer is not beside the repository")
    theirs = _skyline(read_midi_file(path))
    ours = [n.pitch for n in load_sample(slug).all_notes()][: len(theirs)]
    matcher = difflib.SequenceMatcher(None, _intervals(ours), _intervals(theirs), autojunk=False)
    # Four match note for note (up to key); DeepComposer's Merry Christmas squeezes the
    # 3/4 carol into 4/4 with repeated notes, and still shares most of its intervals.
    assert matcher.ratio() >= 0.8


def test_the_committed_files_are_what_the_melody_source_builds(tmp_path):
    built = build_catalogue(tmp_path)
    assert (tmp_path / "catalogue.json").read_text() == CATALOGUE_FILE.read_text()
    for entry in built:
        assert (tmp_path / entry.filename).read_bytes() == entry.path.read_bytes(), entry.slug


def test_an_unknown_slug_is_a_key_error():
    with pytest.raises(KeyError):
        get_sample("happy-birthday")


def test_a_bar_that_does_not_add_up_is_refused():
    with pytest.raises(MelodyError, match="bar 2"):
        melody_score(
            "C4 D4 E4 F4 | G4:2 A4 | C5:4", meter=(4, 4), tempo=100, pickup=Fraction(0), title="Bad"
        )


def test_ties_join_notes_across_a_bar_line():
    score, bars = melody_score(
        "C4:2 G4:2~ | G4:2 E4:2", meter=(4, 4), tempo=100, pickup=Fraction(0), title="t"
    )
    assert bars == 2
    assert [(n.pitch, n.duration) for n in score.all_notes()] == [(60, 960), (67, 1920), (64, 960)]


def test_pitch_names_and_keys():
    assert pitch_number("C4") == 60
    assert pitch_number("F#4") == 66
    assert pitch_number("Bb3") == 58
    assert key_pitch_classes("A minor") == frozenset({9, 11, 0, 2, 4, 5, 7, 8})
    with pytest.raises(MelodyError):
        pitch_number("H2")
