"""Which files of music21's bundled corpus make up each of our corpora."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from music.corpus.readers import Reader, read_abc, read_chorale, read_humdrum, read_musicxml


@dataclass(frozen=True)
class Collection:
    """One directory of music21's corpus, read with one reader.

    ``name`` prefixes the piece ids (``bach/bwv1.6``); ``directory`` is music21's name for it.
    """

    name: str
    directory: str
    suffixes: tuple[str, ...]
    reader: Reader


@dataclass(frozen=True)
class CorpusSpec:
    name: str
    description: str
    collections: tuple[Collection, ...]


CORPORA: dict[str, CorpusSpec] = {
    spec.name: spec
    for spec in (
        CorpusSpec(
            "bach-chorales",
            "J. S. Bach's four-part chorales (SATB voices only, duplicates removed)",
            (Collection("bach", "bach", (".mxl", ".xml"), read_chorale),),
        ),
        CorpusSpec(
            "renaissance",
            "Palestrina masses and motets (Humdrum) and Monteverdi madrigals (MusicXML)",
            (
                Collection("palestrina", "palestrina", (".krn",), read_humdrum),
                Collection("monteverdi", "monteverdi", (".mxl", ".xml"), read_musicxml),
            ),
        ),
        CorpusSpec(
            "folk",
            "Essen folksongs, Ryan's Mammoth Collection and O'Neill's 1850 (ABC melodies)",
            (
                Collection("essen", "essenFolksong", (".abc",), read_abc),
                Collection("ryans", "ryansMammoth", (".abc",), read_abc),
                Collection("oneill", "oneills1850", (".abc",), read_abc),
            ),
        ),
    )
}


def corpus_root() -> Path:
    """music21's bundled corpus directory (inside the installed wheel; no network)."""
    import music21.corpus

    return Path(music21.corpus.__file__).parent


def collection_files(collection: Collection) -> list[Path]:
    """The collection's files in a stable order (sorted by path)."""
    from music21 import corpus

    paths = (Path(str(p)) for p in corpus.getComposer(collection.directory))
    return sorted(p for p in paths if p.suffix in collection.suffixes)
