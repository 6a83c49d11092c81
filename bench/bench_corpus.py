"""Benchmark corpus builds (cold) and cache loads (warm), per corpus.

Run ``python bench/bench_corpus.py [--corpus NAME ...] [--cold]``. Without ``--cold`` it
reports the build time recorded in each existing cache (building any cache that is
missing) and measures the warm load; with ``--cold`` it also rebuilds each corpus into a
temporary directory, single process, and times that. Cold builds of the renaissance
corpus take minutes (Humdrum goes through music21's parser).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from music.corpus import CORPORA, build_corpus, corpus_info, load_corpus

WARM_REPEAT = 3


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", action="append", choices=sorted(CORPORA))
    parser.add_argument("--cold", action="store_true", help="time a fresh build too")
    args = parser.parse_args()
    for name in args.corpus or list(CORPORA):
        cold = None
        if args.cold:
            with tempfile.TemporaryDirectory() as tmp:
                started = time.perf_counter()
                build_corpus(name, cache_dir=Path(tmp), progress=False)
                cold = time.perf_counter() - started
        pieces = load_corpus(name)  # builds the default cache if missing
        info = corpus_info(name)
        warm = []
        for _ in range(WARM_REPEAT):
            started = time.perf_counter()
            pieces = load_corpus(name)
            warm.append(time.perf_counter() - started)
        notes = sum(p.score.note_count for p in pieces)
        cold_text = f"cold {cold:6.1f} s" if cold is not None else "cold   n/a  "
        print(
            f"{name:14} {len(pieces):6} pieces {notes:8} notes  {cold_text}  "
            f"recorded build {info['build_seconds']:6.1f} s  warm load {min(warm):5.2f} s"
        )


if __name__ == "__main__":
    main()
