"""``python -m generation TECHNIQUE INPUT.mid -o OUT.mid [--seed N] [--<param> ...]``.

Each technique's parameters are options named after them (``--creative-risk 2``), with
the studio's defaults. ``--model-version V`` runs an archived model version instead of the
shipped one; ``python -m generation archive --list`` lists the archived checkpoints, their
sizes and the model versions they keep runnable.

A bad parameter, an unreadable or refused MIDI file, an input the generators cannot use,
or a model version they cannot run ends with a one-line message on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from generation.archive import archive_dir, archived_checkpoints
from generation.errors import GenerationError
from generation.registry import TECHNIQUES, generate
from generation.versions import ARCHIVED
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
        sub.add_argument(
            "--model-version",
            default=None,
            metavar="VERSION",
            help=f"an archived model version to run (default: the shipped {technique.version})",
        )
        technique.params.add_arguments(sub)
    archive = techniques.add_parser(
        "archive",
        help="the archived checkpoints (older model versions)",
        description="List the checkpoints training replaced, kept so that what they made "
        "can still be verified, and the model versions they keep runnable.",
    )
    archive.add_argument("--list", action="store_true", help="list them (the default)")
    return parser


def list_archive() -> int:
    checkpoints = archived_checkpoints()
    total = sum(c.size for c in checkpoints)
    print(f"{archive_dir()}: {len(checkpoints)} archived checkpoints, {_size(total)}")
    for c in checkpoints:
        print(f"  {c.folder}  {_size(c.size)}  trained from {c.git_revision}")
    for technique in TECHNIQUES.values():
        for version, status in technique.runnable_versions().items():
            if status.state == ARCHIVED:
                folders = ", ".join(path.parent.name for path in status.weights.values())
                print(f"{version}  archived: {folders}")
        print(f"{technique.version}  shipped")
    return 0


def _size(size: int) -> str:
    return f"{size / 1e6:.1f} MB" if size >= 100_000 else f"{size / 1e3:.0f} kB"


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.technique == "archive":
        return list_archive()
    technique = TECHNIQUES[args.technique]
    try:
        params = technique.params.from_args(args)
        score = read_midi_file(args.input, Limits())
        _set_threads(args.threads)
        started = time.perf_counter()
        version = args.model_version
        result = generate(technique.name, score, params, args.seed, version=version)
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
        f"({version or technique.version}, seed {args.seed}, {seconds:.2f} s)"
    )
    return 0


def _set_threads(threads: int) -> None:
    # Small networks lose more to thread hand-offs than they gain, above all on a busy
    # machine; import torch only here so that --help stays fast.
    import torch

    torch.set_num_threads(max(1, threads))


if __name__ == "__main__":
    sys.exit(main())
