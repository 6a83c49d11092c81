"""Choosing the copy detector's thresholds on a validation split (building a profile).

The kinds of copy the thresholds must catch (``COPY_KINDS`` for whole copies,
``PARTIAL_COPY_KINDS`` for copies of part of a source) are made from validation pieces;
each threshold is set midway between the weakest copies and the most copy-like real
pieces. Scoring never imports this module: it only reads the thresholds a profile
stores (see :mod:`evaluation.novelty`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np

from evaluation.coverage import Coverage
from evaluation.fingerprint import Fingerprint, fingerprint
from evaluation.novelty import MIN_LOCAL_NOTES, NoveltyIndex, copy_strength
from evaluation.redteam import attacks
from music import transforms
from music.score import Score


def _reinstrument(score: Score) -> Score:
    programs = [40, 41, 42, 70, 71, 68]
    tracks = [replace(t, program=programs[i % len(programs)]) for i, t in enumerate(score.tracks)]
    return replace(score, tracks=tracks)


def _reorder(score: Score) -> Score:
    return replace(score, tracks=list(reversed(score.tracks)))


CopyKind = Callable[[Score, np.random.Generator], Score]
COPY_KINDS: dict[str, CopyKind] = {
    "verbatim": lambda s, rng: s,
    "transposed": lambda s, rng: transforms.transpose(s, int(rng.choice([-5, -3, 2, 4, 7]))),
    "time-stretched": lambda s, rng: transforms.time_stretch(
        s, float(rng.choice([0.5, 0.75, 1.5]))
    ),
    "re-instrumented": lambda s, rng: _reinstrument(s),
    "tracks reordered": lambda s, rng: _reorder(s),
    "10% of notes dropped": lambda s, rng: transforms.drop_notes(s, 0.1, seed=rng),
}


def _excerpt(score: Score, rng: np.random.Generator, seconds: float = 30.0) -> Score:
    """Half the piece, and at least ``seconds`` (whole bars), from a random bar. (Thirty
    seconds of slow polyphony can be under 20 notes a voice, below MIN_LOCAL_NOTES.)"""
    bars = max(1, int(seconds / (score.ticks_per_bar * score.seconds_per_tick)))
    bars = max(bars, (score.bar_count + 1) // 2)
    start = int(rng.integers(0, max(score.bar_count - bars, 0) + 1))
    return transforms.crop(score, start, start + bars)


# Copies of part of a source, or of a source within more music: found by local
# matching, with their own threshold (``local_threshold``, in notes).
PARTIAL_COPY_KINDS: dict[str, CopyKind] = {
    "excerpt (half, at least 30 s)": _excerpt,
    "looped (played twice)": lambda s, rng: transforms.concatenate([s, s]),
    # New music after the source: the source again, backwards and a tritone away
    # (same style, different lines).
    "new material appended": lambda s, rng: transforms.concatenate(
        [s, transforms.reverse(transforms.transpose(s, 6))]
    ),
    "excerpt, transposed, 10% of notes dropped": lambda s, rng: transforms.drop_notes(
        transforms.transpose(_excerpt(s, rng), int(rng.choice([-5, -3, 2, 4, 7]))), 0.1, seed=rng
    ),
}
COPY_RECALL = 0.995  # on the validation split, for every kind of copy
REAL_QUANTILE = 0.99


def _strength(index: NoveltyIndex, print_: Fingerprint, source: str | None, exclude: str) -> float:
    """The highest alignment threshold at which the piece would still be flagged as a
    copy of ``source`` (of any source but ``exclude`` when ``source`` is None)."""
    best = 0.0
    for match in index.copy_candidates(print_, exclude=[exclude] if exclude else []):
        if match.alignments and (source is None or match.source == source):
            best = max(best, copy_strength(match.alignments, index.piece_threshold))
    return best


def _local_strength(
    index: NoveltyIndex, print_: Fingerprint, source: str | None, exclude: str
) -> float:
    """The highest ``local_threshold`` (notes) at which the piece would still be flagged
    by local matches alone as a copy of ``source`` (of any source but ``exclude``)."""
    best = 0.0
    for match in index.copy_candidates(print_, exclude=[exclude] if exclude else []):
        if match.local and (source is None or match.source == source):
            best = max(best, copy_strength(match.local, index.local_piece_threshold))
    return best


def calibrate_local(
    index: NoveltyIndex, validation: Sequence[tuple[str, Score]], seed: int = 0
) -> dict[str, object]:
    """Set ``index.local_threshold`` (notes matched in one run, per voice) from the
    validation pieces: midway between the most copy-like real piece (the *highest*
    local strength of any of them against every other source) and the weakest partial
    copies (the ``1 - COPY_RECALL`` quantile, the lowest over the kinds), above every
    real piece in any case and never below ``MIN_LOCAL_NOTES``. Every real piece, not
    the ``REAL_QUANTILE`` used for whole alignment: in corpora whose pieces share long
    passages (folk tunes share whole strains) the tail of real local strength is long,
    and a threshold just above its 99th percentile flagged 1.0% of folk's validation
    pieces but 2.7% of its test pieces. Returns what was measured."""
    if not validation:
        return {}
    saved = index.alignment_threshold
    index.alignment_threshold = 2.0  # no voice matches whole: every voice is matched locally
    try:
        rng = np.random.default_rng(seed)
        copies: dict[str, list[float]] = {}
        for kind, make in PARTIAL_COPY_KINDS.items():
            copies[kind] = [
                _local_strength(index, fingerprint(make(score, rng)), source, "")
                for source, score in validation
            ]
        real = [
            _local_strength(index, fingerprint(score), None, source) for source, score in validation
        ]
    finally:
        index.alignment_threshold = saved
    highest = float(max(real))
    weakest = {
        kind: float(np.quantile(v, 1.0 - COPY_RECALL, method="lower")) for kind, v in copies.items()
    }
    lowest = min(weakest.values())
    middle = int(np.floor((lowest + highest) / 2))
    index.local_threshold = max(MIN_LOCAL_NOTES, int(highest) + 1, middle)
    chosen = index.local_threshold
    return {
        "local_threshold": chosen,
        "most_copy_like_real": highest,
        "weakest_copies": weakest,
        "validation_copy_recall": {
            kind: round(float(np.mean(np.array(v) >= chosen)), 4) for kind, v in copies.items()
        },
        "validation_flagged_real": round(float(np.mean(np.array(real) >= chosen)), 4),
    }


def calibrate(
    index: NoveltyIndex, validation: Sequence[tuple[str, Score]], seed: int = 0
) -> dict[str, object]:
    """Every threshold: :func:`calibrate_alignment`, :func:`calibrate_local`, then
    :func:`calibrate_coverage`."""
    measured = calibrate_alignment(index, validation, seed)
    if measured:
        measured["local"] = calibrate_local(index, validation, seed)
        measured["coverage"] = calibrate_coverage(index, validation, seed)
    return measured


def calibrate_alignment(
    index: NoveltyIndex, validation: Sequence[tuple[str, Score]], seed: int = 0
) -> dict[str, object]:
    """Set ``index.alignment_threshold`` from the validation pieces, midway between the
    weakest copies (the ``1 - COPY_RECALL`` quantile of copy strength, the lowest over
    the kinds of copy) and the most copy-like real pieces (the ``REAL_QUANTILE`` of
    their strength against every other source): the widest margin on either side, as
    the test split is not the validation split. Returns what was measured."""
    if not validation:
        return {}
    saved = index.alignment_threshold
    index.alignment_threshold = 0.0  # every verified candidate reports its alignments
    rng = np.random.default_rng(seed)
    copies: dict[str, list[float]] = {}
    for kind, make in COPY_KINDS.items():
        copies[kind] = [
            _strength(index, fingerprint(make(score, rng)), source, "")
            for source, score in validation
        ]
    real = [_strength(index, fingerprint(score), None, source) for source, score in validation]
    lowest = min(float(np.quantile(v, 1.0 - COPY_RECALL, method="lower")) for v in copies.values())
    highest = float(np.quantile(real, REAL_QUANTILE, method="higher"))
    middle = (lowest + highest) / 2
    index.alignment_threshold = float(np.floor(middle * 1e4) / 1e4) if lowest > 0 else saved
    chosen = index.alignment_threshold
    return {
        "alignment_threshold": chosen,
        "weakest_copies": round(lowest, 4),
        "most_copy_like_real": round(highest, 4),
        "validation_pieces": len(validation),
        "validation_copy_recall": {
            kind: round(float(np.mean(np.array(v) >= chosen)), 4) for kind, v in copies.items()
        },
        "validation_flagged_real": round(float(np.mean(np.array(real) >= chosen)), 4),
    }


# ----- coverage (evaluation.coverage) ------------------------------------------------------

RUN_TOKEN_CHOICES = (6, 7, 8, 9, 10, 12)
COVERAGE_SOURCES = 4  # pieces a validation cento draws on (the piece and three others)
COVERAGE_PIECES = 300  # validation pieces used at most (large corpora are subsampled)
EXCERPT_BARS = 8  # real pieces are also measured on their first bars (short entries)
# The real side's bound: not its maximum, as Bach harmonised some tunes twice almost
# alike (the first bars of BWV 244.62 are those of BWV 244.54): such a pair *is* a copy
# and no threshold can both pass it and catch centos.
COVERAGE_REAL_QUANTILE = 0.95
# No threshold below these, whatever validation says (a corpus too small or too uniform
# to calibrate on must not flag every piece that shares a few formulas).
MIN_THRESHOLDS = {"run": 0.3, "source": 0.3, "coarse": 0.5, "source_runs": 0.3, "few": 0.5}
RULE_OFF = 1.0001  # a share no piece reaches: the rule never flags
CHORD_COPY_DRAWS = 3  # shuffles and centos drawn per validation piece for chord runs


def _centos(
    validation: Sequence[tuple[str, Score]], rng: np.random.Generator, bars: int
) -> list[Score]:
    pieces = [score for _, score in validation]
    made = []
    for i, score in enumerate(pieces):
        others = [j for j in range(len(pieces)) if j != i]
        chosen = rng.choice(others, size=min(COVERAGE_SOURCES - 1, len(others)), replace=False)
        made.append(attacks.cento(score, rng, [pieces[int(j)] for j in chosen], bars))
    return made


def calibrate_coverage(
    index: NoveltyIndex, validation: Sequence[tuple[str, Score]], seed: int = 0
) -> dict[str, object]:
    """Choose the coverage rules' run lengths and thresholds on the validation pieces.

    The real side is every validation piece and its first ``EXCERPT_BARS`` bars (short
    entries share more of their length with formulas by chance), each measured against
    every other source. Run coverage must catch centos of two-bar chunks from four
    pieces, source coverage a piece's bars in another order, register-free run coverage
    the piece with its lower voices moved by octaves. For each run length the margin is
    the weakest copies' coverage (the ``1 - COPY_RECALL`` quantile) minus the most
    copy-like real piece's; the length with the widest margin wins and each threshold is
    midway. One-source chord runs must catch shuffled bars and few-source chord runs the
    centos, their thresholds chosen the same way; source coverage then only the shuffles
    that chord runs miss. Returns what was measured."""
    if len(validation) < 4:
        return {}
    rng = np.random.default_rng(seed)
    if len(validation) > COVERAGE_PIECES:
        chosen = sorted(rng.choice(len(validation), size=COVERAGE_PIECES, replace=False))
        validation = [validation[int(i)] for i in chosen]
    coverage = index.coverage
    # Chord runs do not depend on the run lengths tried below: they are measured only
    # where their rules can flag, so they are switched off until the last pass.
    coverage.source_run_threshold = coverage.few_threshold = RULE_OFF
    real_prints = [(source, fingerprint(score)) for source, score in validation]
    real_prints += [
        (source, fingerprint(transforms.crop(score, 0, EXCERPT_BARS)))
        for source, score in validation
        if score.bar_count > EXCERPT_BARS
    ]
    centos = [fingerprint(s) for s in _centos(validation, rng, 2)]
    shuffles = [fingerprint(attacks.bar_shuffle(score, rng)) for _, score in validation]
    moved = [fingerprint(attacks.octave_moves(score, rng)) for _, score in validation]
    measured: dict[str, object] = {}
    for rule, copies in (("run", centos), ("coarse", moved)):
        options: dict[int, dict[str, float]] = {}
        for tokens in RUN_TOKEN_CHOICES:
            coverage.run_tokens = coverage.coarse_run_tokens = tokens
            real = [_share(rule, _covered(index, p, source)) for source, p in real_prints]
            copied = [_share(rule, _covered(index, p, "")) for p in copies]
            options[tokens] = _option(real, copied, MIN_THRESHOLDS[rule])
        best = max(options, key=lambda t: (options[t]["merit"], -t))
        threshold = options[best]["threshold"]
        measured[rule] = {
            "run_tokens": best,
            "threshold": threshold,
            "by_run_tokens": {str(t): o for t, o in options.items()},
        }
        if rule == "run":
            run_tokens, run_threshold = best, threshold
        else:
            coarse_tokens, coarse_threshold = best, threshold
    coverage.run_tokens, coverage.run_threshold = run_tokens, run_threshold
    coverage.coarse_run_tokens, coverage.coarse_threshold = coarse_tokens, coarse_threshold
    coverage.source_run_threshold = coverage.few_threshold = 0.0  # measure them now
    real_cover = [_covered(index, p, source) for source, p in real_prints]
    # The chord-run rules are set on more copies: one draw per validation piece leaves
    # their weakest copies, which set the thresholds, to chance.
    for _ in range(CHORD_COPY_DRAWS - 1):
        centos += [fingerprint(s) for s in _centos(validation, rng, 2)]
        shuffles += [fingerprint(attacks.bar_shuffle(score, rng)) for _, score in validation]
    shuffled = [_covered(index, p, "") for p in shuffles]
    centos_cover = [_covered(index, p, "") for p in centos]
    source_runs_option = _option(
        [c.source_runs for c in real_cover],
        [c.source_runs for c in shuffled],
        MIN_THRESHOLDS["source_runs"],
    )
    # Figures (degrees of the outer voices) and chord runs both look for shuffled bars;
    # figures need only the tune and bass, so a new harmonisation of a tune in the index
    # shares most of them. They only have to catch the shuffles that chord runs miss,
    # and are off where there are none.
    missed = [c.source for c in shuffled if c.source_runs < source_runs_option["threshold"]]
    real_source = [c.source for c in real_cover]
    source_option = (
        _option(real_source, missed, MIN_THRESHOLDS["source"]) if missed else _rule_off()
    )
    few_option = _option(
        [c.few for c in real_cover], [c.few for c in centos_cover], MIN_THRESHOLDS["few"]
    )
    coverage.source_threshold = source_option["threshold"]
    coverage.source_run_threshold = source_runs_option["threshold"]
    coverage.few_threshold = few_option["threshold"]
    flagged_real = [
        c.run >= coverage.run_threshold
        or c.source >= coverage.source_threshold
        or c.coarse >= coverage.coarse_threshold
        or c.source_runs >= coverage.source_run_threshold
        or c.few >= coverage.few_threshold
        for c in real_cover
    ]
    measured.update(
        {
            "source_threshold": coverage.source_threshold,
            "source": source_option,
            "source_run_threshold": coverage.source_run_threshold,
            "source_runs": source_runs_option,
            "few_threshold": coverage.few_threshold,
            "few": few_option,
            "validation_pieces": len(validation),
            "validation_real_measured": len(real_prints),
            "validation_flagged_real": round(float(np.mean(flagged_real)), 4),
        }
    )
    return measured


def _share(rule: str, coverage: Coverage) -> float:
    return coverage.run if rule == "run" else coverage.coarse


def _option(real: Sequence[float], copied: Sequence[float], floor: float) -> dict[str, float]:
    """A threshold for one rule: midway between the weakest copies and the real side
    (never below ``floor``), with what it does on validation. Its merit is the copies
    it catches less ten times the real pieces it flags: where copies and real pieces
    overlap (in a corpus whose pieces share whole phrases) the real side wins, and a rule
    whose merit is not positive is switched off (``RULE_OFF``)."""
    weakest = float(np.quantile(copied, 1.0 - COPY_RECALL, method="lower"))
    highest = float(np.quantile(real, COVERAGE_REAL_QUANTILE, method="higher"))
    threshold = max(floor, _midway(weakest, highest))
    recall = float(np.mean(np.asarray(copied) >= threshold))
    flagged = float(np.mean(np.asarray(real) >= threshold))
    if recall - 10 * flagged <= 0:  # does more harm than good here: the rule is off
        threshold, recall, flagged = RULE_OFF, 0.0, 0.0
    return {
        "threshold": threshold,
        "weakest_copies": round(weakest, 4),
        "most_copy_like_real": round(highest, 4),
        "copies_caught": round(recall, 4),
        "real_flagged": round(flagged, 4),
        "merit": round(recall - 10 * flagged, 4),
    }


def _rule_off() -> dict[str, float]:
    """A rule with nothing left to catch on validation."""
    return {"threshold": RULE_OFF, "copies_caught": 0.0, "real_flagged": 0.0, "merit": 0.0}


def _midway(weakest_copy: float, most_copy_like_real: float) -> float:
    """Midway between the two, never below the real piece (when they overlap, the real
    side wins: a false flag costs an honest entrant more than a missed copy)."""
    middle = max((weakest_copy + most_copy_like_real) / 2, most_copy_like_real + 1e-4)
    return float(np.ceil(middle * 1e4) / 1e4)


def _covered(index: NoveltyIndex, print_: Fingerprint, exclude: str) -> Coverage:
    found = index.covered(print_, exclude=[exclude] if exclude else [])
    assert found is not None  # fingerprints made here always carry the canonical form
    return found
