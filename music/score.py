"""The Score: one small, typed, in-memory representation of a composition.

Times are integer ticks at ``resolution`` ticks per quarter note, so converting to and
from MIDI is exact. A Score carries one tempo and one time signature (the first in the
file): our generators and metrics work in musical time, and a single tempo is what the
studio and DeepComposer use. Notes are kept sorted by (start, pitch) per track.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from operator import attrgetter
from typing import Any

DEFAULT_RESOLUTION = 480
DEFAULT_TEMPO = 120.0
DRUM_CHANNEL = 9
MAX_RESOLUTION = 0x7FFF  # the most ticks per beat a MIDI file's header can give
MAX_COUNTED_BAR_BEATS = 6  # see Score.counts_in_written_bars


@dataclass(frozen=True, slots=True, order=True)
class Note:
    """One note: ``start`` and ``duration`` in ticks, ``pitch`` and ``velocity`` 0-127."""

    start: int
    pitch: int
    duration: int
    velocity: int = 80

    @property
    def end(self) -> int:
        return self.start + self.duration


# The order Notes compare in, as a sort key: sorting by it is several times faster than
# sorting Notes themselves (each comparison of two Notes builds two tuples).
NOTE_ORDER = attrgetter("start", "pitch", "duration", "velocity")


@dataclass(slots=True)
class Track:
    """A part: one instrument (General MIDI ``program`` 0-127) or the drum kit."""

    notes: list[Note] = field(default_factory=list)
    program: int = 0
    is_drum: bool = False
    name: str = ""

    def sorted(self) -> Track:
        return replace(self, notes=sorted(self.notes, key=NOTE_ORDER))


@dataclass(slots=True)
class Score:
    """A composition: tracks of notes on a tick grid with one tempo and meter."""

    tracks: list[Track] = field(default_factory=list)
    resolution: int = DEFAULT_RESOLUTION
    tempo: float = DEFAULT_TEMPO
    time_signature: tuple[int, int] = (4, 4)
    title: str = ""

    # ----- derived quantities -------------------------------------------------

    @property
    def seconds_per_tick(self) -> float:
        return 60.0 / (self.tempo * self.resolution)

    @property
    def ticks_per_bar(self) -> int:
        numerator, denominator = self.time_signature
        return self.resolution * 4 * numerator // denominator

    @property
    def end_tick(self) -> int:
        """The tick at which the last note ends (0 for an empty score)."""
        return max((n.start + n.duration for t in self.tracks for n in t.notes), default=0)

    @property
    def duration_seconds(self) -> float:
        return self.end_tick * self.seconds_per_tick

    @property
    def bar_count(self) -> int:
        """Bars spanned by the notes, a partly filled last bar counting as one."""
        end = self.end_tick
        return math.ceil(end / self.ticks_per_bar) if end else 0

    @property
    def counts_in_written_bars(self) -> bool:
        """Whether limits may count this score's bars as written: only when a bar lasts
        at most ``MAX_COUNTED_BAR_BEATS`` quarter notes (6/4 and 12/8 are the longest
        usual meters). A 255/1 meter would make ten minutes of music "4 bars"."""
        return self.ticks_per_bar <= MAX_COUNTED_BAR_BEATS * self.resolution

    @property
    def measured_bar_count(self) -> int:
        """Bars the notes span on a sane grid: as written in a usual meter, else in 4/4
        bars. Every limit on length in bars uses this, never ``bar_count``."""
        if self.counts_in_written_bars:
            return self.bar_count
        end = self.end_tick
        return math.ceil(end / (4 * self.resolution)) if end else 0

    @property
    def length_in_bars(self) -> str:
        """``measured_bar_count`` for messages ("8 bars long"), saying why when it is not
        counted as written."""
        bars = self.measured_bar_count
        if self.counts_in_written_bars:
            return f"{bars} bars long"
        numerator, denominator = self.time_signature
        return (
            f"{bars} bars of 4/4 long (its {numerator}/{denominator} bars are longer than "
            "any usual meter's)"
        )

    @property
    def note_count(self) -> int:
        return sum(len(t.notes) for t in self.tracks)

    def pitched_tracks(self) -> list[Track]:
        return [t for t in self.tracks if not t.is_drum]

    def all_notes(self, *, include_drums: bool = False) -> list[Note]:
        """Every note of every (pitched, unless asked) track, sorted by start and pitch."""
        notes = [n for t in self.tracks if include_drums or not t.is_drum for n in t.notes]
        notes.sort(key=NOTE_ORDER)
        return notes

    def copy(self) -> Score:
        return replace(self, tracks=[replace(t, notes=list(t.notes)) for t in self.tracks])

    def ticks_to_seconds(self, ticks: int | float) -> float:
        return ticks * self.seconds_per_tick

    def seconds_to_ticks(self, seconds: float) -> int:
        return round(seconds / self.seconds_per_tick)

    # ----- browser JSON -------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready note list for the browser, with times in seconds and beats."""
        spt = self.seconds_per_tick
        return {
            "title": self.title,
            "tempo": self.tempo,
            "time_signature": list(self.time_signature),
            "resolution": self.resolution,
            "duration": round(self.duration_seconds, 4),
            "bars": self.bar_count,
            "tracks": [
                {
                    "name": t.name,
                    "program": t.program,
                    "is_drum": t.is_drum,
                    "notes": [
                        {
                            "pitch": n.pitch,
                            "velocity": n.velocity,
                            "start": round(n.start * spt, 4),
                            "duration": round(n.duration * spt, 4),
                            "start_beat": n.start / self.resolution,
                            "duration_beats": n.duration / self.resolution,
                        }
                        for n in t.notes
                    ],
                }
                for t in self.tracks
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Score:
        """Inverse of :meth:`to_json` (beats win over seconds when both are given)."""
        resolution = int(data.get("resolution", DEFAULT_RESOLUTION))
        tempo = float(data.get("tempo", DEFAULT_TEMPO))
        spt = 60.0 / (tempo * resolution)

        def ticks(note: dict[str, Any], beats_key: str, seconds_key: str) -> int:
            if beats_key in note:
                return round(float(note[beats_key]) * resolution)
            return round(float(note[seconds_key]) / spt)

        tracks = [
            Track(
                notes=sorted(
                    Note(
                        start=ticks(n, "start_beat", "start"),
                        pitch=int(n["pitch"]),
                        duration=ticks(n, "duration_beats", "duration"),
                        velocity=int(n.get("velocity", 80)),
                    )
                    for n in t.get("notes", [])
                ),
                program=int(t.get("program", 0)),
                is_drum=bool(t.get("is_drum", False)),
                name=str(t.get("name", "")),
            )
            for t in data.get("tracks", [])
        ]
        numerator, denominator = data.get("time_signature", (4, 4))
        return cls(
            tracks=tracks,
            resolution=resolution,
            tempo=tempo,
            time_signature=(int(numerator), int(denominator)),
            title=str(data.get("title", "")),
        )
