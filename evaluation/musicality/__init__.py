"""The general musicality critic: does a piece sound like real music of *any* style?

A profile's style critics learn one texture (four-part chorales, say), so real music
of another style looks to them as unreal as random notes. This critic is the same kind
of ensemble (:mod:`evaluation.critic`) trained on a broad slice of music21's corpus
(chorales, folk tunes, Renaissance and early polyphony, classical and romantic music)
against the generic fake families, shared by every profile. The judge uses it as a
floor under the style score (:func:`evaluation.report.graded`), so real music of
another style ranks well above junk while the style still decides who fits the
challenge best.

A piece's musicality is the mean p(real) of the *worse half* of its windows, as for
realism: one good window cannot carry a bad piece. This module only loads and runs the
model; :mod:`evaluation.musicality.build` trains it (``python -m evaluation
build-musicality``) and :mod:`evaluation.musicality.data` holds its data split.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from evaluation.critic import CriticEnsemble
from evaluation.windows import Windows, score_windows
from music.score import Score

MODEL_DIR = Path(__file__).resolve().parent
CRITIC_FILE = "critic.pt"
META_FILE = "meta.json"


@dataclass(frozen=True)
class Musicality:
    critic: CriticEnsemble
    digest: str  # sha256 of the weights file: part of every profile's digest

    def windows(self, score: Score) -> Windows:
        return score_windows(score, self.critic.window)

    def judge_windows(self, windows: Sequence[Windows]) -> list[float]:
        """The musicality of each piece, given each piece's windows (one batch)."""
        if not windows:
            return []
        p_real = self.critic.predict(np.concatenate(windows)).p_real
        bounds = np.cumsum([0, *(len(w) for w in windows)])
        return [worse_half(p_real[a:b]) for a, b in itertools.pairwise(bounds)]

    def judge(self, scores: Sequence[Score]) -> list[float]:
        return self.judge_windows([self.windows(score) for score in scores])


def worse_half(values: np.ndarray) -> float:
    """The mean of the lower half of ``values`` (the lower one of one or two)."""
    return float(np.sort(values)[: max(1, (len(values) + 1) // 2)].mean())


def load_musicality(directory: Path = MODEL_DIR) -> Musicality | None:
    """The model in ``directory``, or None where there is none (not yet built)."""
    path = directory / CRITIC_FILE
    if not path.exists():
        return None
    # Keyed by content, so a rebuilt model is never served from the cache.
    return _load(path.resolve(), hashlib.sha256(path.read_bytes()).hexdigest())


@cache
def _load(path: Path, digest: str) -> Musicality:
    return Musicality(CriticEnsemble.load(path), digest)
