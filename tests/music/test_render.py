"""Piano-roll SVG: well-formed, one rectangle per note, bar lines, labels, escaped text."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from music.render import PALETTE, pitch_name, render_svg, render_thumbnail
from music.score import Note, Score, Track

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own output


def with_class(root: ET.Element, tag: str, cls: str) -> list[ET.Element]:
    return [e for e in root.iter(f"{SVG}{tag}") if e.get("class") == cls]


def texts(root: ET.Element, cls: str) -> list[str]:
    return [e.text or "" for e in with_class(root, "text", cls)]


@pytest.fixture
def duet() -> Score:
    melody = Track([Note(i * 480, 60 + i, 480, 100) for i in range(8)], name="Melody")
    bass = Track([Note(0, 41, 1920, 70), Note(1920, 43, 1920, 70)], program=33, name="Bass")
    return Score([melody, bass], resolution=480, tempo=100.0, title="Duet")


def test_it_is_well_formed_svg_with_one_rect_per_note(duet):
    root = parse(render_svg(duet))
    assert root.tag == f"{SVG}svg"
    assert len(with_class(root, "rect", "note")) == duet.note_count


def test_it_draws_a_line_at_every_bar_and_lighter_ones_at_the_beats(duet):
    root = parse(render_svg(duet))
    assert duet.bar_count == 2
    assert len(with_class(root, "line", "bar")) == duet.bar_count + 1
    assert len(with_class(root, "line", "beat")) == duet.bar_count * 3


def test_compound_meters_count_dotted_quarter_beats():
    score = Score([Track([Note(0, 60, 1440 * 2)])], resolution=480, time_signature=(6, 8))
    root = parse(render_svg(score))
    assert len(with_class(root, "line", "bar")) == 3
    assert len(with_class(root, "line", "beat")) == 2  # one mid-bar beat per 6/8 bar


def test_tracks_get_distinct_colours_and_a_legend(duet):
    root = parse(render_svg(duet))
    colours = [g.get("fill") for g in root.iter(f"{SVG}g") if g.get("class") == "track"]
    assert colours == list(PALETTE[:2])
    assert texts(root, "legend") == ["Melody", "Bass"]
    assert texts(root, "title") == ["Duet"]


def test_the_pitch_axis_is_cropped_to_the_notes_and_labels_every_c(duet):
    root = parse(render_svg(duet))
    # Notes span F2 (41) to G4 (67): with the margin, C3 and C4 are on the axis, C5 not.
    assert sorted(texts(root, "pitch-label")) == ["C3", "C4"]
    assert pitch_name(60) == "C4"
    assert pitch_name(36) == "C2"


def test_a_hostile_title_and_track_name_stay_text():
    evil = '<script>alert("x")</script> & "Friends"'
    score = Score([Track([Note(0, 60, 480)], name=evil)], resolution=480, title=evil)
    svg = render_svg(score)
    root = parse(svg)
    assert "<script" not in svg
    assert not list(root.iter(f"{SVG}script"))
    assert texts(root, "title") == [evil]
    assert texts(root, "legend") == [evil]
    assert root.get("aria-label") == evil


def test_an_empty_score_still_renders():
    root = parse(render_svg(Score()))
    assert not with_class(root, "rect", "note")
    assert len(with_class(root, "line", "bar")) == 2  # one empty bar


def test_a_thumbnail_is_small_and_has_only_notes_and_bar_lines(duet):
    svg = render_thumbnail(duet)
    root = parse(svg)
    assert root.get("width") == "160"
    assert root.get("height") == "48"
    assert len(with_class(root, "rect", "note")) == duet.note_count
    assert len(with_class(root, "line", "bar")) == duet.bar_count + 1
    assert not list(root.iter(f"{SVG}text"))
    assert len(svg) < len(render_svg(duet))


def test_sizes_can_be_chosen(duet):
    root = parse(render_svg(duet, width=400, height=200))
    assert (root.get("width"), root.get("height")) == ("400", "200")
