"""The studio's one adapter to the generators (``generation/``): what techniques there
are, checking a request against them, running one, and loading their weights in a
worker. Nothing else in the studio imports ``generation``.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from typing import Any

from chartbusters.core.errors import ApplicationError
from generation import registry
from generation.archive import ArchivedCheckpoint, archived_checkpoints
from generation.cost import CostModel
from generation.errors import GenerationError, GenerationParamError, ModelVersionError
from generation.versions import ARCHIVED, GONE, SHIPPED, VersionStatus
from music.score import Score

logger = logging.getLogger(__name__)

MAX_BARS = registry.MAX_BARS
__all__ = [
    "ARCHIVED",
    "GONE",
    "MAX_BARS",
    "SHIPPED",
    "ArchivedCheckpoint",
    "GenerationError",
    "ModelVersionError",
    "VersionStatus",
    "archived_checkpoints",
    "check_request",
    "cost_model",
    "generate",
    "is_technique",
    "largest_fitting",
    "parameter_title",
    "preload_models",
    "technique_rows",
    "technique_title",
    "technique_version",
    "version_status",
]


def technique_rows() -> list[dict[str, Any]]:
    """Every technique as the studio lists it (``Technique.to_json``)."""
    return [technique.to_json() for technique in registry.TECHNIQUES.values()]


def is_technique(name: object) -> bool:
    """Whether the service ships a technique of this name."""
    return isinstance(name, str) and name in registry.TECHNIQUES


def technique_title(name: str) -> str:
    return registry.TECHNIQUES[name].title


def technique_version(name: str) -> str:
    """The version a result made now records (it changes with the code or weights)."""
    return registry.TECHNIQUES[name].version


def version_status(version: str, technique: str | None = None) -> VersionStatus:
    """Whether the service can still run a model version: ``state`` is shipped, archived
    or gone (``reason`` says why, in plain words). ``technique``: the one it must be of."""
    if technique is not None:
        return registry.TECHNIQUES[technique].version_status(version)
    return registry.version_status(version)


def generate(
    technique: str,
    score: Score,
    params: dict[str, Any],
    seed: int,
    progress: Callable[[float], None] | None = None,
    version: str | None = None,
) -> Score:
    """Run the technique (imports torch). GenerationError: the input or request itself.
    ``progress`` hears the finished share (0-1) from techniques that report it;
    ``version`` runs an archived model version instead of the shipped one."""
    return registry.generate(technique, score, params, seed, progress, version)


def check_request(technique: str, params: Any, seed: Any) -> tuple[dict[str, Any], int]:
    """Validate with the registry before anything is queued (the param is named)."""
    if technique not in registry.TECHNIQUES:
        known = ", ".join(sorted(registry.TECHNIQUES))
        raise ApplicationError(
            f"Unknown technique {technique!r}; the techniques are {known}.",
            code="unknown_technique",
            extra={"field": "technique"},
        )
    if params is not None and not isinstance(params, dict):
        raise ApplicationError(
            "params must be an object.", code="invalid_param", extra={"field": "params"}
        )
    if seed is None:
        seed = secrets.randbelow(registry.MAX_SEED + 1)
    try:
        values = registry.TECHNIQUES[technique].params.validate(params)
        seed = registry.check_seed(seed)
    except GenerationParamError as exc:
        raise ApplicationError(
            exc.message, code="invalid_param", extra={"field": exc.param}
        ) from None
    except GenerationError as exc:
        raise ApplicationError(exc.message, code="invalid_param") from None
    return values, seed


def cost_model(technique: str) -> CostModel:
    """How long the technique's requests take (``generation.cost``)."""
    return registry.TECHNIQUES[technique].cost


def largest_fitting(
    technique: str, values: dict[str, Any], bars: int, budget: float, per_unit: float
) -> float | None:
    """The largest value of the technique's costly parameter that fits ``budget``."""
    entry = registry.TECHNIQUES[technique]
    return entry.cost.largest_fitting(entry.params, values, bars, budget, per_unit)


def parameter_title(technique: str, name: str) -> str:
    return next(p.title for p in registry.TECHNIQUES[technique].params.params if p.name == name)


def preload_models() -> list[str]:
    """Load every shipped checkpoint into this process's caches; the ones loaded."""
    from generation.arcnn import gibbs as arcnn  # imports torch
    from generation.gan import model as gan
    from generation.gan.styles import STYLES
    from generation.transformer import model as transformer

    loaders: list[tuple[str, Any]] = [
        ("arcnn", arcnn.shipped_model),
        ("transformer", transformer.shipped_model),
        *((f"gan-{style}", lambda style=style: gan.shipped_model(style)) for style in STYLES),
    ]
    loaded = []
    for name, load in loaders:
        try:
            load()
        except Exception:
            logger.exception("Could not preload the %s checkpoint; its jobs will say why", name)
        else:
            loaded.append(name)
    return loaded
