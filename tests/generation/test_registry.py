"""The shared entry point: technique lookup, seed and input checks, tempo kept."""

import pytest

from generation.errors import GenerationInputError, GenerationParamError, UnknownTechniqueError
from generation.registry import MAX_BARS, TECHNIQUES, check_input, generate
from music.score import Note, Score, Track


def melody(bars: int) -> Score:
    notes = [Note(start=i * 480, pitch=60 + i % 7, duration=480) for i in range(4 * bars)]
    return Score([Track(notes)], resolution=480, tempo=93.0)


def test_it_rejects_inputs_longer_than_32_bars():
    with pytest.raises(GenerationInputError) as caught:
        check_input(melody(MAX_BARS + 1))
    assert caught.value.message == (
        "The input is 33 bars long; the limit is 32 bars. Use a shorter excerpt."
    )
    check_input(melody(MAX_BARS))


def test_it_rejects_inputs_without_pitched_notes():
    drums = Score([Track([Note(0, 36, 120)], is_drum=True)])
    with pytest.raises(GenerationInputError, match="no pitched notes"):
        check_input(drums)
    with pytest.raises(GenerationInputError, match="no pitched notes"):
        check_input(Score([Track([])]))


def test_it_rejects_unknown_techniques_and_bad_seeds():
    with pytest.raises(UnknownTechniqueError, match="Unknown technique 'bogus'"):
        generate("bogus", melody(2), {}, 0)
    with pytest.raises(GenerationParamError, match="seed must be a whole number"):
        generate("arcnn", melody(2), {}, -1)


def test_parameters_are_checked_before_the_input():
    with pytest.raises(
        GenerationParamError, match=r"Creative risk must be between 0\.5 and 6, not 9\."
    ):
        generate("arcnn", melody(40), {"creative_risk": 9}, 0)


def test_every_technique_describes_itself_for_the_studio():
    for technique in TECHNIQUES.values():
        data = technique.to_json()
        assert data["name"] == technique.name
        assert data["version"].startswith(f"{technique.name}-")
        assert all(p["help"].endswith(".") for p in data["params"])


def test_an_input_cannot_hide_its_length_in_an_absurd_meter():
    # 255/1: one written bar holds 1,020 beats, so 64 bars of music look like 1 bar.
    notes = [Note(i * 480, 60 + i % 5, 480) for i in range(64 * 4)]
    score = Score([Track(notes)], resolution=480, time_signature=(255, 1))
    assert score.bar_count == 1
    with pytest.raises(GenerationInputError) as refused:
        check_input(score)
    assert refused.value.message == (
        "The input is 64 bars of 4/4 long (its 255/1 bars are longer than any usual "
        "meter's); the limit is 32 bars. Use a shorter excerpt."
    )


def test_the_transformer_reports_how_far_the_extension_has_got():
    """Issue 20, item 2: its progress moves from the start of the extension to its end."""
    from music.catalogue import load_sample

    seen: list[float] = []
    generate("transformer", load_sample("ode-to-joy"), {}, 3, seen.append)
    assert len(seen) > 10
    assert seen == sorted(seen)
    assert seen[-1] > 0.8
