"""The judge's words for people (``evaluation.labels``), for the apps: labels and help
for score components, statistics, flags and profiles, and copied sources in words."""

from __future__ import annotations

from evaluation.labels import (
    COMPONENTS,
    FLAGS,
    HISTOGRAMS,
    PROFILES,
    STATISTICS,
    Label,
    source_text,
    statistic,
)

__all__ = [
    "COMPONENTS",
    "FLAGS",
    "HISTOGRAMS",
    "PROFILES",
    "STATISTICS",
    "Label",
    "profile_label",
    "source_text",
    "statistic",
]


def profile_label(name: str) -> str:
    """ "bach-chorales" -> "Bach chorales" (a host's own profile keeps its name)."""
    known = PROFILES.get(name)
    return known.label if known is not None else name
