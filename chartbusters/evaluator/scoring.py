"""The one place where the Django side calls the music and evaluation libraries.

Everything else in the service goes through these functions, so the libraries can change
(or, during development, be unfinished) without touching models, services or tasks:

- upload checks (``parse_upload``) and fingerprints run in the web process: both are plain
  parsing and hashing, no model;
- ``score_entry`` runs the judge and is only ever called from the Celery task;
- profiles are loaded from ``settings.EVALUATION_PROFILES_DIR`` when it is set (tests and
  deployments with their own profiles), else from the library's shipped folder; a name
  found in neither is a host-built judge version, loaded from ``settings.HOST_PROFILES_DIR``
  (media storage under ``DATA_DIR``, shared by every worker; see ``evaluator.building``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings

import evaluation
from chartbusters.core.errors import ApplicationError
from chartbusters.evaluator.privacy import owner_text
from evaluation.canonical import Slices, join_slices
from evaluation.fingerprint import FORMAT as FINGERPRINT_FORMAT
from evaluation.fingerprint import Fingerprint, fingerprint
from evaluation.novelty import NoveltyIndex
from evaluation.report import Weights as Weights  # re-exported: the apps name it from here
from evaluation.report import WeightsError
from music.score import Score
from music.validate import MidiValidationError, validate_midi

# evaluation.profile imports torch (for the critic). Listing profiles for a form must not
# pull torch into the web process, so their names are mirrored here; a test checks them
# against evaluation.profile.PROFILE_SPECS and DEFAULT_PROFILE.
KNOWN_PROFILES = ("bach-chorales", "folk", "renaissance")
DEFAULT_PROFILE = "bach-chorales"
LIBRARY_PROFILES_DIR = Path(evaluation.__file__).resolve().parent / "profiles"


class ScoringUnavailable(Exception):
    """The judge cannot run (no such profile, library broken): a system failure."""


class EntryUnscorable(Exception):
    """The entry itself cannot be scored (its file no longer validates): a rejection."""


def default_profile() -> str:
    return DEFAULT_PROFILE


def profile_choices() -> list[tuple[str, str]]:
    """Every profile the library knows, and any other built into the profiles folder."""
    names = dict.fromkeys([*KNOWN_PROFILES, *available_profiles()])
    return [(name, name) for name in names]


def profiles_dir() -> Path:
    configured = getattr(settings, "EVALUATION_PROFILES_DIR", "")
    return Path(configured) if configured else LIBRARY_PROFILES_DIR


def host_profiles_dir() -> Path:
    """Where host-built judge versions live (one folder each, written once)."""
    return Path(settings.HOST_PROFILES_DIR)


def profile_directory(name: str) -> Path:
    """The folder holding profile ``name``: shipped (or configured) first, else host-built."""
    shipped = profiles_dir()
    if (shipped / name / "profile.json").exists() or name in KNOWN_PROFILES:
        return shipped
    return host_profiles_dir()


def is_host_built(name: str) -> bool:
    if not name or name in KNOWN_PROFILES:
        return False
    return profile_directory(name) == host_profiles_dir()


def available_profiles() -> list[str]:
    """Profiles that are built and can score entries now (the library's own test):
    shipped ones and host-built versions (a build in progress has no profile.json)."""
    found = {path.parent.name for path in profiles_dir().glob("*/profile.json")}
    found |= {path.parent.name for path in host_profiles_dir().glob("*/profile.json")}
    return sorted(found)


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


def fingerprint_is_current(data: bytes | memoryview | None) -> bool:
    """Whether a stored fingerprint is in the library's format (an older one parses as
    empty and would match nothing: recompute it from the entry's MIDI)."""
    return data is not None and Fingerprint.stored_format(bytes(data)) == FINGERPRINT_FORMAT


def refingerprint(midi: bytes) -> bytes | None:
    """A current fingerprint of stored MIDI bytes; None if they no longer validate."""
    try:
        return fingerprint_bytes(validate_midi(midi))
    except MidiValidationError:
        return None


# ----- the judge (Celery task only) -----------------------------------------------------


@dataclass(frozen=True)
class EarlierEntry:
    entry_id: int
    participant_id: int
    print_: Fingerprint


@dataclass
class EarlierEntries:
    """The earlier entries a new one is checked against, one novelty *document* per
    participant (the union of their entries' grams).

    Why per participant: the library ignores grams found in more than 5 % of the
    indexed documents (at least 1). With one document per entry, a participant who
    resubmits their own piece puts its grams in two documents, and in a young challenge
    that hides every copy of it. One document per participant keeps a copied piece's
    grams in one document until someone else has them too. The matching participant is
    then resolved to their entry that the new one copies.
    """

    entries: list[EarlierEntry] = field(default_factory=list)

    def participant_index(self) -> NoveltyIndex:
        """One document per participant: their entries' voice grams, and their canonical
        forms one after another (for coverage: see ``evaluation.coverage``)."""
        grams: dict[int, list[Any]] = {}
        canonical: dict[int, list[Slices]] = {}
        for entry in self.entries:
            grams.setdefault(entry.participant_id, []).extend(entry.print_.voices)
            if entry.print_.canonical is not None:
                canonical.setdefault(entry.participant_id, []).append(entry.print_.canonical)
        index = NoveltyIndex()
        for participant_id, voices in grams.items():
            pieces = canonical.get(participant_id)
            joined = join_slices(pieces) if pieces else None
            index.add(participant_source(participant_id), Fingerprint(tuple(voices), (), joined))
        return index

    def copied_entry(self, participant_id: int, print_: Fingerprint) -> int | None:
        """The participant's entry the piece shares most with (earliest on a tie). One
        index per entry, as a resubmission would hide the grams in a shared one."""
        best: tuple[float, int] | None = None
        for entry in self.entries:
            if entry.participant_id != participant_id:
                continue
            index = NoveltyIndex()
            index.add(entry_source(entry.entry_id), entry.print_)
            matches = index.query(print_, limit=1)
            share = sum(matches[0].voice_scores) if matches else 0.0
            coverage = index.covered(print_)
            if coverage is not None:  # rearranged copies share few voice grams
                share += coverage.run + coverage.source + coverage.source_runs + coverage.few
            if share > 0 and (best is None or share > best[0]):
                best = (share, entry.entry_id)
        return best[1] if best else None


def parse_fingerprint(data: bytes) -> Fingerprint:
    return Fingerprint.from_bytes(data)


def entry_source(entry_id: int) -> str:
    """How an entry is named in copy flags."""
    return f"entry:{entry_id}"


def participant_source(participant_id: int) -> str:
    return f"participant:{participant_id}"


def name_copied_entries(
    flags: list[dict[str, Any]],
    details: dict[str, Any],
    explanation: str,
    earlier: EarlierEntries,
    print_: Fingerprint,
) -> str:
    """Resolve "participant:N" in copy flags to the entry of theirs that was copied, for
    hosts (the flag's ``source`` and the novelty details); the explanation returned and
    the flags' messages, which the owner reads, say "matches an earlier entry" and name
    no one (see ``evaluator.privacy``)."""
    for flag in flags:
        source = flag.get("source") or ""
        if not source.startswith("participant:"):
            continue
        entry_id = earlier.copied_entry(int(source.split(":")[1]), print_)
        named = entry_source(entry_id) if entry_id else "an earlier entry"
        flag["source"] = named
        flag["message"] = owner_text(flag["message"])
        novelty = details.get("novelty")
        if isinstance(novelty, dict) and novelty.get("copy_of") == source:
            novelty["copy_of"] = named
        if isinstance(novelty, dict) and isinstance(novelty.get("sources"), list):
            novelty["sources"] = [named if s == source else s for s in novelty["sources"]]
    return owner_text(explanation)


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
    earlier: EarlierEntries,
    given: Sequence[str] = (),
) -> EntryReport:
    """Judge one entry against its profile and the challenge's earlier entries;
    ``given``: the sample melodies it was built on (see ``evaluation.evaluate``)."""
    try:
        score = validate_midi(midi)
    except MidiValidationError as exc:
        raise EntryUnscorable(exc.message) from None
    loaded = _load_profile(profile)
    from evaluation.evaluate import evaluate

    report = evaluate(score, loaded, weights, entries=earlier.participant_index(), given=given)
    data = report.to_json()
    flags, details = list(data["flags"]), dict(data["details"])
    explanation = name_copied_entries(
        flags, details, report.explanation, earlier, fingerprint(score)
    )
    return EntryReport(
        score=float(report.score),
        components={k: float(v) for k, v in report.components.items()},
        weights=dict(data["weights"]),
        flags=flags,
        explanation=explanation,
        evaluator_version=report.evaluator_version,
        profile=report.profile,
        details=details,
        ranked=bool(report.ranked),
    )


def _load_profile(name: str) -> Any:
    try:
        from evaluation.profile import ProfileError, load_profile
    except ImportError as exc:
        raise ScoringUnavailable(f"The evaluation library cannot be loaded: {exc}") from exc
    try:
        return load_profile(name, profile_directory(name))
    except ProfileError as exc:
        raise ScoringUnavailable(str(exc)) from exc
