"""Fixtures shared by the generator tests."""

import itertools
from collections.abc import Callable

import pytest
import torch

from generation.arcnn.gibbs import NAMES, SATB
from music.score import Score


@pytest.fixture
def one_thread():
    """One thread, as in production workers: small networks only lose time to threading."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def assert_four_voices() -> Callable[[Score], None]:
    """A check that a score is the AR-CNN's four voices: named tracks, soprano to bass, one
    note at a time each, alto to bass inside their SATB ranges."""

    def check(score: Score) -> None:
        assert tuple(t.name for t in score.tracks) == NAMES
        for track, (low, high) in zip(score.tracks[1:], SATB[1:], strict=True):
            assert all(low <= n.pitch <= high for n in track.notes), track.name
        for track in score.tracks:
            notes = sorted(track.notes)
            assert notes, track.name
            assert all(a.end <= b.start for a, b in itertools.pairwise(notes)), track.name

    return check
