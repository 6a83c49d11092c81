"""Limits the user meets in several places: models, forms, serializers, services and the
pages' inputs (templates read them as ``limits.TITLE`` through ``limits_context``).

Changing one here changes it everywhere; a model's ``max_length`` then needs a migration.
"""

from __future__ import annotations

from typing import Any

from music.midi_limits import Limits

TITLE = 120  # characters in an entry's or a composition's title
TEXT = 2000  # characters in a description, a judge's comment or a host's reason
# Beats per minute a piece may have: the MIDI validator's range, which the studio's
# recorder and the notes API apply too (the page hands it to the recorder's input).
MIN_TEMPO = int(Limits().min_tempo)
MAX_TEMPO = int(Limits().max_tempo)


def limits_context(request: Any) -> dict[str, dict[str, int]]:
    """The template context processor: ``limits.TITLE``, ``limits.TEXT``,
    ``limits.MIN_TEMPO`` and ``limits.MAX_TEMPO``."""
    return {
        "limits": {"TITLE": TITLE, "TEXT": TEXT, "MIN_TEMPO": MIN_TEMPO, "MAX_TEMPO": MAX_TEMPO}
    }
