"""Run the red-team suite against a profile and write ``REDTEAM.md`` beside it.

Every attack is built from the profile's *test* split (never seen when the profile was
built or its thresholds chosen), and the real music of other composers comes straight
from music21's corpus. Rows:

- **disguised copies** (scored without excluding anything: the source is in the
  reference index) must be flagged;
- **held-out real** pieces and **other composers** must not be, and other real music
  should score well above every junk family;
- **performance** changes (timing, one track, excerpts) are paired with the same
  piece's own score: the judge should barely move;
- **damage** (wrong notes at rising rates) must lower the median at every step;
- **junk** is the built-in fake families, for the comparison above;
- **strong rule harmonisations**: each piece's soprano harmonised afresh by
  :mod:`music.harmoniser`, which must score well below the real pieces (AUROC of the
  judge's score, real against harmonised, and the gap of the medians); a second row keeps
  the best of several seeds by the judge's own score, as a determined attacker would.

Real pieces and their performances, damage, junk and harmonisations are scored with their
own source excluded (they are the source, not copies of it), as in the validity report.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from evaluation.evaluate import evaluate_many, evaluator_version
from evaluation.fakes import BUILTIN, make_fake
from evaluation.fingerprint import fingerprint
from evaluation.novelty import NoveltyIndex
from evaluation.profile import PROFILES_DIR, Profile
from evaluation.redteam import attacks
from evaluation.redteam.other_music import read_other_music
from evaluation.report import Report
from evaluation.validity import auroc
from music.score import Note, Score

COPIES: dict[str, attacks.Attack] = {
    "extra doubling tracks": attacks.doubling_tracks,
    "all voices merged into one track": attacks.merged,
    "spread over 6 tracks note by note (hocket)": attacks.hocket,
    "lower voices moved by octaves": attacks.octave_moves,
    "major and minor swapped": attacks.mode_swapped,
    "bars shuffled": attacks.bar_shuffle,
}
# The performance rows added since evaluator 4.2, each with its own random stream.
OWN_STREAMS: dict[attacks.Attack, int] = {attacks.played_in: 1, attacks.detached: 2}
CENTO_BARS = (2, 4)
CENTO_SOURCES = 3  # other test pieces a cento draws on, besides the piece
PERFORMANCE: dict[str, attacks.Attack] = {
    "timing jitter of up to 20 ms": attacks.timing_jitter,
    "played in without the click, saved at 120 bpm": attacks.played_in,
    "played in detached, each note let go after 65-90 % of its value": attacks.detached,
    "written in twice its note values at twice the tempo, meter as written": (
        attacks.note_values(2, bars_kept=False)
    ),
    "written in half its note values at half the tempo, bar lines kept": (
        attacks.note_values(-2, bars_kept=True)
    ),
    "all voices in one piano track": attacks.one_piano_track,
    "first 8 bars": attacks.first_bars(8),
    "first 4 bars (reported, no target)": attacks.first_bars(4),
}
DAMAGE = (0.01, 0.05, 0.10, 0.20, 0.40)
TARGET_COPY_FLAGGED = 0.99
TARGET_REAL_FALSE_FLAGS = 0.02
TARGET_OTHER_FALSE_FLAGS = 0.01
TARGET_OTHER_MEDIAN = 30.0
TARGET_PERFORMANCE_DELTA = 5.0
TARGET_HARMONISATION_AUROC = 0.95
TARGET_HARMONISATION_GAP = 20.0  # points below the real median
HARMONISATION = "strong rule harmonisations"
HARMONISATION_TRIES = 8  # seeds of which the "best of" row keeps the highest-scoring


@dataclass(frozen=True)
class Row:
    family: str
    kind: str  # copy, real, other, performance, damage, junk, harmonisation
    scores: tuple[float, ...]
    flagged: float
    delta: float | None = None  # performance: median paired change from the original
    # Why the row does not apply to these pieces (it is reported, never a target): an
    # attack that leaves every piece as it was, such as moving the lower voices of
    # one-voice tunes.
    not_applicable: str = ""

    @property
    def median(self) -> float:
        return float(np.median(self.scores)) if self.scores else float("nan")

    def quantile(self, q: float) -> float:
        return float(np.quantile(self.scores, q)) if self.scores else float("nan")


@dataclass
class RedTeamResult:
    profile: str
    evaluator_version: str
    pieces: int
    rows: list[Row] = field(default_factory=list)
    seconds: float = 0.0

    def kind(self, kind: str) -> list[Row]:
        return [row for row in self.rows if row.kind == kind]

    def checks(self) -> list[tuple[str, str]]:
        """(target, "pass" / "FAIL" / "not measured")."""
        real = self.kind("real")
        others = self.kind("other")
        junk_p95 = max((row.quantile(0.95) for row in self.kind("junk")), default=float("nan"))
        other_scores = [s for row in others for s in row.scores]
        other_flagged = (
            float(np.mean([row.flagged for row in others for _ in row.scores])) if others else 1
        )
        medians = [real[0].median] + [row.median for row in self.kind("damage")] if real else []
        performance = [
            r
            for r in self.kind("performance")
            if "no target" not in r.family and not r.not_applicable
        ]
        checks = [
            (
                f"every disguised copy kind flagged >= {TARGET_COPY_FLAGGED:.0%}",
                all(
                    row.flagged >= TARGET_COPY_FLAGGED
                    for row in self.kind("copy")
                    if not row.not_applicable
                ),
            ),
            (
                f"held-out real falsely flagged <= {TARGET_REAL_FALSE_FLAGS:.0%}",
                bool(real) and real[0].flagged <= TARGET_REAL_FALSE_FLAGS,
            ),
            (
                f"other composers falsely flagged <= {TARGET_OTHER_FALSE_FLAGS:.0%}",
                bool(others) and other_flagged <= TARGET_OTHER_FALSE_FLAGS,
            ),
            (
                f"other real music median >= {TARGET_OTHER_MEDIAN:g} and above every junk "
                "family's 95th percentile",
                bool(other_scores)
                and float(np.median(other_scores)) >= TARGET_OTHER_MEDIAN
                and float(np.median(other_scores)) > junk_p95,
            ),
            (
                "timing, played in, detached, note values, one track and first 8 bars each "
                f"within {TARGET_PERFORMANCE_DELTA:g} points",
                all(abs(r.delta or 0.0) <= TARGET_PERFORMANCE_DELTA for r in performance),
            ),
            (
                "median falls strictly at each damage step",
                len(medians) > 1 and all(a > b for a, b in itertools.pairwise(medians)),
            ),
        ]
        result = [(name, "pass" if ok else "FAIL") for name, ok in checks]
        result.append(self._harmonisation_check())
        return result

    def _harmonisation_check(self) -> tuple[str, str]:
        name = (
            f"{HARMONISATION}: AUROC >= {TARGET_HARMONISATION_AUROC} against held-out real, "
            f"median >= {TARGET_HARMONISATION_GAP:g} points below"
        )
        real = self.kind("real")
        rows = [r for r in self.kind("harmonisation") if r.family == HARMONISATION]
        if not real or not rows:
            return name, "not measured"
        area = auroc(np.array(real[0].scores), np.array(rows[0].scores))
        gap = real[0].median - rows[0].median
        ok = area >= TARGET_HARMONISATION_AUROC and gap >= TARGET_HARMONISATION_GAP
        return name, f"{'pass' if ok else 'FAIL'} (AUROC {area:.3f}, {gap:.1f} points below)"

    def to_markdown(self) -> str:
        lines = [
            f"# Red-team report: {self.profile}",
            "",
            f"Evaluator `{self.evaluator_version}`; {self.pieces} test-split pieces; "
            f"{self.seconds:.0f} s. Written by `python -m evaluation redteam {self.profile}`.",
            "",
            "| family | kind | pieces | flagged as copies | median | 25-75 % | change from "
            "the original |",
            "| --- | --- | --- | --- | --- | --- | --- |",
        ]
        for row in self.rows:
            delta = "" if row.delta is None else f"{row.delta:+.1f}"
            if row.not_applicable:
                delta = f"{delta} n/a: {row.not_applicable}".strip()
            lines.append(
                f"| {row.family} | {row.kind} | {len(row.scores)} | {row.flagged:.0%} | "
                f"{row.median:.1f} | {row.quantile(0.25):.1f}-{row.quantile(0.75):.1f} | "
                f"{delta} |"
            )
        lines += ["", "## Targets", "", "| target | result |", "| --- | --- |"]
        lines += [f"| {name} | {outcome} |" for name, outcome in self.checks()]
        return "\n".join(lines) + "\n"


def run_redteam(
    profile: Profile,
    test: Sequence[tuple[str, Score]],
    other_music: Sequence[tuple[str, Score]] = (),
    *,
    seed: int = 0,
    progress: Callable[[str], None] = lambda _: None,
) -> RedTeamResult:
    """Every row for ``test`` (corpus ids and scores) and ``other_music`` (label, score)."""
    started = time.monotonic()
    rng = np.random.default_rng(seed)
    sources = [f"{profile.corpus}:{piece_id}" for piece_id, _ in test]
    pieces = [score for _, score in test]
    result = RedTeamResult(profile.name, evaluator_version(profile), len(pieces))

    def judge(scores: list[Score], exclude: list[list[str]] | None, **kw: object) -> list[Report]:
        return evaluate_many(scores, profile, exclude_each=exclude, **kw)  # type: ignore[arg-type]

    own = [[source] for source in sources]
    real_reports = judge(pieces, own)
    real_scores = [r.score for r in real_reports]
    result.rows.append(_row("held-out real", "real", real_reports))
    for name, attack in COPIES.items():
        progress(name)
        made = [attack(p, rng) for p in pieces]
        row = _row(name, "copy", judge(made, None))
        result.rows.append(replace(row, not_applicable=_unchanged(pieces, made)))
    for bars in CENTO_BARS:
        progress(f"cento of {bars}-bar chunks")
        made = [attacks.cento(p, rng, _others(pieces, i, rng), bars) for i, p in enumerate(pieces)]
        label = f"cento of {bars}-bar chunks from {CENTO_SOURCES + 1} pieces"
        result.rows.append(_row(label, "copy", judge(made, None)))
    progress("shuffled earlier entry")
    entries = NoveltyIndex()
    for i, piece in enumerate(pieces):
        entries.add(f"entry:{i}", fingerprint(piece))
    shuffled = [attacks.bar_shuffle(p, rng) for p in pieces]
    row = _row("another entry, bars shuffled", "copy", judge(shuffled, own, entries=entries))
    result.rows.append(row)
    for name, attack in PERFORMANCE.items():
        progress(name)
        # Rows added since evaluator 4.2 draw from their own generator, so that adding
        # them left every other row's draws, and figures, as they were.
        stream = OWN_STREAMS.get(attack)
        draws = rng if stream is None else np.random.default_rng([seed, stream])
        made = [attack(p, draws) for p in pieces]
        reports = judge(made, own)
        delta = float(np.median([r.score - s for r, s in zip(reports, real_scores, strict=True)]))
        row = _row(name, "performance", reports, delta)
        result.rows.append(replace(row, not_applicable=_unchanged(pieces, made)))
    for share in DAMAGE:
        progress(f"{share:.0%} wrong notes")
        reports = judge([attacks.wrong_notes(share)(p, rng) for p in pieces], own)
        result.rows.append(_row(f"{share:.0%} of notes wrong", "damage", reports))
    for family in BUILTIN:
        progress(f"junk: {family}")
        reports = judge([make_fake(family, p, rng) for p in pieces], own)
        result.rows.append(_row(f"junk: {family}", "junk", reports))
    progress(HARMONISATION)
    result.rows.extend(_harmonisation_rows(pieces, own, rng, judge))
    by_label: dict[str, list[Score]] = {}
    for label, score in other_music:
        by_label.setdefault(label, []).append(score)
    for label, scores in by_label.items():
        progress(label)
        result.rows.append(_row(label, "other", judge(scores, None)))
    result.seconds = time.monotonic() - started
    return result


def _unchanged(pieces: Sequence[Score], made: Sequence[Score]) -> str:
    """Why an attack does not apply, when it left every piece as it was (each track's
    notes and instrument, on the same grid at the same tempo)."""
    same = all(_layout(a) == _layout(b) for a, b in zip(pieces, made, strict=True))
    if not same:
        return ""
    if all(len(p.pitched_tracks()) <= 1 for p in pieces):
        return "one-voice pieces, left unchanged"
    return "left every piece unchanged"


def _layout(score: Score) -> tuple[int, float, list[tuple[int, list[Note]]]]:
    tracks = [(t.program, sorted(t.notes)) for t in score.tracks if t.notes]
    return score.resolution, score.tempo, tracks


def _row(name: str, kind: str, reports: list[Report], delta: float | None = None) -> Row:
    flagged = [any(f.code == "copy" for f in r.flags) for r in reports]
    return Row(name, kind, tuple(r.score for r in reports), float(np.mean(flagged)), delta)


def _harmonisation_rows(
    pieces: Sequence[Score],
    own: list[list[str]],
    rng: np.random.Generator,
    judge: Callable[[list[Score], list[list[str]] | None], list[Report]],
) -> list[Row]:
    """One harmonisation per piece, and the best of :data:`HARMONISATION_TRIES` seeds."""
    tries = [
        judge([attacks.strong_harmonisation(p, rng) for p in pieces], own)
        for _ in range(HARMONISATION_TRIES)
    ]
    best = [max(reports, key=lambda r: r.score) for reports in zip(*tries, strict=True)]
    label = f"{HARMONISATION}, best of {HARMONISATION_TRIES} seeds (no target)"
    return [_row(HARMONISATION, "harmonisation", tries[0]), _row(label, "harmonisation", best)]


def _others(pieces: Sequence[Score], index: int, rng: np.random.Generator) -> list[Score]:
    candidates = [i for i in range(len(pieces)) if i != index]
    chosen = rng.choice(candidates, size=min(CENTO_SOURCES, len(candidates)), replace=False)
    return [pieces[int(i)] for i in chosen]


def add_to_validity_report(path: Path, result: RedTeamResult) -> None:
    """End the validity report at ``path`` with the red team's targets (the validity
    report runs the suite too: ``python -m evaluation validity-report``)."""
    lines = [
        "",
        "## Red team",
        "",
        f"The red-team suite (`python -m evaluation redteam {result.profile}`) on the same test "
        f"split, {result.pieces} pieces: disguised copies, performances, damage, junk, strong "
        "rule harmonisations and other composers' music. Every family's row is in "
        "`REDTEAM.md`, rewritten by this run.",
        "",
        "| target | result |",
        "| --- | --- |",
        *(f"| {target} | {outcome} |" for target, outcome in result.checks()),
    ]
    path.write_text(path.read_text().rstrip("\n") + "\n" + "\n".join(lines) + "\n")


def write_redteam_report(
    name: str,
    *,
    directory: Path = PROFILES_DIR,
    seed: int = 0,
    max_pieces: int | None = None,
    log: Callable[[str], None] = print,
) -> RedTeamResult:
    """Run the suite for profile ``name`` and write ``REDTEAM.md`` beside it."""
    from evaluation.build import load_split

    profile = Profile.load(directory / name)
    test = [(p.id, p.score) for p in load_split(profile.corpus, "test")][:max_pieces]
    log(f"{name}: reading other composers' music")
    own = {piece.source for piece in load_split(profile.corpus, None)}
    other = read_other_music(log, exclude=own)
    result = run_redteam(profile, test, other, seed=seed, progress=lambda s: log(f"  {s}"))
    (directory / name / "REDTEAM.md").write_text(result.to_markdown())
    return result
