"""Standard MIDI Files to and from :class:`~music.score.Score`.

Reading goes through the validating parser in :mod:`music.validate` (its docstring gives
the rules by which a file becomes a Score). Writing produces a type-1 file: a conductor
track (title, time signature, tempo), then one MIDI track per Score track with its name,
its program change and its notes. Drum tracks play on channel 10 (index 9); pitched
tracks take channels 0-8 and 10-15 in turn, sharing channels after the fifteenth.

A Score survives ``score_from_midi(score_to_midi(score))`` exactly (ticks, pitches,
velocities, programs, names, title, meter) when its notes are valid MIDI (pitch 0-127,
velocity 1-127, duration > 0) and no note of one pitch starts inside and ends inside
another of the same pitch in the same track: MIDI note-offs do not say which note they
end, so such nested pairs come back paired first-in first-out. (Every Score read from
a MIDI file meets this, since reading pairs first-in first-out.) The tempo is stored as
whole microseconds per beat, so it comes back as ``60e6 / round(60e6 / tempo)``.
"""

from __future__ import annotations

import os
import struct

from music.score import DRUM_CHANNEL, MAX_RESOLUTION, Score, Track
from music.validate import Limits, parse_midi, validate_midi

PITCHED_CHANNELS = tuple(c for c in range(16) if c != DRUM_CHANNEL)
_END_OF_TRACK = b"\x00\xff\x2f\x00"
_CLOCKS_PER_CLICK = 24  # metronome click once per quarter note, the common default
_THIRTY_SECONDS_PER_QUARTER = 8


def score_from_midi(data: bytes, limits: Limits | None = None) -> Score:
    """Read MIDI bytes. With ``limits`` this is :func:`music.validate.validate_midi`
    (pass them for anything a user uploaded); without, only the structure is checked."""
    if limits is None:
        return parse_midi(data)
    return validate_midi(data, limits)


def read_midi_file(path: str | os.PathLike[str], limits: Limits | None = None) -> Score:
    """Read a MIDI file from disk; see :func:`score_from_midi`."""
    with open(path, "rb") as handle:
        return score_from_midi(handle.read(), limits)


def write_midi_file(score: Score, path: str | os.PathLike[str]) -> None:
    """Write ``score`` to disk as a type-1 Standard MIDI File."""
    data = score_to_midi(score)
    with open(path, "wb") as handle:
        handle.write(data)


def score_to_midi(score: Score) -> bytes:
    """Encode ``score`` as a type-1 Standard MIDI File.

    Raises ValueError for what MIDI cannot hold: a resolution outside 1-32767, a tempo
    outside about 3.6-60,000,000 bpm, a time signature whose denominator is not a power
    of two, or a note with a pitch outside 0-127, a negative start or duration.
    Velocities are clamped to 1-127 (a note-on with velocity 0 would be a note-off) and
    zero-length notes are skipped (they do not exist in MIDI).
    """
    if not 1 <= score.resolution <= MAX_RESOLUTION:
        raise ValueError(
            f"resolution {score.resolution} is outside 1-{MAX_RESOLUTION} ticks per beat"
        )
    out = bytearray(b"MThd")
    out += struct.pack(">IHHH", 6, 1, len(score.tracks) + 1, score.resolution)
    _append_chunk(out, _conductor_track(score))
    pitched = 0
    for track in score.tracks:
        if track.is_drum:
            channel = DRUM_CHANNEL
        else:
            channel = PITCHED_CHANNELS[pitched % len(PITCHED_CHANNELS)]
            pitched += 1
        _append_chunk(out, _note_track(track, channel))
    return bytes(out)


def _append_chunk(out: bytearray, body: bytes | bytearray) -> None:
    out += b"MTrk"
    out += len(body).to_bytes(4, "big")
    out += body


def _vlq(value: int) -> bytes:
    """Encode a variable-length quantity (7 bits per byte, high bit = more follows)."""
    if value < 0x80:
        return bytes((value,))
    if value > 0x0FFFFFFF:
        raise ValueError(f"{value} ticks is more than a MIDI delta time can hold")
    groups = [value & 0x7F]
    value >>= 7
    while value:
        groups.append(0x80 | (value & 0x7F))
        value >>= 7
    return bytes(reversed(groups))


def _meta(meta_type: int, payload: bytes) -> bytes:
    """A meta event at delta time 0."""
    return bytes((0, 0xFF, meta_type)) + _vlq(len(payload)) + payload


def _conductor_track(score: Score) -> bytes:
    body = bytearray()
    if score.title:
        body += _meta(0x03, score.title.encode("utf-8"))
    numerator, denominator = score.time_signature
    power = denominator.bit_length() - 1
    if not 1 <= numerator <= 255 or denominator < 1 or 1 << power != denominator or power > 255:
        raise ValueError(f"time signature {numerator}/{denominator} cannot be written to MIDI")
    body += _meta(0x58, bytes((numerator, power, _CLOCKS_PER_CLICK, _THIRTY_SECONDS_PER_QUARTER)))
    if not score.tempo > 0:
        raise ValueError(f"tempo {score.tempo} bpm is not positive")
    mpqn = round(60_000_000 / score.tempo)
    if not 1 <= mpqn <= 0xFFFFFF:
        raise ValueError(f"tempo {score.tempo} bpm cannot be written to MIDI")
    body += _meta(0x51, mpqn.to_bytes(3, "big"))
    body += _END_OF_TRACK
    return bytes(body)


def _note_track(track: Track, channel: int) -> bytearray:
    """One MIDI track: name, program change, notes with running status, end of track."""
    body = bytearray()
    if track.name:
        body += _meta(0x03, track.name.encode("utf-8"))
    if not 0 <= track.program <= 127:
        raise ValueError(f"program {track.program} is outside 0-127")
    body += bytes((0, 0xC0 | channel, track.program))
    body += _note_events(track, 0x90 | channel)
    body += _END_OF_TRACK
    return body


def _note_events(track: Track, status: int) -> bytearray:
    """Note-ons and note-offs (note-on, velocity 0) in time order.

    At one tick, note-offs come before note-ons so a repeated note does not end itself,
    and note-ons of one pitch come shortest first so first-in first-out pairing on
    reading gives every note its own duration back.
    """
    events: list[tuple[int, int, int, int, int]] = []  # (tick, is_on, pitch, end, velocity)
    for note in track.notes:
        start, pitch, duration, velocity = note.start, note.pitch, note.duration, note.velocity
        if not 0 <= pitch <= 127 or start < 0 or duration < 0:
            raise ValueError(f"{note} cannot be written to MIDI")
        if duration:
            end = start + duration
            velocity = 1 if velocity < 1 else 127 if velocity > 127 else velocity
            events.append((start, 1, pitch, end, velocity))
            events.append((end, 0, pitch, 0, 0))
    events.sort()
    body = bytearray()
    if not events:
        return body
    body += _vlq(events[0][0])
    body += bytes((status, events[0][2], events[0][4]))
    last = events[0][0]
    for tick, _, pitch, _, velocity in events[1:]:
        delta = tick - last
        last = tick
        if delta < 0x80:
            body.append(delta)
        else:
            body += _vlq(delta)
        body.append(pitch)  # running status: the note-on status byte is implied
        body.append(velocity)
    return body
