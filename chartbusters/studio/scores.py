"""The one place where the studio calls the music library.

Parsing and checking inputs (uploads, sample melodies, notes from the keyboard recorder
or the piano-roll editor) is plain Python and runs in the web process; rendering audio
is only ever called from Celery tasks. Roll JSON (what the browser draws) is
``{ticks_per_beat, length, time_signature, tracks: [{program, name, is_drum,
notes: [[pitch, start, duration, velocity], ...]}]}`` with times in ticks and ``length``
the whole bars the notes span, in ticks.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from typing import Any

from chartbusters.core.errors import ApplicationError
from chartbusters.core.renders import render_ogg as render_ogg  # tasks render through here
from chartbusters.evaluator.scoring import parse_upload
from chartbusters.studio.generators import MAX_BARS
from music import catalogue
from music.midi_io import score_from_midi, score_to_midi
from music.played import written_out
from music.score import MAX_RESOLUTION, Note, Score, Track
from music.validate import Limits

MAX_UPLOAD_BYTES = Limits().max_bytes
MAX_NOTES = 5000
MIN_TEMPO, MAX_TEMPO = Limits().min_tempo, Limits().max_tempo
# Any resolution a MIDI file can hold: the editor sends back the one of the piece it opened.
MIN_TICKS_PER_BEAT, MAX_TICKS_PER_BEAT = 1, MAX_RESOLUTION
DENOMINATORS = (1, 2, 4, 8, 16, 32)
# A played-in file is saved at its sequencer's tempo (120 bpm), not its player's: one
# played at 40 bpm spans three times as many of its file's bars as it will once written out.
FOLLOW_BARS_FACTOR = 4


# ----- checks shared by every input --------------------------------------------------


def check_bars(score: Score, max_bars: int = MAX_BARS) -> None:
    if score.measured_bar_count > max_bars:
        raise ApplicationError(
            f"The music is {score.length_in_bars}; the studio takes at most "
            f"{max_bars} bars. Use a shorter excerpt.",
            code="too_many_bars",
        )


def score_from_upload(data: bytes, max_bars: int = MAX_BARS) -> Score:
    """Validate uploaded MIDI bytes (the validator's code and message on refusal)."""
    score = _parse(data)
    check_bars(score, max_bars)
    return score


def _parse(data: bytes) -> Score:
    if len(data) > MAX_UPLOAD_BYTES:
        raise ApplicationError(
            f"The file is {len(data) // 1024} KB; the limit is {MAX_UPLOAD_BYTES // 1024} KB.",
            code="too_large",
        )
    return parse_upload(data)


@dataclass(frozen=True)
class Upload:
    """An upload as the studio keeps it, and what to tell its owner about it."""

    score: Score
    notice: str = ""


def read_upload(data: bytes, max_bars: int = MAX_BARS, *, follow_beat: bool = True) -> Upload:
    """Validate uploaded MIDI bytes and, with ``follow_beat``, write a piece played in
    without the click out on its player's beat (:func:`music.played.written_out`; a
    written file is kept as it is). The bar limit counts the bars as kept; a file with
    more than ``FOLLOW_BARS_FACTOR`` times as many is refused as it is."""
    score = _parse(data)
    changed = False
    if follow_beat and score.measured_bar_count <= max_bars * FOLLOW_BARS_FACTOR:
        reading = written_out(score)
        score, changed = reading.score, reading.changed
    check_bars(score, max_bars)
    if not changed:
        return Upload(score)
    numerator, denominator = score.time_signature
    return Upload(
        score,
        notice=(
            "Your file was played without a click, so its notes were off its beats: they "
            f"are now written out on your own beat (about {round(score.tempo)} quarter "
            f"notes a minute, in {numerator}/{denominator}), as you played them. To keep "
            "the file's own timing, upload it again with \"Keep my file's timing\" ticked."
        ),
    )


# ----- notes from the browser -----------------------------------------------------------


MAX_TRACKS = Limits().max_tracks


@dataclass(frozen=True)
class TrackNotes:
    """One part from the browser; ``where`` names it in messages (``tracks[1].``, or
    nothing for the single-track form)."""

    notes: list[list[int]]
    program: int = 0
    name: str = ""
    is_drum: bool = False
    where: str = ""


@dataclass(frozen=True)
class NotesInput:
    """Notes as the keyboard recorder and the piano-roll editor send them: one track
    (``notes`` + ``program``), or several (``tracks``) for an edit of a multi-track piece."""

    tempo: float
    ticks_per_beat: int
    tracks: tuple[TrackNotes, ...]
    time_signature: tuple[int, int] = (4, 4)
    title: str = ""


def _check_range(name: str, value: float, low: float, high: float) -> None:
    if not low <= value <= high:
        raise ApplicationError(
            f"{name} must be between {low:g} and {high:g}, not {value:g}.", code="invalid_notes"
        )


def _note(where: str, values: list[int]) -> Note:
    if len(values) != 4:
        raise ApplicationError(
            f"{where} must be [pitch, start, duration, velocity].", code="invalid_notes"
        )
    pitch, start, duration, velocity = values
    _check_range(f"{where}: the pitch", pitch, 0, 127)
    _check_range(f"{where}: the velocity", velocity, 1, 127)
    if start < 0:
        raise ApplicationError(f"{where}: the start must be 0 or later.", code="invalid_notes")
    if duration <= 0:
        raise ApplicationError(
            f"{where}: the duration must be greater than 0.", code="invalid_notes"
        )
    return Note(start=start, pitch=pitch, duration=duration, velocity=velocity)


def _track(data: TrackNotes, *, several: bool) -> Track:
    _check_range(f"{data.where}program", data.program, 0, 127)
    if several and not data.notes:
        raise ApplicationError(
            f"{data.where.rstrip('.')} has no notes; leave it out.", code="invalid_notes"
        )
    notes = sorted(_note(f"{data.where}notes[{i}]", v) for i, v in enumerate(data.notes))
    name = " ".join(data.name.split()) or ("Drums" if data.is_drum else "Melody")
    return Track(notes=notes, program=data.program, is_drum=data.is_drum, name=name)


def score_from_notes(data: NotesInput, max_bars: int = MAX_BARS) -> Score:
    """A Score from browser notes (one track or several), checked like an upload, of at
    most ``max_bars`` bars."""
    _check_range("tempo", data.tempo, MIN_TEMPO, MAX_TEMPO)
    _check_range("ticks_per_beat", data.ticks_per_beat, MIN_TICKS_PER_BEAT, MAX_TICKS_PER_BEAT)
    numerator, denominator = data.time_signature
    _check_range("time_signature numerator", numerator, 1, 32)
    if denominator not in DENOMINATORS:
        raise ApplicationError(
            f"The time signature's denominator must be one of {DENOMINATORS}, not {denominator}.",
            code="invalid_notes",
        )
    if not data.tracks:
        raise ApplicationError("Send at least one track.", code="invalid_notes")
    if len(data.tracks) > MAX_TRACKS:
        raise ApplicationError(
            f"There are {len(data.tracks)} tracks; the limit is {MAX_TRACKS}.",
            code="invalid_notes",
        )
    total = sum(len(track.notes) for track in data.tracks)
    if not total:
        raise ApplicationError("Add at least one note.", code="invalid_notes")
    if total > MAX_NOTES:
        raise ApplicationError(
            f"There are {total} notes; the limit is {MAX_NOTES}.", code="invalid_notes"
        )
    several = len(data.tracks) > 1
    score = Score(
        tracks=[_track(track, several=several) for track in data.tracks],
        resolution=data.ticks_per_beat,
        tempo=float(data.tempo),
        time_signature=(numerator, denominator),
        title=data.title,
    )
    check_bars(score, max_bars)
    # The same rules as an upload (duration in seconds, for one): round-trip the bytes.
    return score_from_upload(score_to_midi(score), max_bars)


# ----- samples ---------------------------------------------------------------------------


def sample_score(slug: str) -> Score:
    """A sample melody's Score; 400 for a slug that is not in the catalogue."""
    try:
        return catalogue.load_sample(slug)
    except KeyError:
        raise ApplicationError(
            f"There is no sample melody called {slug!r}.", code="unknown_sample"
        ) from None


def sample_exists(slug: str) -> bool:
    return any(sample.slug == slug for sample in catalogue.list_samples())


@functools.cache
def sample_midi(slug: str) -> bytes:
    return catalogue.get_sample(slug).path.read_bytes()


def sample_audio_name(slug: str) -> str:
    """Where a sample's rendered audio is cached; a new MIDI file gets a new name."""
    digest = hashlib.sha256(sample_midi(slug)).hexdigest()[:10]
    return f"studio/samples/{slug}-{digest}.ogg"


@functools.cache
def samples_json() -> tuple[dict[str, Any], ...]:
    """The catalogue with each melody's roll (the files are committed and never change)."""
    rows = []
    for sample in catalogue.list_samples():
        score = catalogue.load_sample(sample.slug)
        rows.append(
            {
                "slug": sample.slug,
                "title": sample.title,
                "description": sample.source,
                "key": sample.key,
                "meter": list(sample.meter),
                "tempo": sample.tempo,
                "bars": sample.bars,
                "roll": roll_json(score),
            }
        )
    return tuple(rows)


# ----- stored compositions ---------------------------------------------------------------


def roll_json(score: Score) -> dict[str, Any]:
    return {
        "ticks_per_beat": score.resolution,
        "length": max(1, score.bar_count) * score.ticks_per_bar,
        "time_signature": list(score.time_signature),
        "tracks": [
            {
                "program": track.program,
                "name": track.name,
                "is_drum": track.is_drum,
                "notes": [[n.pitch, n.start, n.duration, n.velocity] for n in track.notes],
            }
            for track in score.tracks
        ],
    }


def midi_bytes(score: Score) -> bytes:
    return score_to_midi(score)


def score_from_stored_midi(data: bytes) -> Score:
    """Our own files: structure checks only (they were validated when they came in)."""
    return score_from_midi(data)
