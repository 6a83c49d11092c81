"""The score report: components, weights, flags, and how they make the final score."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from evaluation.labels import COMPONENTS as LABELS

COMPONENTS = ("realism", "typicality", "frechet")
# The explanation's names for the components: the one table's (``evaluation.labels``).
COMPONENT_LABELS = {name: label.label for name, label in LABELS.items()}
# The most a piece can score by musicality alone, with no fit to the challenge's style:
# real music of another style then ranks well above junk, and anything that fits the
# style well still ranks above it. Chosen on validation data (evaluation/musicality/
# MODEL_CARD.md): the highest cap of 40-60 at which every generic fake family's 95th
# percentile stays <= 18 (junk's bar of 20, less a margin) on the bach-chorales
# validation pieces both whole and cut to 8 bars (DeepComposer-length entries: time
# reversal's 95th percentile is 17.1 at 45, 18.5 at 50, 20.3 at 55); real music of other
# styles then has a validation median of 31.6.
GENERAL_CAP = 45.0
# A component at zero would make the geometric mean zero whatever the others say; the
# floor keeps the ranking informative among weak entries.
COMPONENT_FLOOR = 0.01


class WeightsError(ValueError):
    """Weights a challenge cannot use; the message says why."""


@dataclass(frozen=True)
class Weights:
    """How much each component counts (relative; they need not sum to one)."""

    realism: float = 0.5
    typicality: float = 0.3
    frechet: float = 0.2

    def __post_init__(self) -> None:
        for name in COMPONENTS:
            value = getattr(self, name)
            if not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
                raise WeightsError(f"The weight of {name} must be a number of at least 0.")
        if sum(getattr(self, name) for name in COMPONENTS) <= 0:
            raise WeightsError("At least one weight must be above 0.")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Weights:
        unknown = set(data) - set(COMPONENTS)
        if unknown:
            name, known = sorted(unknown)[0], ", ".join(COMPONENTS)
            raise WeightsError(f"Unknown weight {name!r}; the components are {known}.")
        try:
            return cls(**{k: float(v) for k, v in data.items()})
        except (TypeError, ValueError) as exc:
            if isinstance(exc, WeightsError):
                raise
            raise WeightsError("Weights must be numbers.") from None

    def normalised(self) -> dict[str, float]:
        total = sum(getattr(self, name) for name in COMPONENTS)
        return {name: getattr(self, name) / total for name in COMPONENTS}


def combine(components: dict[str, float], weights: Weights) -> float:
    """The weighted geometric mean of the components, on 0-100.

    Geometric, not arithmetic: a piece cannot buy a high score with one strong
    component while another says it is not music.
    """
    total = 0.0
    for name, weight in weights.normalised().items():
        value = components[name]
        value = COMPONENT_FLOOR if not math.isfinite(value) else max(value, COMPONENT_FLOOR)
        total += weight * math.log(min(value, 1.0))
    return round(100.0 * math.exp(total), 2)


def graded(style: float, musicality: float | None) -> float:
    """The final score: the style score (:func:`combine`), raised to the musicality floor
    ``GENERAL_CAP * musicality`` where that is higher (None: no musicality critic).

    A maximum, not a blend: a piece that fits the challenge's style is judged by that
    fit alone, and musicality only decides among pieces that do not fit it (real music
    of another style above junk)."""
    if musicality is None or not math.isfinite(musicality):
        return style
    return max(style, round(GENERAL_CAP * min(max(musicality, 0.0), 1.0), 2))


@dataclass(frozen=True)
class Flag:
    """Something the host and the participant must know: ``code`` for machines."""

    code: str
    message: str
    blocking: bool = False  # keeps the entry off the ranking (a copy, for instance)
    source: str | None = None


@dataclass(frozen=True)
class Report:
    score: float
    components: dict[str, float]
    weights: dict[str, float]
    flags: list[Flag]
    explanation: str
    evaluator_version: str
    profile: str
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def ranked(self) -> bool:
        return not any(flag.blocking for flag in self.flags)

    def to_json(self) -> dict[str, Any]:
        return asdict(self) | {"ranked": self.ranked}
