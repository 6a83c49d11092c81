"""What a performance changes does not change the judge's opinion (issue 15): humanised
timing, a recording made without the click (its own tempo, saved at 120 bpm), all voices
in one keyboard track, and an 8-bar excerpt judged as 8 bars, while the junk families
stay junk."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from evaluation.build import EXCERPT_BARS, cut_excerpts, fit_descriptor_references
from evaluation.descriptors import describe
from evaluation.evaluate import evaluate_many
from evaluation.fakes import make_fake
from evaluation.profile import Profile, load_profile
from evaluation.redteam import attacks
from music import transforms
from music.canonical import canonical_form
from music.corpus import load_corpus
from music.score import Note, Score, Track
from tests.music.builders import held_for


@pytest.fixture(scope="module")
def profile() -> Profile:
    return load_profile("bach-chorales")


@pytest.fixture(scope="module")
def chorales() -> list[tuple[str, Score]]:
    pieces = load_corpus("bach-chorales", "test")[:8]
    return [(f"bach-chorales:{p.id}", p.score) for p in pieces]


def judge(profile: Profile, pieces: list[tuple[str, Score]], change=None) -> list[float]:
    rng = np.random.default_rng(0)
    scores = [score if change is None else change(score, rng) for _, score in pieces]
    reports = evaluate_many(scores, profile, exclude_each=[[source] for source, _ in pieces])
    return [report.score for report in reports]


def test_timing_jitter_of_twenty_milliseconds_changes_no_score(
    profile: Profile, chorales: list[tuple[str, Score]]
) -> None:
    assert judge(profile, chorales, attacks.timing_jitter) == judge(profile, chorales)


@pytest.mark.parametrize(
    "change",
    [attacks.note_values(2, bars_kept=False), attacks.note_values(-2, bars_kept=True)],
    ids=["twice the note values, meter as written", "half the note values, bars kept"],
)
def test_the_same_sound_in_other_note_values_scores_the_same(
    profile: Profile, chorales: list[tuple[str, Score]], change
) -> None:
    written = judge(profile, chorales)
    other = judge(profile, chorales, change)
    np.testing.assert_allclose(other, written, atol=0.5)


def test_jittered_timing_gives_the_written_pieces_descriptors(
    chorales: list[tuple[str, Score]],
) -> None:
    rng = np.random.default_rng(1)
    for _, score in chorales[:3]:
        played = canonical_form(attacks.timing_jitter(score, rng))
        np.testing.assert_array_equal(
            list(describe(played).values()), list(describe(score).values())
        )


def test_a_chorale_played_without_the_click_scores_as_written(
    profile: Profile, chorales: list[tuple[str, Score]]
) -> None:
    # Recorded at the player's own breathing tempo and saved at 120 bpm, nothing lies on
    # the file's beats: judged on that grid, such a chorale scored 2-3 out of 100.
    changes = np.subtract(judge(profile, chorales, attacks.played_in), judge(profile, chorales))
    assert abs(float(np.median(changes))) <= 5.0
    assert float(changes.min()) >= -15.0


def let_go_early(score: Score, rng: np.random.Generator) -> Score:
    """Played without the click (as above), every note let go after 70-90 % of its value."""
    played = attacks.played_in(score, rng)
    return held_for(played, rng.uniform(0.7, 0.9))


def test_a_chorale_played_detached_scores_as_written(
    profile: Profile, chorales: list[tuple[str, Score]]
) -> None:
    # A player's touch is not the composition: before evaluator 4.4 read a performance's
    # short silences as rests, notes held for 80 % of their value cost 18 points.
    changes = np.subtract(judge(profile, chorales, let_go_early), judge(profile, chorales))
    assert abs(float(np.median(changes))) <= 5.0
    assert float(changes.min()) >= -20.0


def test_random_onsets_off_any_grid_are_still_junk(profile: Profile) -> None:
    rng = np.random.default_rng(4)
    pieces = []
    for _ in range(6):
        notes = [
            Note(
                int(rng.integers(0, 480 * 64)),
                int(rng.integers(50, 80)),
                int(rng.integers(60, 900)),
            )
            for _ in range(200)
        ]
        pieces.append(Score([Track(sorted(notes))], resolution=480))
    assert max(report.score for report in evaluate_many(pieces, profile)) < 10


def test_all_voices_in_one_piano_track_score_as_the_parts(
    profile: Profile, chorales: list[tuple[str, Score]]
) -> None:
    # Where voices cross, the re-separated voices differ a little from the written parts.
    changes = np.subtract(
        judge(profile, chorales, attacks.one_piano_track), judge(profile, chorales)
    )
    assert float(np.median(np.abs(changes))) <= 0.5
    assert float(np.abs(changes).max()) <= 3.0


def test_an_eight_bar_excerpt_scores_within_five_points_of_the_whole_chorale(
    profile: Profile, chorales: list[tuple[str, Score]]
) -> None:
    changes = np.subtract(judge(profile, chorales, attacks.first_bars(8)), judge(profile, chorales))
    assert abs(float(np.median(changes))) <= 5.0


def test_junk_cut_to_eight_bars_is_still_junk(
    profile: Profile, chorales: list[tuple[str, Score]]
) -> None:
    for family in ("rhythm_jittered", "pitch_shuffled", "random_notes"):

        def eight_bars_of(score: Score, rng: np.random.Generator, family: str = family) -> Score:
            return transforms.crop(make_fake(family, score, rng), 0, 8)

        assert max(judge(profile, chorales, eight_bars_of)) < 20


def test_a_piece_is_compared_with_excerpts_of_its_own_length(profile: Profile) -> None:
    assert sorted(profile.excerpt_descriptors) == list(EXCERPT_BARS) == [4, 8]
    assert profile.descriptor_reference(3) is profile.excerpt_descriptors[4]
    assert profile.descriptor_reference(4) is profile.excerpt_descriptors[4]
    assert profile.descriptor_reference(8) is profile.excerpt_descriptors[8]
    assert profile.descriptor_reference(9) is profile.descriptors
    older = replace(profile, excerpt_descriptors={})
    assert older.descriptor_reference(4) is profile.descriptors


def test_excerpts_are_consecutive_whole_bars(chorales: list[tuple[str, Score]]) -> None:
    score = chorales[0][1]
    assert score.bar_count == 21
    pieces = cut_excerpts(score, 8)
    assert [p.bar_count for p in pieces] == [8, 8]
    assert pieces[1].all_notes() == transforms.crop(score, 8, 16).all_notes()
    short = transforms.crop(score, 0, 6)
    assert cut_excerpts(short, 8) == [short]


def test_excerpt_references_hold_excerpt_values(chorales: list[tuple[str, Score]]) -> None:
    whole, by_length = fit_descriptor_references([score for _, score in chorales])
    assert set(by_length) == set(EXCERPT_BARS)

    def median(reference, name: str) -> float:
        return float(np.median(reference.values[reference.names.index(name)]))

    # Fewer bars use fewer pitches; per-bar rates are about the same.
    assert median(by_length[4], "n_pitches_used") < median(by_length[8], "n_pitches_used")
    assert median(by_length[8], "n_pitches_used") < median(whole, "n_pitches_used")
    per_bar = [median(r, "notes_per_bar") for r in (by_length[4], by_length[8], whole)]
    assert max(per_bar) / min(per_bar) < 1.2
