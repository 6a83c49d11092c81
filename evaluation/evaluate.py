"""evaluate(score, profile, weights) -> Report: the judge of every challenge.

Per piece (DESIGN.md §5), on its performance canonical form (:mod:`music.canonical`:
a piece played off its file's grid written out on its own beat, the reference music's
onset gap deciding what a beat is (:mod:`music.beats`), humanised timing back on the
grid, a keyboard track split into its voices) for all but the copy check:

1. descriptors -> typicality against the profile's reference distributions (a piece of
   at most 8 bars against excerpts of the reference of its length);
2. piano-roll windows -> the calibrated critic ensemble's p(real) per window, each
   window gated by its out-of-distribution distance in the critic's embedding space,
   and aggregated as the mean of the *worse half* of the windows, so one good window
   cannot carry a bad piece; where the profile has a whole-tune critic, realism is the
   lower of that and the tune's p(real), so a piece must look real both bar by bar
   and as a whole (a tune played backwards passes the first and fails the second);
3. the Fréchet-style distance of the piece's window embeddings to the reference;
4. novelty: a copy of a reference piece, a sample melody or an earlier entry is
   flagged (blocking) with its source;
5. the weighted geometric mean of the components, on 0-100 (the style score), raised
   to the musicality floor where that is higher: ``GENERAL_CAP`` times the general
   musicality critic's p(real) (:mod:`evaluation.musicality`, the worse half of the
   windows), so real music of another style ranks above junk but below anything that
   fits the challenge's style well; with an explanation.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from evaluation.coverage import Coverage
from evaluation.descriptors import describe
from evaluation.fingerprint import Fingerprint, fingerprint
from evaluation.frechet import distance_component, piece_distance
from evaluation.given import MIN_ADDED_SHARE, added_part, given_scores
from evaluation.labels import source_text, statistic
from evaluation.novelty import Match, NoveltyIndex
from evaluation.profile import Profile
from evaluation.report import (
    COMPONENT_LABELS,
    GENERAL_CAP,
    Flag,
    Report,
    Weights,
    combine,
    graded,
)
from music.canonical import canonical_form
from music.score import Score

# Bump whenever a change to this package would change any score. The evaluator version
# in every report is this plus the profile's content digest, so rebuilding a profile
# also changes it.
# 2: novelty verified note for note; descriptor quantiles. 3: partial copies; realism
# also needs the whole-tune critic where a profile has one (its file is in the digest).
# 4: copies also found by coverage of the canonical form (evaluation.coverage): merged,
# hocketed, doubled, octave-moved and mode-swapped copies, centos and shuffled bars.
# 4.1: coverage also by voiced-chord runs in one source (shuffled bars) and in a few
# sources (centos); the degree-figure rule only where chord runs miss validation shuffles.
# 4.2: an entry built on given material (``given``: the sample melody a generator was
# run on) is judged for copies by what it added (evaluation.given).
# 4.3: a piece played off its file's grid (a recording without the click, a performance
# saved at 120 bpm) is judged on its own beat (music.beats.follow_beat); written pieces,
# and performances in time with their grid, score as before. (The MIDI reader now also
# plays out the sustain pedal, so a pianist's pedalled notes are judged as heard.)
# 4.4: a file whose written positions fall on whole ticks (96 ticks a beat: every 4) counts
# as written only where its starts lie on them exactly, not within a tick, so a performance
# saved at 96 ticks a beat is followed too (music.beats._written); and in a performed piece
# a silence in a voice shorter than the note before it and than 0.8 of the profile's mean
# onset gap is the player's touch, not a rest (music.canonical.close_gaps).
# 4.5: a piece written in other note values than the reference music's (a chorale in half
# notes at twice the tempo: the same sound) is judged in the reference's note values
# (music.canonical.plain_note_values), its bar lines or its meter kept, whichever gives bars
# of the reference's length.
CODE_VERSION = "4.5"
MIN_BARS = 2


def evaluator_version(profile: Profile) -> str:
    return f"{CODE_VERSION}+{profile.name}.{profile.digest[:10]}"


@dataclass(frozen=True)
class _Realism:
    value: float
    window_p: list[float]
    gated_windows: int
    windows_value: float


def _realism(
    p_real: np.ndarray, distances: np.ndarray, threshold: float, tune_p: float | None = None
) -> _Realism:
    gate = np.minimum(1.0, (threshold / np.maximum(distances, 1e-9)) ** 2)
    gated = p_real * gate
    worse_half = float(np.sort(gated)[: max(1, (len(gated) + 1) // 2)].mean())
    return _Realism(
        value=worse_half if tune_p is None else min(worse_half, tune_p),
        window_p=[round(float(p), 4) for p in gated],
        gated_windows=int((gate < 1.0).sum()),
        windows_value=worse_half,
    )


def _copy_check(
    score: Score, indexes: Sequence[NoveltyIndex], exclude: Iterable[str], given: Sequence[str]
) -> tuple[Flag | None, dict[str, object]]:
    """The copy flag, if any, and what the report says of novelty: of the whole piece, or
    of what it added to the material it was built on (``given``), the piece copying that
    material when it added too little."""
    added = added_part(score, given_scores(given))
    if added is None:
        return _novelty_flag(fingerprint(score), indexes, exclude)
    built_on = {"built_on": list(given), "added_share": round(added.share, 3)}
    if added.share < MIN_ADDED_SHARE:
        copied = 1.0 - added.share
        match = Match(added.source, copied, (), rule="given", sources=(added.source,))
        flag = Flag("copy", _copy_message(match), blocking=True, source=added.source)
        return flag, {"copy_of": added.source, "copied_fraction": round(copied, 3), **built_on}
    found, novelty = _novelty_flag(fingerprint(added.score), indexes, exclude)
    return found, {**novelty, **built_on}


def _novelty_flag(
    print_: Fingerprint, indexes: Sequence[NoveltyIndex], exclude: Iterable[str]
) -> tuple[Flag | None, dict[str, object]]:
    """The copy flag, if any: a copy of one source voice for voice or by coverage in one
    index, or runs copied from the reference and from earlier entries together."""
    excluded = list(exclude)
    best: Match | None = None
    coverages = []
    for index in indexes:
        coverage = index.covered(print_, exclude=excluded)
        coverages.append(coverage)
        match = index.voice_copy(print_, exclude=excluded) or index.coverage_match(coverage)
        if match is not None and (best is None or match.copied_fraction > best.copied_fraction):
            best = match
    if best is None and len(indexes) > 1 and all(c is not None for c in coverages):
        best = _runs_together(print_, indexes, coverages)
    if best is None:
        return None, {"copy_of": None}
    flag = Flag("copy", _copy_message(best), blocking=True, source=best.source)
    details: dict[str, object] = {
        "copy_of": best.source,
        "copied_fraction": round(best.copied_fraction, 3),
        "rule": best.rule,
    }
    if best.sources:
        details["sources"] = list(best.sources[:10])
    return flag, details


def _runs_together(
    print_: Fingerprint, indexes: Sequence[NoveltyIndex], coverages: list[Coverage | None]
) -> Match | None:
    """Runs from every index together (a cento of reference pieces and earlier entries),
    under the first index's (the profile's) threshold."""
    assert print_.canonical is not None
    masks = [c.in_runs for c in coverages if c is not None and c.in_runs is not None]
    lengths = print_.canonical.lengths
    if not masks or lengths.sum() <= 0:
        return None
    share = float(lengths[np.logical_or.reduce(masks)].sum() / lengths.sum())
    if share < indexes[0].coverage.run_threshold:
        return None
    sources = tuple(
        index.sources[doc]
        for index, coverage in zip(indexes, coverages, strict=True)
        if coverage is not None
        for doc in coverage.run_sources
    )
    return Match(sources[0], share, (), rule="runs", sources=sources) if sources else None


def _copy_message(match: Match) -> str:
    source, share = source_text(match.source), f"{match.copied_fraction:.0%}"
    if match.rule == "runs":
        others = len(match.sources) - 1
        more = f" and {others} other source{'s' if others > 1 else ''}" if others else ""
        return (
            f"This entry copies {source}{more}: {share} of its "
            "sounding time is in passages found note for note in them (in any key, mode, "
            "octave, tempo or instrumentation). Copies stay off the ranking."
        )
    if match.rule == "given":
        return (
            f"This entry is {source}, the sample melody it was made from, with little "
            f"added: {share} of its notes are the sample's. Copies stay off the ranking."
        )
    if match.rule == "chords":
        return (
            f"This entry rearranges {source}: {share} of its "
            "sounding time is in chords found in the same order in it (in any order of "
            "bars, key or instrumentation). Copies stay off the ranking."
        )
    if match.rule == "source":
        return (
            f"This entry rearranges {source}: {share} of its "
            "distinctive figures come from it (in any order, key or instrumentation). "
            "Copies stay off the ranking."
        )
    return (
        f"This entry copies {source}: {share} of its voices match "
        "it (transposition, tempo and instrument changes are seen through). Copies stay off "
        "the ranking."
    )


def _explain(
    components: dict[str, float],
    outliers: dict[str, float],
    flags: list[Flag],
    style: float,
    final: float,
) -> str:
    lines = [f"{COMPONENT_LABELS[name]}: {value:.2f}" for name, value in components.items()]
    if final > style:
        lines.append(
            f"Sounds like real music of another style: scored {final:.1f} by musicality "
            f"(at most {GENERAL_CAP:g}) rather than {style:.1f} for its fit to this "
            "challenge's style."
        )
    if outliers:
        worst = ", ".join(statistic(name).label.lower() for name in list(outliers)[:5])
        lines.append(f"Least typical features for this reference: {worst}.")
    lines += [flag.message for flag in flags]
    return "\n".join(lines)


def evaluate(
    score: Score,
    profile: Profile,
    weights: Weights | None = None,
    *,
    entries: NoveltyIndex | None = None,
    exclude: Iterable[str] = (),
    given: Iterable[str] = (),
) -> Report:
    """Score one piece. ``entries`` is the index of earlier entries to check for copies
    (besides the profile's reference pieces); ``exclude`` names sources to ignore;
    ``given`` names material the piece was built on (the sample melody a generator
    extended or accompanied): the copy check judges what the piece added to it
    (:mod:`evaluation.given`)."""
    return evaluate_many([score], profile, weights, entries=entries, exclude=exclude, given=given)[
        0
    ]


def evaluate_many(
    scores: Sequence[Score],
    profile: Profile,
    weights: Weights | None = None,
    *,
    entries: NoveltyIndex | None = None,
    exclude: Iterable[str] = (),
    exclude_each: Sequence[Iterable[str]] | None = None,
    given: Iterable[str] = (),
) -> list[Report]:
    """Score many pieces, running the critic on all their windows in one batch.

    ``exclude`` and ``given`` (see :func:`evaluate`) apply to every piece;
    ``exclude_each[i]`` adds sources to ignore for piece ``i`` only (the validity report
    scores each corpus piece without itself).
    """
    weights = weights or Weights()
    excluded, built_on = list(exclude), list(given)
    if exclude_each is not None and len(exclude_each) != len(scores):
        raise ValueError("exclude_each needs one entry per score")
    # Everything but the copy check judges the music, not the performance (DESIGN.md §5).
    canonical = [canonical_form(s, profile.onset_gap, profile.bar_notes) for s in scores]
    windows = [profile.windows(score) for score in canonical]
    counts = [len(w) for w in windows]
    output = profile.critic.predict(np.concatenate(windows)) if scores else None
    tune = profile.tune_critic
    tune_p = tune.p_real(canonical) if tune is not None else [None] * len(scores)
    musicality: list[float | None] = [None] * len(scores)
    if profile.musicality is not None and scores:
        general = profile.musicality
        same = general.critic.window == profile.window_spec
        musicality = list(
            general.judge_windows(windows if same else [general.windows(s) for s in canonical])
        )
    bounds = np.cumsum([0, *counts])
    if entries is not None:  # earlier entries are judged by the profile's coverage rule
        entries.coverage.adopt_settings(profile.novelty.coverage)
    indexes = [profile.novelty] + ([entries] if entries is not None else [])
    reports = []
    for i, score in enumerate(scores):
        assert output is not None
        p_real = output.p_real[bounds[i] : bounds[i + 1]]
        embeddings = output.embeddings[bounds[i] : bounds[i + 1]]
        own = excluded + list(exclude_each[i]) if exclude_each is not None else excluded
        reports.append(
            _report(
                score,
                canonical[i],
                profile,
                weights,
                p_real,
                embeddings,
                indexes,
                own,
                tune_p[i],
                musicality[i],
                given=built_on,
            )
        )
    return reports


def _report(
    score: Score,
    canonical: Score,
    profile: Profile,
    weights: Weights,
    p_real: np.ndarray,
    embeddings: np.ndarray,
    indexes: Sequence[NoveltyIndex],
    exclude: list[str],
    tune_p: float | None = None,
    musicality: float | None = None,
    *,
    given: Sequence[str] = (),
) -> Report:
    reference = profile.embedding
    distances = reference.mahalanobis(embeddings.astype(np.float64))
    tune = None if tune_p is None else float(tune_p)
    realism = _realism(p_real.astype(np.float64), distances, reference.ood_threshold, tune)
    typicality, outliers = profile.descriptor_reference(canonical.bar_count).typicality(
        describe(canonical)
    )
    distance = piece_distance(embeddings.astype(np.float64), reference)
    components = {
        "realism": round(realism.value, 4),
        "typicality": round(typicality, 4) if np.isfinite(typicality) else 0.0,
        "frechet": round(distance_component(distance, reference.distance_scale), 4),
    }
    if musicality is not None:
        components["musicality"] = round(musicality, 4)
    style = combine(components, weights)
    final = graded(style, musicality)
    flags: list[Flag] = []
    copy_flag, novelty = _copy_check(score, indexes, exclude, given)
    if copy_flag is not None:
        flags.append(copy_flag)
    if realism.gated_windows:
        flags.append(
            Flag(
                "out_of_distribution",
                f"{realism.gated_windows} of {len(p_real)} windows are unlike anything in the "
                "reference music; the critic's opinion of them counts for less.",
            )
        )
    if score.bar_count < MIN_BARS:
        flags.append(
            Flag("short", f"The piece has {score.bar_count} bar(s); the judge has little to go on.")
        )
    details = {
        "window_p_real": realism.window_p,
        "windows_realism": round(realism.windows_value, 4),
        "tune_p_real": None if tune is None else round(tune, 4),
        "frechet_distance": round(distance, 4) if np.isfinite(distance) else None,
        "typicality_outliers": {k: round(v, 3) for k, v in outliers.items()},
        "novelty": novelty,
        "bars": score.bar_count,
        "style_score": style,
        "musicality_floor": None if musicality is None else graded(0.0, musicality),
    }
    return Report(
        score=final,
        components=components,
        weights=weights.normalised(),
        flags=flags,
        explanation=_explain(components, outliers, flags, style, final),
        evaluator_version=evaluator_version(profile),
        profile=profile.name,
        details=details,
    )
