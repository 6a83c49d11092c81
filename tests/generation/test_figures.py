"""Sixteenth-note passing notes in generated voices (generation.figures)."""

import numpy as np
import pytest

from generation.figures import passing_sixteenths
from music.score import Note

E = 12  # an eighth at 24 ticks per beat


def n(start: int, pitch: int, length: int = E) -> Note:
    return Note(start * E, pitch, length)


def voices_with_alto(alto: list[Note]) -> list[list[Note]]:
    soprano = [n(0, 79, 4 * E)]  # G5 held over everything
    bass = [n(0, 48, 4 * E)]  # C3 held
    return [soprano, alto, [], bass]


def split(voices: list[list[Note]], probability: float = 1.0) -> list[list[Note]]:
    written = [False, True, True, True]
    return passing_sixteenths(voices, written, E, 0, np.random.default_rng(0), probability)


def test_an_off_beat_eighth_leaping_a_third_gets_a_passing_sixteenth():
    alto = [n(0, 64, 2 * E), n(3, 64), n(4, 67, 2 * E)]  # E4 (quarter), E4 (off-beat 8th), G4
    out = split(voices_with_alto(alto))[1]
    assert [(x.start, x.pitch, x.duration) for x in out] == [
        (0, 64, 24),
        (36, 64, 6),
        (42, 65, 6),  # F4: the scale step between E and G
        (48, 67, 24),
    ]


def test_the_passing_note_is_the_scale_step_of_the_key():
    # E -> C down, in the key of C: D; moved a tone (key_move 2: the output is in B-flat)
    alto = [n(0, 62, 2 * E), n(3, 62), n(4, 58, 2 * E)]  # D4 -> B-flat3 in B-flat major
    out = passing_sixteenths(
        voices_with_alto(alto), [False, True, True, True], E, 2, np.random.default_rng(0), 1.0
    )[1]
    assert [x.pitch for x in out] == [62, 62, 60, 58]


@pytest.mark.parametrize(
    "alto",
    [
        [n(0, 64, 2 * E), n(2, 64, 2 * E), n(4, 67)],  # a quarter, not an off-beat eighth
        [n(0, 64, 2 * E), n(3, 64), n(4, 69)],  # a fourth: no single step between
        [n(0, 64, 2 * E), n(3, 64), n(5, 67)],  # a rest before the next note
        [n(0, 64, 2 * E), n(3, 64), n(4, 67, 2 * E)][::2],  # no off-beat eighth at all
    ],
)
def test_other_places_are_left_alone(alto):
    assert split(voices_with_alto(alto))[1] == sorted(alto)


def test_the_given_melody_is_never_touched():
    soprano = [n(0, 72, 2 * E), n(3, 72), n(4, 76, 2 * E)]
    voices = [soprano, [n(0, 64, 6 * E)], [], [n(0, 48, 6 * E)]]
    assert split(voices)[0] == soprano


def test_no_parallel_fifth_or_unison_is_written():
    # The alto would pass E4 -> F4 -> G4 while the bass moves A3 -> (held) -> C4 under G4:
    # F4 over A3... and G4 over C4 is a fifth; F4 -> G4 against B-flat3 -> C4 would be
    # parallel fifths: the bass here moves B-flat3 -> C4 at the passing note's end.
    alto = [n(0, 64, 2 * E), n(3, 64), n(4, 67, 2 * E)]
    bass = [n(0, 45, 2 * E), n(2, 58, 2 * E), n(4, 60, 2 * E)]  # A2, B-flat3, C4
    voices = [[n(0, 79, 6 * E)], alto, [], bass]
    assert split(voices)[1] == sorted(alto)  # F4/B-flat3 -> G4/C4 would be a parallel fifth
    tenor_on_f = [n(0, 65, 6 * E)]  # the tenor holds F4: the passing note would be a unison
    voices = [[n(0, 79, 6 * E)], alto, tenor_on_f, [n(0, 48, 6 * E)]]
    assert split(voices)[1] == sorted(alto)


def test_the_probability_draws_from_the_seed():
    places = []
    for k in range(40):  # forty off-beat eighths, each a third under the next beat's note
        places += [n(4 * k + 3, 64), n(4 * k + 4, 67, 3 * E)]
    voices = [[n(0, 79, 200 * E)], places, [], [n(0, 48, 200 * E)]]
    half = split(voices, 0.5)[1]
    added = len(half) - len(places)
    assert 10 < added < 30
    assert split(voices, 0.5) == split(voices, 0.5)
    assert len(split(voices, 0.0)[1]) == len(places)


def test_no_parallel_fifth_is_written_under_a_voice_above():
    alto = [n(0, 64, 2 * E), n(3, 64), n(4, 67, 2 * E)]  # E4, E4, G4: F4 would pass
    soprano = [n(0, 72, 4 * E), n(4, 74, 2 * E)]  # C5 over F4, then D5 over G4: fifths
    voices = [soprano, alto, [], [n(0, 48, 6 * E)]]
    assert split(voices)[1] == sorted(alto)
    soprano = [n(0, 72, 4 * E), n(4, 72, 2 * E)]  # C5 held: F4 -> G4 under it is fine
    assert len(split([soprano, alto, [], [n(0, 48, 6 * E)]])[1]) == len(alto) + 1


def test_no_parallel_is_heard_from_the_eighth_before_a_rising_passing_note():
    # Heard per eighth (its top pitch), the alto's D4 | E4-F4 | G4 reads D4 | F4 | G4; the
    # bass G2 | B-flat2 under it would make D4/G2 -> F4/B-flat2, a fifth to a fifth.
    alto = [n(2, 62), n(3, 64), n(4, 67, 2 * E)]
    bass = [n(0, 43, 3 * E), n(3, 46, 3 * E)]
    voices = [[n(0, 79, 6 * E)], alto, [], bass]
    assert split(voices)[1] == sorted(alto)
