"""The musicality critic's data: a broad slice of music21's corpus, split by file.

Every style the corpus holds, in five groups weighed alike whatever their size:
Bach's chorales, folk tunes, Renaissance polyphony (the three cached corpora of
:mod:`music.corpus`) and everything else, parsed here from its files: classical and
romantic (Haydn, Mozart and Beethoven quartets and sonatas, Chopin, the Schumanns,
Schubert, Joplin, ...) and early (Trecento, Ciconia, Josquin, ...) music, and a few
more folk tunes (Aird's airs).

The split is by file, and explicit:

- a file the red team reads as "other real music"
  (:func:`evaluation.redteam.other_music.other_music_sources`) is **test**, always:
  never in training or validation, so the red team's other-music rows measure music
  the critic never saw;
- a piece of a cached corpus keeps its corpus split (``music/splits/``): the profiles'
  held-out pieces stay held out here too, and their test pieces are never used (the
  folk corpus splits its multi-tune ABC files by tune, so one such file can give tunes
  to both sides; every other file is on one side);
- any other file goes by ``sha1(corpus-relative path) mod 100``: below
  :data:`TRAIN_PERCENT` train, else validation.

Long pieces are cut into :data:`SEGMENT_BARS`-bar segments (each a piece for the
critic: its fakes are made from it), the segments of one file staying on its side.
Parsed files are cached under ``~/.cache/chartbusters/musicality/``.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from music import transforms
from music.corpus import store
from music.corpus.build import load_corpus
from music.corpus.convert import CorpusPiece
from music.score import Score

logger = logging.getLogger(__name__)

TRAIN_PERCENT = 75
SEGMENT_BARS = 32
CACHED = {"bach-chorales": "chorales", "folk": "folk", "renaissance": "renaissance"}
# Folders parsed from files, by group. Left out: the folders of the cached corpora
# (bach, palestrina, monteverdi, essenFolksong, ryansMammoth, oneills1850), and lead
# sheets, demos and exercises (not pieces of music as written).
EXTRA_FOLDERS = {
    "classical": (
        "haydn", "mozart", "beethoven", "chopin", "corelli", "cpebach", "handel", "joplin",
        "schoenberg", "schubert", "schumann_clara", "schumann_robert", "verdi", "weber",
        "webern", "beach", "johnson_j_r", "liliuokalani",
    ),
    "early": ("trecento", "ciconia", "luca", "lusitano", "josquin"),
    "folk": ("airdsAirs",),
}  # fmt: skip
SUFFIXES = (".mxl", ".xml", ".musicxml", ".krn", ".abc")
GROUPS = ("chorales", "folk", "renaissance", "classical", "early")
# Pieces (segments) drawn per group and split, so that no style outweighs the others.
PIECES_PER_GROUP = {"train": 160, "validation": 40}
CACHE_NAME = "extra"


def cache_dir() -> Path:
    return store.default_cache_dir().parent / "musicality"


def work_key(source: str) -> str:
    """The file without its suffix: the corpus holds some movements twice, as MusicXML
    and as Humdrum (``beethoven/opus18no1/movement4``), and both are one piece."""
    return str(Path(source).with_suffix(""))


def file_split(source: str, red_team: set[str], corpus_split: str | None = None) -> str:
    """``train``, ``validation`` or ``test`` for the file at ``source`` (corpus-relative);
    ``red_team`` holds the red team's files (either form: keys are compared)."""
    if work_key(source) in {work_key(s) for s in red_team}:
        return "test"
    if corpus_split is not None:
        return corpus_split
    digest = hashlib.sha1(work_key(source).encode(), usedforsecurity=False).hexdigest()
    return "train" if int(digest[:8], 16) % 100 < TRAIN_PERCENT else "validation"


def red_team_sources() -> set[str]:
    from evaluation.redteam.other_music import other_music_sources

    return other_music_sources()


@dataclass(frozen=True)
class MusicalityPiece:
    group: str
    source: str  # the corpus-relative file
    id: str  # the piece id, with the segment (``haydn/movement2@32``)
    score: Score

    @property
    def piece_id(self) -> str:
        return self.id.rpartition("@")[0]


def extra_files(root: Path | None = None) -> list[tuple[str, Path]]:
    """(group, path) of every file of :data:`EXTRA_FOLDERS`, sorted."""
    from music.corpus.sources import corpus_root

    root = root or corpus_root()
    found = []
    for group, folders in EXTRA_FOLDERS.items():
        for folder in folders:
            paths = sorted(p for p in (root / folder).rglob("*") if p.suffix in SUFFIXES)
            found += [(group, p) for p in paths if "choraleAnalyses" not in p.parts]
    return found


