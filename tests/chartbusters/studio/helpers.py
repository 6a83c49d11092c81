"""Inputs for the studio tests: MIDI melodies, generation jobs and logged-in API clients."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rest_framework.test import APIClient

from chartbusters.accounts.models import User
from chartbusters.studio.models import Composition, GenerationJob
from chartbusters.studio.services import job_start
from music.midi_io import score_to_midi
from music.score import Note, Score, Track

SAMPLE = "new-world"  # 8 bars of 4/4


def melody(bars: int = 4, resolution: int = 480, **fields: Any) -> Score:
    """A plain scale-wise melody, one note a beat."""
    notes = [
        Note(beat * resolution, 60 + [0, 2, 4, 5, 7, 5, 4, 2][beat % 8], resolution, 90)
        for beat in range(bars * 4)
    ]
    return Score(tracks=[Track(notes, name="Melody")], resolution=resolution, **fields)


def midi(bars: int = 4, **fields: Any) -> bytes:
    return score_to_midi(melody(bars, **fields))


def client_for(user: User) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def job_for(user: User, source: Composition, technique: str = "gan", **kw: Any) -> GenerationJob:
    return job_start(user=user, input=source, technique=technique, seed=kw.pop("seed", 3), **kw)


def stored_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []
