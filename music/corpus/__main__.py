"""``python -m music.corpus build|split|info``: build caches, regenerate split manifests."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

from music.corpus.build import build_corpus, corpus_info, load_corpus
from music.corpus.sources import CORPORA
from music.corpus.splits import read_manifest, write_manifest


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m music.corpus", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    for command, help_text in (
        ("build", "parse music21's corpus files and (re)write the cache"),
        ("split", "regenerate the committed split manifests under music/splits/"),
        ("info", "print the size of each cached corpus and its splits"),
    ):
        sub = commands.add_parser(command, help=help_text)
        sub.add_argument(
            "--corpus",
            action="append",
            choices=sorted(CORPORA),
            help="corpus to work on (repeatable; default: all)",
        )
        sub.add_argument(
            "--cache-dir",
            type=Path,
            help="cache directory (default: $CHARTBUSTERS_CACHE_DIR/corpus or "
            "~/.cache/chartbusters/corpus)",
        )
        if command == "build":
            sub.add_argument("--jobs", type=_positive, default=1, help="worker processes")
    return parser


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _info(name: str, cache_dir: Path | None) -> str:
    pieces = load_corpus(name, cache_dir=cache_dir)  # builds the cache if missing
    info = corpus_info(name, cache_dir=cache_dir)
    manifest = read_manifest(name)
    known = {p.id for p in pieces}
    splits = (
        {split: len(known.intersection(ids)) for split, ids in manifest.items()}
        if manifest is not None
        else "no manifest (python -m music.corpus split)"
    )
    keys = ("pieces", "files", "parsed_pieces", "rejected_files", "build_seconds")
    summary = {k: info[k] for k in keys}
    summary["duplicates"] = len(info["duplicates"])
    summary["errors"] = len(info["errors"])
    return f"{name} {json.dumps({**summary, 'splits': splits})}"


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    args = _parser().parse_args(argv)
    for name in args.corpus or list(CORPORA):
        if args.command == "build":
            started = time.perf_counter()
            pieces = build_corpus(name, cache_dir=args.cache_dir, jobs=args.jobs)
            elapsed = time.perf_counter() - started
            print(f"{name}: {len(pieces)} pieces in {elapsed:.1f} s")
        elif args.command == "split":
            pieces = load_corpus(name, cache_dir=args.cache_dir)
            path = write_manifest(name, pieces)
            print(f"{name}: wrote {path}")
        else:
            print(_info(name, args.cache_dir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
