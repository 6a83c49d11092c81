"""An entry's provenance in words: the badge and the chain as readable rows
(sample -> technique(params, seed) -> ... -> entry), never a Python dict."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
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


def _plain_parameter(technique: str, name: str) -> str:
    return name.replace("_", " ").capitalize()


@dataclass(frozen=True)
class Words:
    """How to name a parameter and a sample melody: the pages pass the service's table of
    labels (``chartbusters.studio.labels``, an app above this one)."""

    parameter: Callable[[str, str], str] = _plain_parameter
    sample: Callable[[str], str] = field(default=lambda slug: slug)


def badge(verification: str, hand_edited: bool, note: str = "") -> str:
    """The badge's words: its label, the reason when unverified, and "hand-edited"."""
    text = str(Verification(verification).label)
    if verification == Verification.UNVERIFIED and note:
        text = f"{text}: {note}"
    return f"{text} · hand-edited" if hand_edited else text


def _value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _run(link: dict[str, Any], words: Words) -> ChainRow:
    """A generator run: technique (parameters, seed), then its model version."""
    technique = link.get("technique", "")
    title = Technique(technique).label if technique in Technique.values else str(technique)
    params = link.get("parameters") or {}
    settings = [
        f"{words.parameter(str(technique), str(name))} {_value(value)}"
        for name, value in params.items()
    ]
    settings.append(f"seed {link.get('seed')}")
    return ChainRow(f"{title} ({', '.join(settings)})", f"model {link.get('model_version', '?')}")


def _input(value: Any, words: Words) -> ChainRow:
    if isinstance(value, str) and value.startswith(SAMPLE_PREFIX):
        return ChainRow(LINK_STEPS["sample"], words.sample(value.removeprefix(SAMPLE_PREFIX)))
    if isinstance(value, dict) and isinstance(value.get("sample"), str):
        return ChainRow(LINK_STEPS["sample"], words.sample(value["sample"]))
    if isinstance(value, dict) and "sample" in value:
        return ChainRow(LINK_STEPS["sample"], _value(value["sample"]))
    if isinstance(value, dict) and "midi" in value:
        return ChainRow("Input MIDI", "sent with the claim")
    return ChainRow("Input", _value(value))


def chain_rows(provenance: dict[str, Any] | None, words: Words | None = None) -> list[ChainRow]:
    """The chain, first input to this entry; empty when there is no provenance."""
    words = words or Words()
    if not provenance:
        return []
    if "chain" in provenance:  # built by the studio
        rows = [
            _run(link, words)
            if link.get("kind") == "generated"
            else ChainRow(LINK_STEPS.get(link.get("kind", ""), "Input"), link.get("title", ""))
            for link in provenance["chain"]
        ]
    else:  # a client's claim
        rows = [_input(provenance.get("input"), words), _run(provenance, words)]
    return [*rows, ChainRow("This entry")]
