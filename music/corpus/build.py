"""Build a corpus from music21's bundled files, and load it back from the cache."""

from __future__ import annotations

import logging
import multiprocessing
import time
from collections import Counter
from pathlib import Path
from typing import Any

from tqdm import tqdm

from music.corpus import store
from music.corpus.convert import CorpusPiece, dedupe
from music.corpus.readers import Reader, RejectedFile
from music.corpus.sources import CORPORA, collection_files, corpus_root
from music.corpus.splits import assign_splits, near_duplicate_ids, split_ids

logger = logging.getLogger(__name__)

Task = tuple[Reader, Path, str, str]
TaskResult = tuple[list[CorpusPiece], str | None, str | None]


def _check_name(name: str) -> None:
    if name not in CORPORA:
        raise ValueError(f"unknown corpus {name!r}; choose one of {', '.join(CORPORA)}")


def _tasks(name: str) -> list[Task]:
    root = corpus_root()
    return [
        (collection.reader, path, collection.name, path.relative_to(root).as_posix())
        for collection in CORPORA[name].collections
        for path in collection_files(collection)
    ]


def _run(task: Task) -> TaskResult:
    """(pieces, rejection reason, error) for one file; never raises, so a pool survives."""
    reader, path, collection, source = task
    try:
        return reader(path, collection, source), None, None
    except RejectedFile as exc:
        return [], str(exc), None
    except Exception as exc:  # one unreadable file must not sink a build
        return [], None, f"{source}: {type(exc).__name__}: {exc}"


def build_corpus(
    name: str,
    *,
    cache_dir: Path | None = None,
    jobs: int = 1,
    progress: bool = True,
) -> list[CorpusPiece]:
    """Parse, convert and dedupe every file of corpus ``name`` and write its cache."""
    _check_name(name)
    started = time.perf_counter()
    tasks = _tasks(name)
    pieces: list[CorpusPiece] = []
    rejected: Counter[str] = Counter()
    errors: list[str] = []
    bar = tqdm(total=len(tasks), desc=name, unit="file", disable=not progress)
    with bar:
        if jobs > 1:
            with multiprocessing.get_context("spawn").Pool(jobs) as pool:
                results = list(_progress(pool.imap(_run, tasks, chunksize=4), bar))
        else:
            results = list(_progress(map(_run, tasks), bar))
    for file_pieces, reason, error in results:
        pieces.extend(file_pieces)
        if reason:
            rejected[reason] += 1
        if error:
            errors.append(error)
            logger.warning("corpus %s: skipped %s", name, error)
    kept, duplicates = dedupe(pieces)
    info: dict[str, Any] = {
        "corpus": name,
        "files": len(tasks),
        "parsed_pieces": len(pieces),
        "rejected_files": dict(rejected),
        "errors": errors,
        "duplicates": duplicates,
        "build_seconds": round(time.perf_counter() - started, 1),
    }
    store.save(store.cache_path(name, cache_dir), kept, info)
    return kept


def _progress(results: Any, bar: tqdm[Any]) -> Any:
    for result in results:
        bar.update(1)
        yield result


def load_corpus(
    name: str, split: str | None = None, *, cache_dir: Path | None = None
) -> list[CorpusPiece]:
    """The pieces of corpus ``name`` (optionally one split), building the cache if missing.

    The split comes from the committed manifest (``music/splits/NAME.json``), or, where
    there is none, from the same rule the manifests are made with. The pieces the
    manifest leaves out as near-duplicates of others are left out of the whole corpus
    too (the novelty index, for one, must not hold a held-out piece's twin).
    """
    _check_name(name)
    path = store.cache_path(name, cache_dir)
    if store.is_current(path):
        pieces = store.load(path)
    else:
        logger.info("corpus %s: no current cache at %s, building it", name, path)
        pieces = build_corpus(name, cache_dir=cache_dir, progress=False)
    if split is None:
        duplicates = near_duplicate_ids(name)
        return [p for p in pieces if p.id not in duplicates]
    wanted = split_ids(name, split)
    if wanted is None:
        splits = assign_splits(pieces)
        return [p for p in pieces if splits[p.id] == split]
    return [p for p in pieces if p.id in wanted]


def read_piece(piece_id: str) -> CorpusPiece:
    """Parse just the file holding ``piece_id`` (no cache, no dedupe): for one-off use."""
    collection_name, _, rest = piece_id.partition("/")
    stem = rest.partition("#")[0]
    root = corpus_root()
    for spec in CORPORA.values():
        for collection in spec.collections:
            if collection.name != collection_name:
                continue
            for path in collection_files(collection):
                if path.stem != stem:
                    continue
                source = path.relative_to(root).as_posix()
                for piece in collection.reader(path, collection.name, source):
                    if piece.id == piece_id:
                        return piece
    raise KeyError(f"no corpus piece {piece_id!r}")


def corpus_info(name: str, *, cache_dir: Path | None = None) -> dict[str, Any]:
    """The build record (files, rejections, duplicates, timings) of a cached corpus."""
    _check_name(name)
    meta = store.read_meta(store.cache_path(name, cache_dir))
    meta["pieces"] = len(meta["pieces"])
    return meta
