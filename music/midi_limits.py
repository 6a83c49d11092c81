"""What a MIDI file may hold, and the errors a refused file gets (``music.validate``)."""

from __future__ import annotations

import math
from dataclasses import dataclass

MIDI_DEFAULT_MPQN = 500_000  # microseconds per quarter note = 120 bpm
NO_LIMIT = 1 << 62  # larger than any count or tick position a file can reach


@dataclass(frozen=True, slots=True)
class Limits:
    """What an uploaded file may contain; override any field per challenge."""

    max_bytes: int = 512 * 1024
    max_tracks: int = 16
    max_notes: int = 20_000
    # Every event costs parse time even when it makes no note (controller floods,
    # sysex bombs); 200k is ten times a dense 20k-note performance with pedalling.
    max_events: int = 200_000
    max_seconds: float = 600.0
    min_tempo: float = 20.0
    max_tempo: float = 400.0
    require_pitched_notes: bool = True


class MidiValidationError(Exception):
    """Why a file was refused: ``code`` is a stable slug, ``message`` is for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __repr__(self) -> str:
        return f"MidiValidationError({self.code!r}, {self.message!r})"


# ----- errors ------------------------------------------------------------------------


def clock(seconds: float, up: bool = False) -> str:
    """Seconds as m:ss, the way a participant reads a duration; ``up`` rounds up, so a
    duration just over a limit never reads the same as the limit."""
    whole = math.ceil(seconds) if up else round(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def truncated() -> MidiValidationError:
    return MidiValidationError("truncated", "The file ends in the middle of its data.")


def corrupt(what: str) -> MidiValidationError:
    return MidiValidationError("corrupt", f"The file is damaged: {what}.")


def too_long(limit_seconds: float) -> MidiValidationError:
    return MidiValidationError(
        "too_long",
        f"The music lasts longer than {clock(limit_seconds)}; the limit is {clock(limit_seconds)}.",
    )
