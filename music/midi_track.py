"""Reading one MIDI track's events (``MTrk`` chunk) under a running budget: the hot
loop of ``music.validate``'s parser, which never trusts a number in the file."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field

from music.midi_limits import (
    NO_LIMIT,
    Limits,
    MidiValidationError,
    corrupt,
    too_long,
    truncated,
)

SUSTAIN = 64  # the sustain (damper) pedal's controller number

# ----- one track ---------------------------------------------------------------------


@dataclass(slots=True)
class Budget:
    """Running totals shared by all tracks, so a parse stops as soon as one passes."""

    notes_left: int
    events_left: int
    max_ticks: int
    limits: Limits | None

    @classmethod
    def start(cls, limits: Limits | None, resolution: int) -> Budget:
        if limits is None:
            return cls(NO_LIMIT, NO_LIMIT, NO_LIMIT, None)
        # No note may sound past this tick: even at the fastest allowed tempo it would
        # end after max_seconds.
        max_ticks = int(limits.max_seconds * limits.max_tempo / 60.0 * resolution)
        return cls(limits.max_notes, limits.max_events, max_ticks, limits)

    def too_many_notes(self) -> MidiValidationError:
        limit = self.limits.max_notes if self.limits else NO_LIMIT
        return MidiValidationError(
            "too_many_notes", f"The file has more than {limit:,} notes; the limit is {limit:,}."
        )

    def too_many_events(self) -> MidiValidationError:
        limit = self.limits.max_events if self.limits else NO_LIMIT
        return MidiValidationError(
            "too_many_events",
            f"The file has more than {limit:,} MIDI events; the limit is {limit:,}.",
        )

    def too_long(self) -> MidiValidationError:
        return too_long(self.limits.max_seconds if self.limits else 0.0)


# (start, pitch, duration, velocity): the field order of Note, so tuples sort like Notes.
NoteTuple = tuple[int, int, int, int]


@dataclass(slots=True)
class ParsedTrack:
    """What one MTrk chunk holds that the Score needs."""

    notes: list[list[NoteTuple]]  # by channel
    programs: dict[int, int] = field(default_factory=dict)  # channel -> program
    name: str | None = None
    tempos: list[tuple[int, int]] = field(default_factory=list)  # (tick, microseconds/quarter)
    time_signature: tuple[int, int, int] | None = None  # (tick, numerator, denominator)
    # Sustain pedal (controller 64) by channel: (tick, down), in the order of the file.
    pedals: list[list[tuple[int, bool]]] = field(default_factory=lambda: [[] for _ in range(16)])


def parse_track(chunk: bytes, budget: Budget) -> ParsedTrack:
    """Walk one track's events. This loop is the hot path, hence one flat function."""
    track = ParsedTrack(notes=[[] for _ in range(16)])
    notes = track.notes
    programs = track.programs
    sounding: dict[int, list[tuple[int, int]]] = {}  # channel << 7 | pitch -> [(start, vel)]
    notes_left = budget.notes_left
    max_ticks = budget.max_ticks
    size = len(chunk)
    pos = 0
    tick = 0
    status = 0  # running status; 0 until a channel message sets it
    events_left = budget.events_left
    try:
        while pos < size:
            # Delta time: a variable-length quantity of at most four bytes.
            byte = chunk[pos]
            pos += 1
            if byte & 0x80:
                delta = byte & 0x7F
                for _ in range(3):
                    byte = chunk[pos]
                    pos += 1
                    delta = (delta << 7) | (byte & 0x7F)
                    if not byte & 0x80:
                        break
                else:
                    raise corrupt("a delta time runs past four bytes")
                tick += delta
            else:
                tick += byte
            events_left -= 1
            if events_left < 0:
                raise budget.too_many_events()
            byte = chunk[pos]
            if byte & 0x80:
                pos += 1
                if byte >= 0xF0:
                    pos = system_event(chunk, pos, byte, tick, track)
                    if pos < 0:  # end of track
                        break
                    continue
                status = byte
                data1 = chunk[pos]
            elif status:
                data1 = byte
            else:
                raise corrupt("a running-status event comes before any status byte")
            pos += 1
            if data1 & 0x80:
                raise corrupt("a status byte appears where a data byte belongs")
            kind = status & 0xF0
            if kind == 0x90 or kind == 0x80:
                velocity = chunk[pos]
                pos += 1
                if velocity & 0x80:
                    raise corrupt("a status byte appears where a data byte belongs")
                if tick > max_ticks:
                    raise budget.too_long()
                key = (status & 0x0F) << 7 | data1
                if kind == 0x90 and velocity:
                    notes_left -= 1
                    if notes_left < 0:
                        raise budget.too_many_notes()
                    queue = sounding.get(key)
                    if queue is None:
                        sounding[key] = [(tick, velocity)]
                    else:
                        queue.append((tick, velocity))
                else:
                    queue = sounding.get(key)
                    if queue:
                        start, on_velocity = queue.pop(0)  # FIFO: the oldest note ends
                        if tick > start:
                            notes[status & 0x0F].append((start, data1, tick - start, on_velocity))
            elif kind == 0xC0:
                channel = status & 0x0F
                # Before a channel's first note the latest change wins; after it, only
                # the first one counts (we keep one program per part). Program changes
                # are rare, so the scan of sounding notes costs nothing in practice.
                started = notes[channel] or any(k >> 7 == channel for k in sounding)
                if not started or channel not in programs:
                    programs[channel] = data1
            elif kind != 0xD0:  # every other channel message has a second data byte
                if chunk[pos] & 0x80:
                    raise corrupt("a status byte appears where a data byte belongs")
                if kind == 0xB0 and data1 == SUSTAIN and tick <= max_ticks:
                    track.pedals[status & 0x0F].append((tick, chunk[pos] >= 64))
                pos += 1
    except IndexError:
        raise truncated() from None
    budget.events_left = events_left
    budget.notes_left = notes_left
    end_sounding_notes(sounding, tick, notes, budget)
    return track


