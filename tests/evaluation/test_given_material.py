"""Material an entry was built on (the sample melody a generator extended or
accompanied): the copy check judges what the entry added to it, and the entry copies the
material only when it added too little."""

from __future__ import annotations

from dataclasses import replace

import pytest

from evaluation.evaluate import evaluate
from evaluation.fingerprint import fingerprint
from evaluation.given import MIN_ADDED_SHARE, added_part, given_scores
from evaluation.novelty import NoveltyIndex
from evaluation.profile import Profile, load_profile
from music import transforms
from music.catalogue import load_sample
from music.corpus import load_corpus
from music.score import Note, Score, Track
from tests.evaluation.builders import continued

SAMPLE = "ode-to-joy"
GIVEN = [f"sample:{SAMPLE}"]


@pytest.fixture(scope="module")
def profile() -> Profile:
    return load_profile("bach-chorales")


def novelty(profile: Profile, score: Score, **kw: object) -> dict[str, object]:
    return evaluate(score, profile, **kw).details["novelty"]  # type: ignore[arg-type]


def test_the_added_part_is_the_entry_less_one_note_per_given_note() -> None:
    given = Score([Track([Note(0, 60, 480), Note(480, 62, 480), Note(480, 62, 480)])])
    entry = Score(
        [
            Track([Note(0, 60, 960), Note(960, 62, 960), Note(1920, 64, 960)]),  # 960 a beat
            Track([Note(0, 48, 3840)]),
            Track([Note(0, 36, 240)], is_drum=True),
        ],
        resolution=960,
    )
    added = added_part(entry, [("sample:x", given)])
    assert added is not None
    kept = [[(n.start, n.pitch) for n in t.notes] for t in added.score.tracks]
    assert kept == [[(1920, 64)], [(0, 48)], [(0, 36)]]  # the doubled 62 takes out one
    assert added.share == pytest.approx(2 / 4)  # drums are not counted
    assert added.source == "sample:x"
    assert added_part(entry, []) is None


def test_only_shipped_samples_are_read_as_given() -> None:
    assert [name for name, _ in given_scores(["sample:ode-to-joy", "sample:nope", "bach:x"])] == [
        "sample:ode-to-joy"
    ]


def test_a_continuation_of_the_sample_it_was_given_is_no_copy_of_it(profile: Profile) -> None:
    extended = continued(load_sample(SAMPLE))
    assert novelty(profile, extended)["copy_of"] == GIVEN[0]  # taken as it is: the sample
    found = novelty(profile, extended, given=GIVEN)
    assert found["copy_of"] is None
    assert found["built_on"] == GIVEN
    assert found["added_share"] == pytest.approx(24 / (24 + load_sample(SAMPLE).note_count), 1e-3)


def test_two_continuations_of_one_sample_are_no_copies_of_each_other(profile: Profile) -> None:
    first, second = (continued(load_sample(SAMPLE), seed=seed) for seed in (1, 2))
    entries = NoveltyIndex()
    entries.add("entry:1", fingerprint(first))
    assert novelty(profile, second, entries=entries)["copy_of"] is not None  # without: a copy
    assert novelty(profile, second, entries=entries, given=GIVEN)["copy_of"] is None
    # ...but the very same continuation is a copy of the earlier entry.
    assert novelty(profile, first, entries=entries, given=GIVEN)["copy_of"] == "entry:1"


def test_the_sample_with_too_little_added_is_a_copy_of_it(profile: Profile) -> None:
    sample = load_sample(SAMPLE)
    alone = novelty(profile, sample, given=GIVEN)
    assert (alone["copy_of"], alone["added_share"]) == (GIVEN[0], 0.0)
    few = continued(sample, notes=3)
    assert 0 < 3 / few.note_count < MIN_ADDED_SHARE
    assert novelty(profile, few, given=GIVEN)["copy_of"] == GIVEN[0]


def test_the_sample_played_twice_is_a_copy_of_it(profile: Profile) -> None:
    sample = load_sample(SAMPLE)
    twice = transforms.concatenate([sample, sample])
    assert novelty(profile, twice, given=GIVEN)["copy_of"] == GIVEN[0]


def test_what_was_added_is_checked_against_the_reference(profile: Profile) -> None:
    """A chorale's voices added to the sample are a copy of the chorale."""
    chorale = next(iter(load_corpus("bach-chorales", split="train"))).score
    sample = load_sample(SAMPLE)
    k = sample.resolution // chorale.resolution  # the chorale on the sample's tick grid
    voices = [
        replace(t, notes=[replace(n, start=n.start * k, duration=n.duration * k) for n in t.notes])
        for t in chorale.tracks
    ]
    both = replace(sample, tracks=[*sample.tracks, *voices])
    copied = novelty(profile, both, given=GIVEN)["copy_of"]
    assert isinstance(copied, str)
    assert copied.startswith("bach-chorales:")


def test_only_the_material_named_as_given_is_taken_out(profile: Profile) -> None:
    extended = continued(load_sample(SAMPLE))
    assert novelty(profile, extended, given=["sample:twinkle-twinkle"])["copy_of"] == GIVEN[0]
