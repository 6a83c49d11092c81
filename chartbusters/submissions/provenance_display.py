"""An entry's provenance in words: the badge and the chain as readable rows
(sample -> technique(params, seed) -> ... -> entry), never a Python dict."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from chartbusters.challenges.models import Technique
from chartbusters.submissions.provenance import SAMPLE_PREFIX, Verification

LINK_STEPS = {
    "sample": "Sample melody",
    "upload": "Uploaded MIDI",
    "recording": "Keyboard recording",
    "edit": "Hand edit in the piano roll",
}


@dataclass(frozen=True)
class ChainRow:
    step: str
    detail: str = ""


def badge(verification: str, hand_edited: bool, note: str = "") -> str:
    """The badge's words: its label, the reason when unverified, and "hand-edited"."""
    text = str(Verification(verification).label)
    if verification == Verification.UNVERIFIED and note:
        text = f"{text}: {note}"
    return f"{text} · hand-edited" if hand_edited else text


def _value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _run(link: dict[str, Any]) -> ChainRow:
    """A generator run: technique(params, seed), then its model version."""
    technique = link.get("technique", "")
    title = Technique(technique).label if technique in Technique.values else str(technique)
    params = link.get("parameters") or {}
    settings = [f"{name}={_value(value)}" for name, value in params.items()]
    settings.append(f"seed {link.get('seed')}")
    return ChainRow(f"{title} ({', '.join(settings)})", f"model {link.get('model_version', '?')}")


def _input(value: Any) -> ChainRow:
    if isinstance(value, str) and value.startswith(SAMPLE_PREFIX):
        return ChainRow(LINK_STEPS["sample"], value.removeprefix(SAMPLE_PREFIX))
    if isinstance(value, dict) and "sample" in value:
        return ChainRow(LINK_STEPS["sample"], _value(value["sample"]))
    if isinstance(value, dict) and "midi" in value:
        return ChainRow("Input MIDI", "sent with the claim")
    return ChainRow("Input", _value(value))


def chain_rows(provenance: dict[str, Any] | None) -> list[ChainRow]:
    """The chain, first input to this entry; empty when there is no provenance."""
    if not provenance:
        return []
    if "chain" in provenance:  # built by the studio
        rows = [
            _run(link)
            if link.get("kind") == "generated"
            else ChainRow(LINK_STEPS.get(link.get("kind", ""), "Input"), link.get("title", ""))
            for link in provenance["chain"]
        ]
    else:  # a client's claim
        rows = [_input(provenance.get("input")), _run(provenance)]
    return [*rows, ChainRow("This entry")]
