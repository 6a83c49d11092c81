"""``python -m evaluation``: score MIDI files, build profiles, write validity reports.

python -m evaluation score FILE... [--profile NAME] [--json] [--weights realism=0.5,...]
python -m evaluation build-profile NAME [--seed N] [--quick] [--tune-critic-only]
python -m evaluation build-musicality [--seed N] [--quick]
python -m evaluation validity-report NAME
python -m evaluation redteam NAME [--seed N] [--pieces N]
python -m evaluation c2st REAL_DIR FAKE_DIR [--folds N] [--seed N] [--group-pattern RE]
    [--strong] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from evaluation.musicality import MODEL_DIR as MUSICALITY_DIR
from evaluation.profile import DEFAULT_PROFILE, PROFILE_SPECS, PROFILES_DIR, ProfileError
from evaluation.report import Weights, WeightsError

EXIT_USAGE = 2
EXIT_BAD_INPUT = 1


def _parse_weights(text: str | None) -> Weights:
    if not text:
        return Weights()
    pairs = {}
    for item in text.split(","):
        name, sep, value = item.partition("=")
        if not sep:
            raise WeightsError(f"Write weights as name=value pairs, not {item!r}.")
        pairs[name.strip()] = value.strip()
    return Weights.from_dict(pairs)


def _score(args: argparse.Namespace) -> int:
    from evaluation.evaluate import evaluate_many
    from evaluation.profile import load_profile
    from music.validate import MidiValidationError, validate_midi

    weights = _parse_weights(args.weights)
    profile = load_profile(args.profile, Path(args.profiles_dir))
    results: list[dict[str, object]] = []
    scores, names = [], []
    failed = False
    for file in args.files:
        try:
            scores.append(validate_midi(Path(file).read_bytes()))
            names.append(file)
        except OSError as exc:
            results.append({"file": file, "error": f"Cannot read the file: {exc.strerror}."})
            failed = True
        except MidiValidationError as exc:
            results.append({"file": file, "error": exc.message, "code": exc.code})
            failed = True
    for name, report in zip(names, evaluate_many(scores, profile, weights), strict=True):
        results.append({"file": name, **report.to_json()})
    results.sort(key=lambda r: args.files.index(str(r["file"])))
    if args.json:
        json.dump(results, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for result in results:
            _print_result(result)
    return EXIT_BAD_INPUT if failed else 0


def _print_result(result: dict[str, object]) -> None:
    if "error" in result:
        print(f"{result['file']}: error: {result['error']}")
        return
    flags = result["flags"]
    assert isinstance(flags, list)
    marks = "".join(f" [{f['code']}]" for f in flags)
    print(f"{result['file']}: {result['score']:.1f}/100{marks}")
    print("  " + str(result["explanation"]).replace("\n", "\n  "))


def _build_profile(args: argparse.Namespace) -> int:
    from evaluation.build import build_and_save

    build_and_save(
        args.name,
        seed=args.seed,
        quick=args.quick,
        output=Path(args.output),
        max_critic_pieces=args.max_critic_pieces,
        keep_critic=args.keep_critic,
        tune_critic=args.tune_critic,
        tune_critic_only=args.tune_critic_only,
        recalibrate_coverage=args.recalibrate_coverage,
    )
    return 0


def _build_musicality(args: argparse.Namespace) -> int:
    from evaluation.musicality.build import build_musicality

    build_musicality(seed=args.seed, quick=args.quick, output=Path(args.output))
    return 0


def _validity_report(args: argparse.Namespace) -> int:
    """The validity report, then the red-team suite (REDTEAM.md), whose targets end it."""
    from evaluation.redteam.run import add_to_validity_report, write_redteam_report
    from evaluation.validity import write_validity_report

    directory = Path(args.output)
    path = write_validity_report(args.name, directory=directory, seed=args.seed)
    redteam = write_redteam_report(args.name, directory=directory, seed=args.seed)
    add_to_validity_report(path, redteam)
    print(path.read_text())
    return 0


def _redteam(args: argparse.Namespace) -> int:
    from evaluation.redteam.run import write_redteam_report

    result = write_redteam_report(
        args.name, directory=Path(args.output), seed=args.seed, max_pieces=args.pieces
    )
    print(result.to_markdown())
    return 0


def _c2st(args: argparse.Namespace) -> int:
    from evaluation.c2st import C2STError, compare_dirs, format_report

    compare = compare_dirs
    if args.strong:  # imports torch, which the plain test does not need
        from evaluation.c2st_strong import compare_dirs_strong

        compare = compare_dirs_strong
    try:
        report = compare(
            Path(args.real_dir),
            Path(args.fake_dir),
            folds=args.folds,
            seed=args.seed,
            group_pattern=args.group_pattern,
        )
    except C2STError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.json:
        json.dump(report, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print(format_report(report))
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m evaluation", description=__doc__.split("\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)

    score = commands.add_parser("score", help="score MIDI files against a profile")
    score.add_argument("files", nargs="+", metavar="FILE")
    score.add_argument("--profile", default=DEFAULT_PROFILE, help="default: %(default)s")
    score.add_argument("--json", action="store_true", help="print a JSON list, one object a file")
    score.add_argument("--weights", help="e.g. realism=0.5,typicality=0.3,frechet=0.2")
    score.add_argument("--profiles-dir", default=str(PROFILES_DIR), help=argparse.SUPPRESS)
    score.set_defaults(run=_score)

    build = commands.add_parser("build-profile", help="train and calibrate a reference profile")
    build.add_argument("name", choices=sorted(PROFILE_SPECS))
    build.add_argument("--seed", type=int, default=0)
    build.add_argument("--quick", action="store_true", help="a tiny run to check the pipeline")
    build.add_argument(
        "--max-critic-pieces",
        type=int,
        default=400,
        help="train the critics on at most this many pieces (default: %(default)s)",
    )
    build.add_argument(
        "--keep-critic",
        action="store_true",
        help="keep the trained critic and baseline judge of the existing profile "
        "(same training pieces); rebuild descriptors and the novelty index",
    )
    build.add_argument(
        "--tune-critic",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="train the whole-tune critic (default: as the profile's spec says)",
    )
    build.add_argument(
        "--tune-critic-only",
        action="store_true",
        help="(re)train only the whole-tune critic on top of the existing profile",
    )
    build.add_argument(
        "--recalibrate-coverage",
        action="store_true",
        help="rebuild the copy check's coverage (canonical forms of every piece) in the "
        "saved novelty index and choose its thresholds again on the validation split",
    )
    build.add_argument("--output", default=str(PROFILES_DIR), help="default: %(default)s")
    build.set_defaults(run=_build_profile)

    musicality = commands.add_parser(
        "build-musicality", help="train the general musicality critic shared by all profiles"
    )
    musicality.add_argument("--seed", type=int, default=0)
    musicality.add_argument("--quick", action="store_true", help="a tiny run to check the pipeline")
    musicality.add_argument("--output", default=str(MUSICALITY_DIR), help="default: %(default)s")
    musicality.set_defaults(run=_build_musicality)

    validity = commands.add_parser("validity-report", help="measure how well a profile judges")
    validity.add_argument("name", choices=sorted(PROFILE_SPECS))
    validity.add_argument("--seed", type=int, default=0)
    validity.add_argument("--output", default=str(PROFILES_DIR), help="default: %(default)s")
    validity.set_defaults(run=_validity_report)

    redteam = commands.add_parser(
        "redteam", help="attack a profile with disguised copies, performances and damage"
    )
    redteam.add_argument("name", choices=sorted(PROFILE_SPECS))
    redteam.add_argument("--seed", type=int, default=0)
    redteam.add_argument("--pieces", type=int, default=None, help="use only the first N")
    redteam.add_argument("--output", default=str(PROFILES_DIR), help="default: %(default)s")
    redteam.set_defaults(run=_redteam)

    c2st = commands.add_parser(
        "c2st", help="classifier two-sample test: can two folders of MIDI be told apart?"
    )
    c2st.add_argument("real_dir", metavar="REAL_DIR")
    c2st.add_argument("fake_dir", metavar="FAKE_DIR")
    c2st.add_argument("--folds", type=int, default=5, help="default: %(default)s")
    c2st.add_argument("--seed", type=int, default=0)
    c2st.add_argument(
        "--group-pattern",
        help="regular expression on file names whose first group names a file's source "
        "(default: the name up to the first '__')",
    )
    c2st.add_argument(
        "--strong",
        action="store_true",
        help="also run boosted stumps and a small network (evaluation.c2st_strong)",
    )
    c2st.add_argument("--json", action="store_true", help="print the figures as JSON")
    c2st.set_defaults(run=_c2st)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return int(args.run(args))
    except (WeightsError, ProfileError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
