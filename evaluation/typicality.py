"""Typicality: how ordinary each descriptor of a piece is for the reference music.

For every descriptor the profile keeps the reference pieces' values. A piece's value
``x`` gets a smoothed empirical CDF ``F(x)`` (a Gaussian kernel over the reference
values, so ties and near-constant descriptors behave) and a two-sided tail score

    t = min(1, 2 * min(F, 1 - F) / TAIL)

which is 1 anywhere in the central ``1 - TAIL`` of the reference and falls linearly to 0
at the extremes. The piece's typicality is the mean of its *lowest* quarter of
descriptor scores, so that a piece cannot hide a few absurd properties behind many
ordinary ones. Descriptors that the reference rarely defines (drums in chorales) or
that are nearly constant there (DESIGN.md §5: they break distribution measures) are
left out; a descriptor the piece leaves undefined counts as atypical.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.special import ndtr

FloatArray = npt.NDArray[np.float64]

TAIL = 0.1
WORST_SHARE = 0.25
MIN_DEFINED_RATE = 0.9  # a descriptor must be defined for 90 % of reference pieces
MAX_MODE_SHARE = 0.8  # ...and not take one value in more than 80 % of them
# A larger reference is stored as this many evenly spaced quantiles (the smoothed CDF
# barely changes; folk's 9,000 tunes made a 7.5 MB profile).
MAX_REFERENCE_VALUES = 512


@dataclass(frozen=True)
class DescriptorReference:
    """The reference values of every usable descriptor (sorted, NaNs removed)."""

    names: tuple[str, ...]
    values: tuple[FloatArray, ...]
    bandwidths: FloatArray

    @classmethod
    def fit(cls, names: tuple[str, ...], matrix: FloatArray) -> DescriptorReference:
        """From a (pieces, descriptors) matrix whose columns follow ``names``."""
        kept_names, kept_values, bandwidths = [], [], []
        for column, name in enumerate(names):
            values = matrix[:, column]
            defined = np.sort(values[np.isfinite(values)])
            if len(defined) < max(5, MIN_DEFINED_RATE * len(values)):
                continue
            _, counts = np.unique(defined, return_counts=True)
            if counts.max() > MAX_MODE_SHARE * len(defined):
                continue
            kept_names.append(name)
            bandwidths.append(_bandwidth(defined))
            if len(defined) > MAX_REFERENCE_VALUES:
                levels = (np.arange(MAX_REFERENCE_VALUES) + 0.5) / MAX_REFERENCE_VALUES
                defined = np.quantile(defined, levels)
            kept_values.append(defined)
        return cls(tuple(kept_names), tuple(kept_values), np.array(bandwidths))

    @cached_property
    def _by_size(self) -> list[tuple[npt.NDArray[np.intp], FloatArray]]:
        """The descriptors grouped by how many reference values they keep: (positions in
        ``names``, their values as one matrix), so that a piece's scores are a few array
        operations rather than one per descriptor."""
        groups: dict[int, list[int]] = {}
        for i, reference in enumerate(self.values):
            groups.setdefault(len(reference), []).append(i)
        return [
            (np.array(members), np.stack([self.values[i] for i in members]))
            for members in groups.values()
        ]

    def scores(self, descriptors: dict[str, float]) -> FloatArray:
        """The tail score ``t`` of each usable descriptor, in ``names`` order (0 where
        the piece leaves it undefined: atypical)."""
        x = np.array([descriptors.get(name, np.nan) for name in self.names], dtype=np.float64)
        result = np.zeros(len(self.names))
        for members, reference in self._by_size:
            cdf = ndtr((x[members, None] - reference) / self.bandwidths[members, None]).mean(1)
            result[members] = np.minimum(1.0, 2.0 * np.minimum(cdf, 1.0 - cdf) / TAIL)
        result[~np.isfinite(x)] = 0.0
        return result

    def typicality(self, descriptors: dict[str, float]) -> tuple[float, dict[str, float]]:
        """The piece's typicality in [0, 1] and the descriptors that lowered it most."""
        scores = self.scores(descriptors)
        if len(scores) == 0:
            return float("nan"), {}
        worst = max(1, round(WORST_SHARE * len(scores)))
        order = np.argsort(scores, kind="stable")[:worst]
        outliers = {self.names[i]: float(scores[i]) for i in order if scores[i] < 1.0}
        return float(scores[order].mean()), outliers

    def to_json(self) -> dict[str, Any]:
        return {
            "names": list(self.names),
            "values": [np.round(v, 6).tolist() for v in self.values],
            "bandwidths": np.round(self.bandwidths, 8).tolist(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DescriptorReference:
        return cls(
            tuple(data["names"]),
            tuple(np.array(v, dtype=np.float64) for v in data["values"]),
            np.array(data["bandwidths"], dtype=np.float64),
        )


def _bandwidth(values: FloatArray) -> float:
    """Silverman's rule, floored so that a tight reference still has some width."""
    spread = min(float(np.std(values)), float(np.subtract(*np.percentile(values, [75, 25]))) / 1.34)
    if spread <= 0:
        spread = float(np.std(values))
    scale = max(abs(float(values[0])), abs(float(values[-1])), 1e-3)
    silverman = 0.9 * spread * len(values) ** -0.2
    return max(silverman, 0.01 * scale, 1e-6)
