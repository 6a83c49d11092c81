"""Piano-roll pictures of a Score as standalone SVG.

``render_svg(score)`` draws one rectangle per note (class ``note``), tracks in distinct
colours with a legend, bar lines (class ``bar``) with lighter beat lines, a pitch axis
labelled at every C (C2, C3, ...) and the title. The pitch axis is cropped to the notes'
range plus a margin. ``render_svg(score, thumbnail=True)`` draws only the notes and faint
bar lines, small enough for a gallery. All text is escaped: titles and track names are
user input.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from music.score import Score

# Tableau 10: distinct on white, and still told apart by most colour-blind viewers.
PALETTE = (
    "#4e79a7",
    "#f28e2b",
    "#59a14f",
    "#e15759",
    "#76b7b2",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
)
PITCH_MARGIN = 2  # semitones shown above the highest and below the lowest note
MIN_PITCH_SPAN = 12  # show at least an octave, so a one-note roll is not one fat bar
NOTE_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")


@dataclass(frozen=True)
class _Frame:
    """Where the roll sits inside the picture, and the scales from music to pixels."""

    left: float
    top: float
    width: float
    height: float
    low: int  # lowest pitch shown
    high: int  # highest pitch shown
    ticks: int  # ticks shown (whole bars)

    def x(self, tick: float) -> float:
        return self.left + tick * self.width / self.ticks

    def y(self, pitch: float) -> float:
        """Top edge of the row of ``pitch``."""
        row_height = self.height / (self.high - self.low + 1)
        return self.top + (self.high - pitch) * row_height

    @property
    def row_height(self) -> float:
        return self.height / (self.high - self.low + 1)


def pitch_name(pitch: int) -> str:
    """MIDI 60 -> ``"C4"``."""
    return f"{NOTE_NAMES[pitch % 12]}{pitch // 12 - 1}"


def beat_ticks(score: Score) -> int:
    """Ticks per counted beat: the dotted quarter in 6/8, 9/8, 12/8; else the denominator."""
    numerator, denominator = score.time_signature
    unit = score.resolution * 4 // denominator
    if denominator == 8 and numerator % 3 == 0 and numerator > 3:
        return unit * 3
    return unit


def _pitch_range(score: Score) -> tuple[int, int]:
    pitches = [n.pitch for t in score.tracks for n in t.notes]
    if not pitches:
        return 60 - MIN_PITCH_SPAN // 2, 60 + MIN_PITCH_SPAN // 2
    low, high = min(pitches) - PITCH_MARGIN, max(pitches) + PITCH_MARGIN
    missing = MIN_PITCH_SPAN - (high - low)
    if missing > 0:
        low -= missing // 2
        high += missing - missing // 2
    return max(0, low), min(127, high)


def _num(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def render_svg(
    score: Score,
    width: int | None = None,
    height: int | None = None,
    *,
    thumbnail: bool = False,
    title: str | None = None,
) -> str:
    """The Score as an SVG document (a string).

    Defaults: 960 x 360 pixels, or 160 x 48 for a thumbnail. ``title`` overrides the
    Score's title.
    """
    width = width or (160 if thumbnail else 960)
    height = height or (48 if thumbnail else 360)
    text = score.title if title is None else title
    low, high = _pitch_range(score)
    bars = max(1, score.bar_count)
    if thumbnail:
        frame = _Frame(1, 1, width - 2, height - 2, low, high, bars * score.ticks_per_bar)
    else:
        frame = _Frame(44, 30, width - 56, height - 64, low, high, bars * score.ticks_per_bar)
    label = escape(text or "Piano roll", quote=True)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{label}">',
        f"<title>{escape(text or 'Piano roll')}</title>",
        f'<rect class="background" x="0" y="0" width="{width}" height="{height}" fill="#fff"/>',
    ]
    if not thumbnail:
        parts += _pitch_grid(frame)
    parts += _time_grid(score, frame, thumbnail=thumbnail)
    parts += _notes(score, frame)
    if not thumbnail:
        parts += _labels(score, frame, text, width, height)
    parts.append("</svg>")
    return "\n".join(parts)


def render_thumbnail(score: Score, width: int = 160, height: int = 48) -> str:
    return render_svg(score, width, height, thumbnail=True)


def _pitch_grid(frame: _Frame) -> list[str]:
    """Shaded black-key rows, and a line plus a label at every C."""
    parts = []
    right = frame.left + frame.width
    for pitch in range(frame.low, frame.high + 1):
        y = frame.y(pitch)
        if pitch % 12 in (1, 3, 6, 8, 10):
            parts.append(
                f'<rect class="key" x="{_num(frame.left)}" y="{_num(y)}" '
                f'width="{_num(frame.width)}" height="{_num(frame.row_height)}" fill="#f4f4f6"/>'
            )
        if pitch % 12 == 0:
            bottom = y + frame.row_height
            parts.append(
                f'<line class="octave" x1="{_num(frame.left)}" y1="{_num(bottom)}" '
                f'x2="{_num(right)}" y2="{_num(bottom)}" stroke="#d0d0d8" stroke-width="1"/>'
            )
            parts.append(
                f'<text class="pitch-label" x="{_num(frame.left - 6)}" '
                f'y="{_num(bottom)}" text-anchor="end" font-family="sans-serif" '
                f'font-size="10" fill="#555">{pitch_name(pitch)}</text>'
            )
    return parts


def _time_grid(score: Score, frame: _Frame, *, thumbnail: bool) -> list[str]:
    parts = []
    top, bottom = _num(frame.top), _num(frame.top + frame.height)
    beat = beat_ticks(score)
    if not thumbnail and beat < score.ticks_per_bar:
        for tick in range(beat, frame.ticks, beat):
            if tick % score.ticks_per_bar:
                x = _num(frame.x(tick))
                parts.append(
                    f'<line class="beat" x1="{x}" y1="{top}" x2="{x}" y2="{bottom}" '
                    'stroke="#ececf0" stroke-width="1"/>'
                )
    colour, stroke = ("#e0e0e6", "0.5") if thumbnail else ("#9a9aa6", "1")
    for tick in range(0, frame.ticks + 1, score.ticks_per_bar):
        x = _num(frame.x(tick))
        parts.append(
            f'<line class="bar" x1="{x}" y1="{top}" x2="{x}" y2="{bottom}" '
            f'stroke="{colour}" stroke-width="{stroke}"/>'
        )
    return parts


def _notes(score: Score, frame: _Frame) -> list[str]:
    parts = []
    height = max(frame.row_height - 0.5, 0.5)
    for index, track in enumerate(score.tracks):
        colour = PALETTE[index % len(PALETTE)]
        parts.append(f'<g class="track" data-track="{index}" fill="{colour}">')
        for note in track.notes:
            x = frame.x(note.start)
            width = max(frame.x(note.end) - x - 0.5, 0.5)
            opacity = 0.45 + 0.55 * min(note.velocity, 127) / 127
            parts.append(
                f'<rect class="note" x="{_num(x)}" y="{_num(frame.y(note.pitch) + 0.25)}" '
                f'width="{_num(width)}" height="{_num(height)}" rx="1" '
                f'fill-opacity="{_num(opacity)}"/>'
            )
        parts.append("</g>")
    return parts


def _labels(score: Score, frame: _Frame, text: str, width: int, height: int) -> list[str]:
    parts = [
        f'<text class="title" x="{_num(frame.left)}" y="20" font-family="sans-serif" '
        f'font-size="14" font-weight="bold" fill="#222">{escape(text)}</text>'
    ]
    x = frame.left
    y = height - 12
    for index, track in enumerate(score.tracks):
        colour = PALETTE[index % len(PALETTE)]
        name = track.name or ("Drums" if track.is_drum else f"Track {index + 1}")
        parts.append(
            f'<rect class="swatch" x="{_num(x)}" y="{_num(y - 9)}" width="10" height="10" '
            f'fill="{colour}"/>'
        )
        parts.append(
            f'<text class="legend" x="{_num(x + 14)}" y="{_num(y)}" font-family="sans-serif" '
            f'font-size="11" fill="#333">{escape(name)}</text>'
        )
        x += 24 + 7 * len(name)
        if x > width - 40:
            break
    return parts
