"""Krumhansl-Schmuckler key estimation on a pitch-class weight vector: the one key
finder, used by the judge's metrics and by the generators alike (it lives here, below
both, so that neither imports the other and a change to it is seen by both).

Krumhansl, C. L. (1990). *Cognitive Foundations of Musical Pitch*, ch. 4: the key is the
major or minor Krumhansl-Kessler probe-tone profile, rotated to each of the 12 tonics,
that correlates best (Pearson) with the piece's duration-weighted pitch-class
distribution.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

MAJOR_PROFILE = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
MINOR_PROFILE = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])

# The scales used for in-scale rates (muspy's: major and natural minor), on tonic C.
MAJOR_SCALE = np.array([1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 1], dtype=bool)
MINOR_SCALE = np.array([1, 0, 1, 1, 0, 1, 0, 1, 1, 0, 1, 0], dtype=bool)

MODES = ("major", "minor")


def _rotations(template: NDArray[np.float64]) -> NDArray[np.float64]:
    """(12, 12): row ``t`` is the template moved to tonic ``t``."""
    return np.stack([np.roll(template, tonic) for tonic in range(12)])


def _standardised(rows: NDArray[np.float64]) -> NDArray[np.float64]:
    centred = rows - rows.mean(axis=-1, keepdims=True)
    return centred / np.linalg.norm(centred, axis=-1, keepdims=True)


# (24, 12): majors on tonics 0-11, then minors on tonics 0-11, each with zero mean and
# unit norm, so that a dot product with a standardised vector is Pearson's r.
KEY_PROFILES = _standardised(np.vstack([_rotations(MAJOR_PROFILE), _rotations(MINOR_PROFILE)]))

# (12, 24): column j is the scale of key j (same order as KEY_PROFILES).
SCALE_MASKS = np.vstack(
    [_rotations(MAJOR_SCALE.astype(float)), _rotations(MINOR_SCALE.astype(float))]
).T


@dataclass(frozen=True, slots=True)
class Key:
    """An estimated key: ``tonic`` pitch class 0-11, ``mode`` and the winning correlation."""

    tonic: int
    mode: str
    clarity: float

    @property
    def scale(self) -> NDArray[np.bool_]:
        """The 12 pitch classes of the key's scale (natural minor for minor keys)."""
        template = MAJOR_SCALE if self.mode == "major" else MINOR_SCALE
        return np.roll(template, self.tonic)


def best_key(weights: NDArray[np.float64]) -> Key | None:
    """The Krumhansl-Schmuckler key of a 12-vector of pitch-class weights.

    None when every weight is zero. A flat vector (all weights equal) carries no key
    evidence: the correlation is undefined, so it returns C major with clarity 0. Ties
    go to the first key in the order C major ... B major, C minor ... B minor.
    """
    total = float(weights.sum())
    if total <= 0:
        return None
    centred = weights - total / 12
    norm = float(np.sqrt(centred @ centred))
    if norm == 0:
        return Key(tonic=0, mode="major", clarity=0.0)
    correlations = KEY_PROFILES @ (centred / norm)
    best = int(np.argmax(correlations))
    return Key(tonic=best % 12, mode=MODES[best // 12], clarity=float(correlations[best]))
