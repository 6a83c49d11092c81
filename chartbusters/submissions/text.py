"""Titles are one line of text: shown on boards and pages, and put in email subjects.

A line break in an email header is refused by Django (``BadHeaderError``, its guard
against header injection), which used to drop the entry's notification. So titles with
control characters are refused where they come in, and the emails make whatever text is
already stored safe for a subject line.
"""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError

TITLE_MESSAGE = (
    "Keep the title on one line, without control characters (line breaks, tabs and the like)."
)
# Cc: C0/C1 controls (newline, tab, escape, ...); Zl, Zp: the Unicode line and paragraph
# separators. Format characters (Cf) stay allowed: emoji sequences need the zero-width joiner.
_BREAKING = frozenset({"Cc", "Zl", "Zp"})


def has_control_characters(text: str) -> bool:
    return any(unicodedata.category(char) in _BREAKING for char in text)


def validate_title(value: str) -> None:
    """A form and serializer validator: the same rule as the services' check."""
    if has_control_characters(value):
        raise ValidationError(TITLE_MESSAGE, code="invalid_title")


def one_line(text: str) -> str:
    """``text`` with each control character or line separator made a space, and runs of
    spaces collapsed: safe in an email header whatever was stored."""
    spaced = "".join(" " if unicodedata.category(c) in _BREAKING else c for c in text)
    return " ".join(spaced.split())
