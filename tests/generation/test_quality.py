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
