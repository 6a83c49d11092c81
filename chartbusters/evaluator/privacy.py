"""What an entry's owner may read of its copy flags.

The judge names the copied piece by an internal id ("entry:41", or "participant:7"
before it is resolved): hosts need it to check the match, but shown to a participant it
would tell them that another participant exists, and which entry to probe, on a board
that is meant to be hidden. Owners read "matches an earlier entry" instead; reference
pieces (the challenge's public corpus, such as "bach-chorales:bwv1.6") stay named.
"""

from __future__ import annotations

import re
from typing import Any

# "copies an earlier entry (entry:41)", "copies entry:41", "copies participant:7", or the
# same without "copies ".
_ID = r"(?:entry|participant):\d+"
_INTERNAL = re.compile(rf"(?P<verb>copies )?(?:an earlier entry \({_ID}\)|{_ID})")


def _replace(match: re.Match[str]) -> str:
    return "matches an earlier entry" if match.group("verb") else "an earlier entry"


def is_internal_source(source: object) -> bool:
    return isinstance(source, str) and source.startswith(("entry:", "participant:"))


def owner_text(text: str) -> str:
    """``text`` with every internal entry or participant id replaced by words."""
    return _INTERNAL.sub(_replace, text)


def owner_flags(flags: list[dict[str, Any]]) -> list[dict[str, Any]]:
    shown = []
    for flag in flags:
        flag = dict(flag)
        if is_internal_source(flag.get("source")):
            flag["source"] = "an earlier entry"
        if isinstance(flag.get("message"), str):
            flag["message"] = owner_text(flag["message"])
        shown.append(flag)
    return shown


def owner_details(details: dict[str, Any]) -> dict[str, Any]:
    novelty = details.get("novelty")
    if not isinstance(novelty, dict):
        return details
    shown = dict(novelty)
    if is_internal_source(shown.get("copy_of")):
        shown["copy_of"] = "an earlier entry"
    if isinstance(shown.get("sources"), list):
        shown["sources"] = [
            "an earlier entry" if is_internal_source(s) else s for s in shown["sources"]
        ]
    return {**details, "novelty": shown}
