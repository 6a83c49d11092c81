"""Shared fixtures and byte-level builders for crafting MIDI files in tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from music.score import Note, Score, Track

# In CI the repository is cloned beside a copy of shared/, i.e. <repo>/../shared.
DEEPCOMPOSER_DIR = Path(__file__).resolve().parents[3] / "shared" / "testdata" / "deepcomposer"


def deepcomposer_files() -> list[Path]:
    """DeepComposer's sample files, or [] when shared/ is not beside the repository."""
    return sorted(DEEPCOMPOSER_DIR.glob("*.mid")) if DEEPCOMPOSER_DIR.is_dir() else []


def vlq(value: int) -> bytes:
    """A MIDI variable-length quantity."""
    groups = [value & 0x7F]
    value >>= 7
    while value:
        groups.append(0x80 | (value & 0x7F))
        value >>= 7
    return bytes(reversed(groups))


def chunk(kind: bytes, body: bytes, length: int | None = None) -> bytes:
    """A chunk; ``length`` overrides the true length to craft lying headers."""
    return kind + (len(body) if length is None else length).to_bytes(4, "big") + body


def header(fmt: int = 1, tracks: int = 1, division: int = 480, length: int = 6) -> bytes:
    body = fmt.to_bytes(2, "big") + tracks.to_bytes(2, "big") + division.to_bytes(2, "big")
    return chunk(b"MThd", body, length)


def smf(*track_bodies: bytes, fmt: int = 1, division: int = 480) -> bytes:
    """A whole file from raw track bodies (each should end with END_OF_TRACK)."""
    return header(fmt, len(track_bodies), division) + b"".join(
        chunk(b"MTrk", body) for body in track_bodies
    )


END_OF_TRACK = b"\x00\xff\x2f\x00"


def tempo_event(bpm: float, delta: int = 0) -> bytes:
    return vlq(delta) + b"\xff\x51\x03" + round(60_000_000 / bpm).to_bytes(3, "big")


def on(pitch: int, velocity: int = 80, delta: int = 0, channel: int = 0) -> bytes:
    return vlq(delta) + bytes((0x90 | channel, pitch, velocity))


def off(pitch: int, delta: int = 0, channel: int = 0) -> bytes:
    return vlq(delta) + bytes((0x80 | channel, pitch, 0))


def melody_track(count: int = 4, length: int = 480, channel: int = 0) -> bytes:
    """``count`` consecutive quarter notes C4, D4, ... on ``channel``."""
    body = b""
    for i in range(count):
        body += on(60 + i, channel=channel) + off(60 + i, delta=length, channel=channel)
    return body + END_OF_TRACK


@pytest.fixture
def small_score() -> Score:
    """Two pitched parts and drums, with a repeated note and a chord."""
    piano = Track(
        [Note(0, 60, 480, 90), Note(0, 64, 480, 70), Note(480, 60, 240, 100), Note(960, 67, 960)],
        program=0,
        name="Piano",
    )
    bass = Track([Note(0, 36, 1920, 64)], program=33, name="Bass")
    drums = Track([Note(0, 36, 120, 127), Note(480, 38, 120, 110)], is_drum=True, name="Drums")
    return Score(
        [piano, bass, drums], resolution=480, tempo=100.0, title="Small", time_signature=(3, 4)
    )
