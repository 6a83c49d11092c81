"""Reference corpora from music21's bundled corpus, on one grid, with fixed splits.

``load_corpus("bach-chorales", split="train")`` returns ``CorpusPiece`` objects (id,
source path, title, Score at 24 ticks per quarter note). The first load builds a cache
(``python -m music.corpus build`` does the same with a progress bar); later loads read it.
"""

from music.corpus.build import build_corpus, corpus_info, load_corpus, read_piece
from music.corpus.convert import GRID, CorpusPiece, content_hash, dedupe
from music.corpus.sources import CORPORA
from music.corpus.splits import SPLITS, assign_splits, read_manifest
from music.corpus.store import default_cache_dir

__all__ = [
    "CORPORA",
    "GRID",
    "SPLITS",
    "CorpusPiece",
    "assign_splits",
    "build_corpus",
    "content_hash",
    "corpus_info",
    "dedupe",
    "default_cache_dir",
    "load_corpus",
    "read_manifest",
    "read_piece",
]
