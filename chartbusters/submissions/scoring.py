"""The one place where the Django side calls the music and evaluation libraries.

Everything else in the service goes through these functions, so the libraries can change
(or, during development, be unfinished) without touching models, services or tasks:

- upload checks (``parse_upload``) and fingerprints run in the web process: both are plain
  parsing and hashing, no model;
- ``score_entry`` runs the judge and is only ever called from the Celery task;
- profiles are loaded from ``settings.EVALUATION_PROFILES_DIR`` when it is set (tests and
  deployments with their own profiles), else from the library's shipped folder.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings

from chartbusters.core.errors import ApplicationError
from evaluation.novelty import Fingerprint, NoveltyIndex, fingerprint
from evaluation.report import Weights, WeightsError
from music.score import Score
from music.validate import MidiValidationError, validate_midi

# Used only while evaluation.profile cannot be imported (the library is unfinished):
# the model field then still has its one known default.
_FALLBACK_PROFILES = {"bach-chorales": "J. S. Bach's four-part chorales"}
_FALLBACK_DEFAULT = "bach-chorales"


class ScoringUnavailable(Exception):
    """The judge cannot run (no such profile, library broken): a system failure."""


class EntryUnscorable(Exception):
    """The entry itself cannot be scored (its file no longer validates): a rejection."""


def _profile_specs() -> dict[str, str]:
    try:
        from evaluation.profile import PROFILE_SPECS
    except ImportError:
        return dict(_FALLBACK_PROFILES)
    return {name: spec.description for name, spec in PROFILE_SPECS.items()}


def default_profile() -> str:
    try:
        from evaluation.profile import DEFAULT_PROFILE
    except ImportError:
        return _FALLBACK_DEFAULT
    return str(DEFAULT_PROFILE)


def profile_choices() -> list[tuple[str, str]]:
    """Every profile the library knows, and any extra built into the profiles folder."""
    names = dict.fromkeys(sorted(_profile_specs()))
    names.update(dict.fromkeys(available_profiles()))
    return [(name, name) for name in names]


def profile_description(name: str) -> str:
    return _profile_specs().get(name, "")


def profiles_dir() -> Path | None:
    configured = getattr(settings, "EVALUATION_PROFILES_DIR", "")
    return Path(configured) if configured else None


def available_profiles() -> list[str]:
    """Profiles that are built and can score entries now."""
    try:
        from evaluation.profile import PROFILES_DIR
        from evaluation.profile import available_profiles as library_available
    except ImportError:
        return []
    return library_available(profiles_dir() or PROFILES_DIR)


# ----- weights -------------------------------------------------------------------------


def make_weights(
    realism: Decimal | float, typicality: Decimal | float, frechet: Decimal | float
) -> Weights:
    """The library's validated Weights; raises ApplicationError with its message."""
    try:
        return Weights(float(realism), float(typicality), float(frechet))
    except WeightsError as exc:
        raise ApplicationError(str(exc), code="invalid_weights") from None


# ----- uploads ------------------------------------------------------------------------


def parse_upload(data: bytes) -> Score:
    """Validate uploaded MIDI bytes; the validator's code and message on refusal."""
    try:
        return validate_midi(data)
    except MidiValidationError as exc:
        raise ApplicationError(exc.message, code=exc.code) from None


def fingerprint_bytes(score: Score) -> bytes:
    return fingerprint(score).to_bytes()


# ----- the judge (Celery task only) -----------------------------------------------------


@dataclass
class EntriesIndex:
    """A challenge's earlier entries for the novelty check, grown append-only per process."""

    index: NoveltyIndex = field(default_factory=NoveltyIndex)
    last_id: int = 0

    def add(self, entry_id: int, print_bytes: bytes) -> None:
        self.index.add(entry_source(entry_id), Fingerprint.from_bytes(print_bytes))
        self.last_id = max(self.last_id, entry_id)


def entry_source(entry_id: int) -> str:
    """How an entry is named in the novelty index and in copy flags."""
    return f"entry:{entry_id}"


@dataclass(frozen=True)
class EntryReport:
    """A report as stored on a submission (plain JSON-able values only)."""

    score: float
    components: dict[str, float]
    weights: dict[str, float]
    flags: list[dict[str, Any]]
    explanation: str
    evaluator_version: str
    profile: str
    details: dict[str, Any]
    ranked: bool


def score_entry(
    *,
    midi: bytes,
    profile: str,
    weights: Weights,
    entries: EntriesIndex,
    exclude: Iterable[str] = (),
) -> EntryReport:
    """Judge one entry against its profile and the challenge's earlier entries."""
    try:
        score = validate_midi(midi)
    except MidiValidationError as exc:
        raise EntryUnscorable(exc.message) from None
    loaded = _load_profile(profile)
    from evaluation.evaluate import evaluate

    report = evaluate(score, loaded, weights, entries=entries.index, exclude=list(exclude))
    data = report.to_json()
    return EntryReport(
        score=float(report.score),
        components={k: float(v) for k, v in report.components.items()},
        weights=dict(data["weights"]),
        flags=list(data["flags"]),
        explanation=report.explanation,
        evaluator_version=report.evaluator_version,
        profile=report.profile,
        details=dict(data["details"]),
        ranked=bool(report.ranked),
    )


def _load_profile(name: str) -> Any:
    try:
        from evaluation.profile import PROFILES_DIR, ProfileError, load_profile
    except ImportError as exc:
        raise ScoringUnavailable(f"The evaluation library cannot be loaded: {exc}") from exc
    try:
        return load_profile(name, profiles_dir() or PROFILES_DIR)
    except ProfileError as exc:
        raise ScoringUnavailable(str(exc)) from exc


def current_evaluator_version(profile: str) -> str:
    """The version a fresh score would record now (for spotting stale scores)."""
    from evaluation.evaluate import evaluator_version

    return str(evaluator_version(_load_profile(profile)))