def read_extra(log: Callable[[str], None] = logger.info) -> list[tuple[str, CorpusPiece]]:
    """(group, piece) of every readable extra file, from the cache when it is current."""
    from music.corpus.readers import read_abc, read_humdrum, read_musicxml
    from music.corpus.sources import corpus_root

    root = corpus_root()
    files = extra_files(root)
    sources = [str(p.relative_to(root)) for _, p in files]
    path = cache_dir() / f"{CACHE_NAME}.npz"
    if store.is_current(path):
        meta = store.read_meta(path)
        if meta.get("files") == sources:
            return [(_group(p.source), p) for p in store.load(path)]
    readers = {".krn": read_humdrum, ".abc": read_abc}
    pieces: list[tuple[str, CorpusPiece]] = []
    for (group, file), source in zip(files, sources, strict=True):
        reader = readers.get(file.suffix, read_musicxml)
        try:
            read = reader(file, file.parent.name, source)
        except Exception as exc:  # music21 and muspy raise many types on odd files
            log(f"skipped {source}: {type(exc).__name__}: {exc}"[:200])
            continue
        pieces += [(group, piece) for piece in read]
        log(f"read {source}: {len(read)} piece(s)")
    store.save(path, [p for _, p in pieces], {"files": sources})
    return pieces


def _group(source: str) -> str:
    folder = Path(source).parts[0]
    return next(g for g, folders in EXTRA_FOLDERS.items() if folder in folders)


def segments(piece: CorpusPiece, group: str) -> list[MusicalityPiece]:
    """The piece cut into :data:`SEGMENT_BARS`-bar segments (the last one may be shorter;
    a segment of under 4 bars, or without notes, is dropped unless it is the only one)."""
    bars = piece.score.bar_count
    cut = []
    for start in range(0, max(bars, 1), SEGMENT_BARS):
        if start and bars - start < 4:
            break
        score = transforms.crop(piece.score, start, min(start + SEGMENT_BARS, bars))
        if any(track.notes for track in score.tracks):
            cut.append(MusicalityPiece(group, piece.source, f"{piece.id}@{start}", score))
    return cut


def musicality_split(
    split: str, *, seed: int = 0, per_group: int | None = None
) -> list[MusicalityPiece]:
    """The ``train`` or ``validation`` pieces: up to ``per_group`` segments per group
    (default :data:`PIECES_PER_GROUP`), drawn at random with ``seed`` from the group's
    files on that side of the split."""
    if split not in PIECES_PER_GROUP:
        raise ValueError(f"split must be one of {', '.join(PIECES_PER_GROUP)}, not {split!r}")
    limit = per_group or PIECES_PER_GROUP[split]
    red_team = red_team_sources()
    by_group: dict[str, list[MusicalityPiece]] = {group: [] for group in GROUPS}
    for corpus, group in CACHED.items():
        for piece in load_corpus(corpus, split=split):
            if file_split(piece.source, red_team, split) == split:
                by_group[group] += segments(piece, group)
    seen: set[str] = set()
    for group, piece in sorted(read_extra(), key=lambda gp: _format_rank(gp[1].source)):
        key = work_key(piece.source)
        if key not in seen and file_split(piece.source, red_team) == split:
            by_group[group] += segments(piece, group)
        seen.add(key)  # one form of a piece written twice (MusicXML preferred)
    rng = np.random.default_rng([seed, list(PIECES_PER_GROUP).index(split)])
    chosen: list[MusicalityPiece] = []
    for group in GROUPS:
        pieces = by_group[group]
        keep = np.sort(rng.permutation(len(pieces))[:limit])
        chosen += [pieces[i] for i in keep]
    return chosen


def _format_rank(source: str) -> int:
    suffix = Path(source).suffix
    return SUFFIXES.index(suffix) if suffix in SUFFIXES else len(SUFFIXES)


def describe_split(pieces: list[MusicalityPiece]) -> dict[str, object]:
    """What a split holds, for the model's meta: segments and files per group."""
    summary: dict[str, object] = {}
    for group in GROUPS:
        mine = [p for p in pieces if p.group == group]
        summary[group] = {"segments": len(mine), "files": len({p.source for p in mine})}
    return summary
