"""The GAN's accompaniment styles: what the studio lists, without importing torch.

A style is a trained checkpoint (``generation/checkpoints/gan-<name>.pt``) plus the words
and instruments the studio shows. The registry reads :data:`STYLES` for the ``style``
parameter's choices, and the web process can render :func:`styles_json` cheaply; only
``generation.gan`` (torch) loads the weights.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Instrument:
    """One accompaniment track: its name and General MIDI program (0-127)."""

    name: str
    program: int


@dataclass(frozen=True)
class GanStyle:
    """A trained accompaniment style: three instruments under the melody."""

    name: str
    title: str
    description: str
    corpus: str  # the music.corpus it was trained on
    instruments: tuple[Instrument, Instrument, Instrument]  # high to low

    @property
    def checkpoint(self) -> str:
        """The registry's checkpoint name: ``gan-<name>``."""
        return f"gan-{self.name}"

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "corpus": self.corpus,
            "instruments": [{"name": i.name, "program": i.program} for i in self.instruments],
        }


STYLES: dict[str, GanStyle] = {
    style.name: style
    for style in (
        GanStyle(
            name="chorale",
            title="Bach chorale",
            description=(
                "Alto, tenor and bass under your melody, as in J. S. Bach's four-part "
                "chorales, played on church organ."
            ),
            corpus="bach-chorales",
            instruments=(
                Instrument("Alto", 19),  # Church Organ
                Instrument("Tenor", 19),
                Instrument("Bass", 19),
            ),
        ),
        GanStyle(
            name="renaissance",
            title="Renaissance polyphony",
            description=(
                "Three lower voices under your melody in the manner of Palestrina and "
                "Monteverdi, played by a consort of viols (viola and two cellos)."
            ),
            corpus="renaissance",
            instruments=(
                Instrument("Alto", 41),  # Viola
                Instrument("Tenor", 42),  # Cello
                Instrument("Bass", 42),
            ),
        ),
    )
}

DEFAULT_STYLE = "chorale"


def styles_json() -> list[dict[str, Any]]:
    """Every style, for the studio's style picker."""
    return [style.to_json() for style in STYLES.values()]