def end_sounding_notes(
    sounding: dict[int, list[tuple[int, int]]],
    end_tick: int,
    notes: list[list[NoteTuple]],
    budget: Budget,
) -> None:
    """Notes still on at the end of the track end there."""
    for key, queue in sounding.items():
        for start, velocity in queue:
            if end_tick > start:
                if end_tick > budget.max_ticks:
                    raise budget.too_long()
                notes[key >> 7].append((start, key & 0x7F, end_tick - start, velocity))


def sustained(notes: list[NoteTuple], pedal: list[tuple[int, bool]]) -> list[NoteTuple]:
    """One channel's notes as they sound under its sustain pedal (``pedal``: (tick, down)
    in time order): a note let go while the pedal is down sounds on until the pedal comes
    up (or the track's last note ends, for a pedal never lifted), but never past the
    next start of its own pitch, which strikes the string again."""
    downs: list[tuple[int, int]] = []  # (down, up) tick spans
    down: int | None = None
    for tick, pressed in sorted(pedal, key=lambda event: event[0]):
        if pressed and down is None:
            down = tick
        elif not pressed and down is not None:
            if tick > down:
                downs.append((down, tick))
            down = None
    if down is not None:
        downs.append((down, max((n[0] + n[2] for n in notes), default=down)))
    if not downs:
        return notes
    starts = [span[0] for span in downs]
    next_start: dict[int, int] = {}  # pitch -> the start after the note being read
    out: list[NoteTuple] = []
    for start, pitch, duration, velocity in sorted(notes, reverse=True):
        end = start + duration
        span = bisect_right(starts, end) - 1
        if span >= 0 and downs[span][0] <= end < downs[span][1]:
            end = downs[span][1]
            following = next_start.get(pitch)
            if following is not None and following > start:
                end = max(start + duration, min(end, following))
        next_start[pitch] = start
        out.append((start, pitch, end - start, velocity))
    out.reverse()
    return out


def read_vlq(chunk: bytes, pos: int) -> tuple[int, int]:
    """Decode a variable-length quantity (at most four bytes); return (value, next pos)."""
    value = 0
    for _ in range(4):
        byte = chunk[pos]
        pos += 1
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            return value, pos
    raise corrupt("a length runs past four bytes")


def system_event(chunk: bytes, pos: int, status: int, tick: int, track: ParsedTrack) -> int:
    """Read a meta or sysex event after its status byte; return the next position, or -1
    at the end of the track. Running status is left alone, as most readers do."""
    if status == 0xFF:
        meta_type = chunk[pos]
        length, pos = read_vlq(chunk, pos + 1)
        end = pos + length
        if end > len(chunk):
            raise truncated()
        if meta_type == 0x2F:
            return -1
        if meta_type == 0x51:
            track.tempos.append((tick, tempo(chunk[pos:end])))
        elif meta_type == 0x58 and track.time_signature is None:
            track.time_signature = (tick, *time_signature(chunk[pos:end]))
        elif meta_type == 0x03 and track.name is None:
            track.name = text(chunk[pos:end])
        return end
    if status == 0xF0 or status == 0xF7:
        length, pos = read_vlq(chunk, pos)
        if pos + length > len(chunk):
            raise truncated()
        return pos + length
    raise corrupt(f"the status byte 0x{status:X} is not allowed in a MIDI file")


def tempo(payload: bytes) -> int:
    if len(payload) != 3:
        raise corrupt("a tempo event has the wrong length")
    mpqn = int.from_bytes(payload, "big")
    if mpqn == 0:
        raise MidiValidationError(
            "bad_tempo", "The file sets a tempo of zero microseconds per beat."
        )
    return mpqn


def time_signature(payload: bytes) -> tuple[int, int]:
    if len(payload) < 2:
        raise corrupt("a time signature event is too short")
    numerator, power = payload[0], payload[1]
    if numerator == 0 or power > 6:  # 6: sixty-fourth notes, the shortest in use
        raise MidiValidationError(
            "bad_time_signature",
            f"The time signature {numerator}/{1 << min(power, 62)} is not valid.",
        )
    return numerator, 1 << power


def text(payload: bytes) -> str:
    """MIDI text has no declared encoding: UTF-8 (what we write) when it decodes."""
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        return payload.decode("latin-1")
