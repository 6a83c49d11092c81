"""The quality script's helpers: plain facts about notes, and the card's marked section."""

import pytest

from generation.quality_tables import END, START, texture, write_into_card
from music.score import Note, Score, Track


def c_major_melody():
    return Score([Track([Note(i * 480, p, 480) for i, p in enumerate((60, 62, 64, 65))])])


def test_texture_counts_notes_lengths_and_voices():
    score = c_major_melody()
    score.tracks[0].notes.append(Note(0, 64, 120))
    facts = texture(score)
    assert facts["notes"] == 5
    assert facts["median_beats"] == 1.0
    assert facts["sixteenths"] == pytest.approx(0.2)
    assert facts["voices"] == pytest.approx(5 / 4)


def test_the_card_section_between_the_markers_is_replaced(tmp_path):
    card = tmp_path / "MODEL_CARD.md"
    card.write_text(f"# Card\n\n{START}\nold\n{END}\n\n## After\n")
    write_into_card(card, "new table")
    assert card.read_text() == f"# Card\n\n{START}\nnew table\n{END}\n\n## After\n"


def four_voices(chords, beats=1):
    """Four tracks from a list of (S, A, T, B) pitch tuples, one chord per ``beats``."""
    length = 480 * beats
    tracks = [
        Track([Note(i * length, chord[v], length) for i, chord in enumerate(chords)])
        for v in range(4)
    ]
    return Score(tracks, resolution=480)


def test_strong_beats_are_the_first_and_middle_of_an_even_bar():
    from generation.arcnn.quality import strong_beats

    score = four_voices([(72, 67, 64, 48)] * 8)  # two bars of 4/4
    assert strong_beats(score) == [0, 960, 1920, 2880]
    three = Score(score.tracks, resolution=480, time_signature=(3, 4))
    assert strong_beats(three) == [0, 1440, 2880]  # eight beats: into a third bar


def test_strong_beat_chords_and_chord_tones_are_counted():
    from generation.arcnn.quality import strong_beat_statistics

    c_major, clash = (72, 67, 64, 48), (73, 67, 64, 48)  # C E G C; C# over C E G
    stats = strong_beat_statistics([four_voices([c_major, c_major, clash, clash])])
    assert stats == {"strong_chordal": 0.5, "strong_fit": 0.5, "strong_chord_tones": 0.5}


def test_an_incomplete_chord_fits_a_triad_or_seventh_without_being_one():
    from generation.arcnn.quality import strong_beat_statistics

    no_fifth = (72, 64, 60, 48)  # C E C C: a C major triad without its fifth
    dominant = (77, 71, 67, 55)  # F B G G: G7 without its fifth, D
    second = (74, 72, 64, 48)  # D over C E C: fits no triad or seventh
    stats = strong_beat_statistics([four_voices([no_fifth, no_fifth, dominant, second], beats=2)])
    assert stats == {"strong_chordal": 0.0, "strong_fit": 0.75, "strong_chord_tones": 0.75}


def test_every_note_sounding_counts_where_a_part_holds_overlapping_notes():
    from generation.arcnn.quality import strong_beat_statistics

    # One piano part: a whole-bar C under a quarter-note E, G and C that start with it.
    # Split by register, a part can hold the long C and a later short note at once.
    lower = Track([Note(0, 48, 1920), Note(0, 55, 480), Note(960, 52, 960)])
    upper = Track([Note(0, 72, 960), Note(960, 72, 960)])
    stats = strong_beat_statistics([Score([upper, lower], resolution=480)])
    # Beat 1: C G C; beat 3: C over E and the held C: both fit C major, neither complete.
    assert stats == {"strong_chordal": 0.0, "strong_fit": 1.0, "strong_chord_tones": 1.0}
    full = Track([Note(0, 48, 1920), Note(960, 52, 960), Note(960, 55, 960)])
    stats = strong_beat_statistics([Score([upper, full], resolution=480)])
    assert stats["strong_chordal"] == 0.5  # beat 3: C E G with the held C counted


def test_a_one_track_piece_is_split_into_four_voices_for_the_statistics():
    from generation.arcnn.quality import as_four_voices

    merged = Score([Track([n for t in four_voices([(72, 67, 64, 48)]).tracks for n in t.notes])])
    voices = as_four_voices(merged)
    assert [[n.pitch for n in t.notes] for t in voices.tracks] == [[72], [67], [64], [48]]
