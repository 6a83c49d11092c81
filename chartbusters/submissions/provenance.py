"""How an entry was made, and whether the service could prove it.

An entry's *verification* says what stands behind the technique it names:

- ``not_claimed``: no generator is claimed (an upload, a recording, an edit of a sample);
- ``studio``: made in the studio, so the service holds the whole chain (input, every
  generator run, every edit) in its own rows: nothing to re-run;
- ``pending``: a generator is claimed with a provenance sent by the client (the API, or
  a file made with ``python -m generation``): a worker re-runs the claim;
- ``verified``: the re-run gave exactly the entry's notes;
- ``unverified``: it did not, or could not run; ``verification_note`` says why.

``hand_edited`` is true when the chain holds a hand edit (the piano-roll editor) after a
generator run. Client-sent provenance is checked for shape here; the re-run is the
studio's (it alone reaches the generators) and its outcome is written by
``submission_record_verification``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import Q

from chartbusters.challenges.models import ProvenanceRule, Technique
from chartbusters.core.errors import ApplicationError

MAX_PROVENANCE_BYTES = 16 * 1024
PROVENANCE_KEYS = ("input", "technique", "parameters", "seed", "model_version")
SAMPLE_PREFIX = "sample:"  # a claim's input naming a sample melody: "sample:<id>"
NO_PROVENANCE = "No provenance was sent with it, so its claim cannot be checked."


class Verification(models.TextChoices):
    NOT_CLAIMED = "not_claimed", "Not claimed"
    STUDIO = "studio", "Made in the studio"
    PENDING = "pending", "Verification pending"
    VERIFIED = "verified", "Verified"
    UNVERIFIED = "unverified", "Unverified"


@dataclass(frozen=True)
class StudioOrigin:
    """What the studio knows about a composition being entered, from its own rows.

    ``provenance`` is built on the server (never typed by the client); ``generated``:
    the chain holds a generator run; ``hand_edited``: a hand edit follows one.
    """

    provenance: dict[str, Any]
    generated: bool
    hand_edited: bool

    @property
    def verification(self) -> str:
        return Verification.STUDIO if self.generated else Verification.NOT_CLAIMED


def _invalid(message: str) -> ApplicationError:
    return ApplicationError(message, code="invalid_provenance")


def clean_claim(technique: str, provenance: Any) -> dict[str, Any] | None:
    """A client's provenance for a generator claim, checked for shape; None when there
    is none. It may not name a studio composition: entries from the studio are entered
    there, and the studio records how they were made."""
    if provenance in (None, {}, ""):
        return None
    if technique == Technique.UPLOAD:
        raise _invalid(
            "An uploaded piece has no provenance; choose the technique it was made with."
        )
    if isinstance(provenance, dict) and "composition" in provenance:
        raise _invalid(
            "A provenance cannot name a studio composition: enter the composition from the "
            "studio, which records how it was made."
        )
    if not isinstance(provenance, dict) or set(provenance) != set(PROVENANCE_KEYS):
        raise _invalid(f"Provenance must be an object with exactly: {', '.join(PROVENANCE_KEYS)}.")
    problems = []
    if provenance["technique"] != technique:
        problems.append(f"its technique is {provenance['technique']!r}, the entry's {technique!r}")
    if not isinstance(provenance["input"], str | dict):
        problems.append("input must be a text or an object")
    if not isinstance(provenance["parameters"], dict):
        problems.append("parameters must be an object")
    if not isinstance(provenance["seed"], int) or isinstance(provenance["seed"], bool):
        problems.append("seed must be a whole number")
    if not isinstance(provenance["model_version"], str) or not provenance["model_version"]:
        problems.append("model_version must be a non-empty text")
    if len(json.dumps(provenance)) > MAX_PROVENANCE_BYTES:
        problems.append(f"it is longer than {MAX_PROVENANCE_BYTES // 1024} KB")
    if problems:
        raise _invalid("The provenance is not valid: " + "; ".join(problems) + ".")
    return dict(provenance)


@dataclass(frozen=True)
class Standing:
    """An entry's verification fields as ``submission_create`` stores them."""

    provenance: dict[str, Any] | None
    verification: str
    note: str = ""
    hand_edited: bool = False


