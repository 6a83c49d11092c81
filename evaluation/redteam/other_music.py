"""Real music of other composers for the red team: which files of music21's corpus, and
their first bars.

The files are chosen without parsing (:func:`other_music_files`), so the musicality
critic's data split (:mod:`evaluation.musicality.data`) can keep exactly these files out
of its training and validation sets: the red team's "other music" rows are always test
data for it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from pathlib import Path

from music import transforms
from music.score import Score

# Other composers' real music: (label, corpus folder, file suffixes, how many files).
OTHER_MUSIC = (
    ("Haydn string quartets", "haydn", (".mxl", ".xml"), 4),
    ("Mozart string quartets", "mozart", (".mxl", ".xml"), 4),
    ("Beethoven string quartets", "beethoven", (".mxl", ".xml"), 4),
    ("Palestrina", "palestrina", (".krn",), 6),
    ("Bach, Prelude in C (BWV 846)", "bach", ("bwv846.mxl",), 1),
)
OTHER_MUSIC_BARS = 32  # each piece is judged on its first bars


def other_music_files(root: Path | None = None) -> list[tuple[str, str, Path]]:
    """(label, folder, path) of every file the red team reads: ``files[::step][:count]``
    of each folder's sorted files, ``step = len(files) // count`` (deterministic)."""
    if root is None:
        from music.corpus.sources import corpus_root

        root = corpus_root()
    chosen = []
    for label, folder, suffixes, count in OTHER_MUSIC:
        files = sorted(p for p in (root / folder).rglob("*") if p.name.endswith(suffixes))
        step = max(1, len(files) // count)
        chosen += [(label, folder, path) for path in files[::step][:count]]
    return chosen


def other_music_sources(root: Path | None = None) -> set[str]:
    """The red team's files as corpus-relative paths (``haydn/opus74no1/movement1.mxl``),
    the form a :class:`music.corpus.convert.CorpusPiece` names its source in."""
    if root is None:
        from music.corpus.sources import corpus_root

        root = corpus_root()
    return {str(path.relative_to(root)) for _, _, path in other_music_files(root)}


def read_other_music(
    log: Callable[[str], None] = print, exclude: Collection[str] = frozenset()
) -> list[tuple[str, Score]]:
    """The first ``OTHER_MUSIC_BARS`` bars of other composers' music in music21's corpus
    (files that fail to read are skipped, and said). Files whose corpus-relative path is
    in ``exclude`` (the profile's own corpus: Palestrina is "other music" only to the
    profiles not built on him) are left out, and said."""
    from music.corpus.readers import read_humdrum, read_musicxml
    from music.corpus.sources import corpus_root

    root = corpus_root()
    pieces: list[tuple[str, Score]] = []
    for label, folder, path in other_music_files(root):
        if str(path.relative_to(root)) in exclude:
            log(f"left out {path.relative_to(root)}: it is in the profile's own corpus")
            continue
        reader = read_humdrum if path.suffix == ".krn" else read_musicxml
        try:
            read = reader(path, folder, str(path.relative_to(root)))
        except Exception as exc:  # music21 and muspy raise many types on odd files
            log(f"skipped {path.name}: {type(exc).__name__}")
            continue
        for piece in read[:1]:
            pieces.append((label, transforms.crop(piece.score, 0, OTHER_MUSIC_BARS)))
    return pieces
