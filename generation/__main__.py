"""``python -m generation TECHNIQUE INPUT.mid -o OUT.mid [--seed N] [--<param> ...]``.

Each technique's parameters are options named after them (``--creative-risk 2``), with
the studio's defaults. A bad parameter, an unreadable or refused MIDI file, or an input
the generators cannot use ends with a one-line message on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from generation.errors import GenerationError
from generation.registry import TECHNIQUES, generate
from music.midi_io import read_midi_file, write_midi_file
from music.validate import Limits, MidiValidationError

USAGE_ERROR = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m generation", description="Generate music from a MIDI file."
    )
    techniques = parser.add_subparsers(dest="technique", required=True, metavar="TECHNIQUE")
    for technique in TECHNIQUES.values():
        sub = techniques.add_parser(
            technique.name, help=technique.title, description=technique.description
        )
        sub.add_argument("input", type=Path, metavar="INPUT.mid", help="the input MIDI file")
        sub.add_argument(
            "-o", "--output", type=Path, required=True, metavar="OUT.mid", help="where to write"
        )
        sub.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
        sub.add_argument(
            "--threads",
            type=int,
            default=1,
            help="torch CPU threads (default 1, as in the workers)",
        )
        technique.params.add_arguments(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    technique = TECHNIQUES[args.technique]
    try:
        params = technique.params.from_args(args)
        score = read_midi_file(args.input, Limits())
        _set_threads(args.threads)
        started = time.perf_counter()
        result = generate(technique.name, score, params, args.seed)
        seconds = time.perf_counter() - started
        write_midi_file(result, args.output)
    except (GenerationError, MidiValidationError) as error:
        print(f"error: {error.message}", file=sys.stderr)
        return USAGE_ERROR
    except OSError as error:
        print(f"error: {error.strerror or error}: {error.filename}", file=sys.stderr)
        return USAGE_ERROR
    print(
        f"wrote {args.output}: {result.note_count} notes, {result.bar_count} bars "
        f"({technique.version}, seed {args.seed}, {seconds:.2f} s)"
    )
    return 0


def _set_threads(threads: int) -> None:
    # Small networks lose more to thread hand-offs than they gain, above all on a busy
    # machine; import torch only here so that --help stays fast.
    import torch

    torch.set_num_threads(max(1, threads))


if __name__ == "__main__":
    sys.exit(main())