def standing_of(technique: str, provenance: Any, studio: StudioOrigin | None) -> Standing:
    """What an entry claims, decided at submission (the re-run comes after)."""
    if studio is not None:
        if provenance not in (None, {}, ""):
            raise _invalid(
                "An entry from the studio carries the provenance the studio recorded; "
                "do not send one."
            )
        return Standing(studio.provenance, studio.verification, hand_edited=studio.hand_edited)
    claim = clean_claim(technique, provenance)
    if technique == Technique.UPLOAD:
        return Standing(None, Verification.NOT_CLAIMED)
    if claim is None:
        return Standing(None, Verification.UNVERIFIED, NO_PROVENANCE)
    return Standing(claim, Verification.PENDING)


# The verifications under which an entry's generator run on a sample melody is taken as
# given: made in the studio, verified, or not yet re-run (a claim that fails its re-run
# is judged as an upload).
BUILT_ON_SAMPLES = {Verification.STUDIO, Verification.VERIFIED, Verification.PENDING}


def given_samples(provenance: Any, verification: str) -> list[str]:
    """The sample melodies (``"sample:<id>"``) a generator was run on to make an entry:
    the judge lets the entry hold them (a continuation or an accompaniment of a sample
    is what the studio is for) and calls it a copy only when it is the sample alone.
    None for an entry with no generator run, or whose claim failed its re-run."""
    if verification not in BUILT_ON_SAMPLES or not isinstance(provenance, dict):
        return []
    named = [provenance.get("input")]
    chain = provenance.get("chain")
    named += chain if isinstance(chain, list) else []
    slugs = set()
    for item in named:
        if isinstance(item, str) and item.startswith(SAMPLE_PREFIX):
            slugs.add(item.removeprefix(SAMPLE_PREFIX))
        elif isinstance(item, dict) and isinstance(item.get("sample"), str):
            slugs.add(item["sample"])
    return sorted(f"{SAMPLE_PREFIX}{slug}" for slug in slugs if slug)


# ----- the challenge's rule --------------------------------------------------------------

# The verifications each rule ranks (with, for the strictest, no hand edits).
RANKS: dict[str, set[str]] = {
    ProvenanceRule.ANY: set(Verification.values),
    ProvenanceRule.VERIFIED: {Verification.NOT_CLAIMED, Verification.STUDIO, Verification.VERIFIED},
    ProvenanceRule.VERIFIED_UNEDITED: {Verification.STUDIO, Verification.VERIFIED},
}


def rule_refusal(rule: str, standing: Standing, technique: str) -> str:
    """Why the challenge's rule refuses an entry at submission ("" if it does not): only
    what can be decided before any re-run."""
    if rule == ProvenanceRule.ANY:
        return ""
    if standing.verification == Verification.UNVERIFIED:
        return (
            f"This challenge ranks an entry made with {technique} only once it is verified, "
            "and this one has no provenance to check. Enter it from the studio, or send its "
            "provenance (input, parameters, seed, model version)."
        )
    if (
        rule == ProvenanceRule.VERIFIED_UNEDITED
        and standing.verification == Verification.NOT_CLAIMED
    ):
        return (
            "This challenge takes only generator output the service can verify: enter a "
            "composition made with a generator in the studio, or send a generator's provenance."
        )
    if rule == ProvenanceRule.VERIFIED_UNEDITED and standing.hand_edited:
        return (
            "This challenge takes no hand-edited entries, and this one was edited by hand "
            "after its generator run."
        )
    return ""


def rankable() -> Q:
    """Entries the challenge's rule lets on the board (a join on the challenge)."""
    allowed = Q(challenge__provenance_rule=ProvenanceRule.ANY)
    allowed |= Q(
        challenge__provenance_rule=ProvenanceRule.VERIFIED,
        verification__in=RANKS[ProvenanceRule.VERIFIED],
    )
    allowed |= Q(
        challenge__provenance_rule=ProvenanceRule.VERIFIED_UNEDITED,
        verification__in=RANKS[ProvenanceRule.VERIFIED_UNEDITED],
        hand_edited=False,
    )
    return allowed


def board_hold(rule: str, verification: str, hand_edited: bool, note: str = "") -> str:
    """Why the rule keeps an entry off the board, in words ("" if it does not)."""
    edits_count = rule == ProvenanceRule.VERIFIED_UNEDITED and hand_edited
    if verification in RANKS.get(rule, set(Verification.values)) and not edits_count:
        return ""
    if verification == Verification.PENDING:
        return "Off the board until its provenance is verified (a worker is re-running it)."
    if verification == Verification.UNVERIFIED:
        off = "Off the board: this challenge ranks only verified entries, and this one is not."
        return f"{off} {note}".strip()
    if hand_edited:
        return "Off the board: this challenge ranks no hand-edited entries."
    return "Off the board: this challenge ranks only verified generator output."
