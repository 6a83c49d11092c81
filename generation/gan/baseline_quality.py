"""``python -m generation.gan.baseline_quality``: the rule harmoniser measured on held-out chorales.

For every piece of a split of ``bach-chorales`` (default: test) the soprano (the top of
its four parts, :func:`generation.stats.four_parts`) is harmonised by
:mod:`music.harmoniser` and by the triad baseline it replaced (:func:`triad_baseline`,
kept here only to be compared with), and the real four parts stand beside them. Each set
gets the hand statistics of :func:`hand_statistics` and, with the profile built, the
judge's scores (``evaluation.evaluate_many``, each piece with its own source excluded
from the copy check, as the validity report does). ``--write DIR`` also writes the three
sets as MIDI (``DIR/real``, ``DIR/harmoniser``, ``DIR/triad``, one file per piece with
the same name in each) for ``python -m evaluation c2st DIR/real DIR/harmoniser``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from evaluation.metrics.texture import polyphony
from generation.data import load_split
from generation.gan.baseline import melody_key
from generation.stats import four_parts
from music.harmoniser import harmonise_score
from music.midi_io import score_to_midi
from music.score import Note, Score, Track
from music.voice_leading import parallel_motions

CORPUS = "bach-chorales"
# Triads and seventh chords as pitch-class sets above their root.
CHORD_SHAPES = (
    (0, 4, 7),
    (0, 3, 7),
    (0, 3, 6),
    (0, 4, 8),
    (0, 4, 7, 10),
    (0, 3, 7, 10),
    (0, 3, 6, 10),
    (0, 3, 6, 9),
    (0, 4, 7, 11),
)
CHORDS = {frozenset((root + i) % 12 for i in shape) for shape in CHORD_SHAPES for root in range(12)}


def triad_baseline(score: Score) -> Score:
    """The baseline :func:`generation.gan.baseline.harmonise` used to be: at every half bar
    (every bar in odd meters) the first of I, V, IV, vi, ii, iii (minor: i, V, iv, VI,
    III, VII) holding the melody note, in close position under it, root in the bass."""
    majors = ((0, 4, 7), (7, 11, 2), (5, 9, 0), (9, 0, 4), (2, 5, 9), (4, 7, 11))
    minors = ((0, 3, 7), (7, 11, 2), (5, 8, 0), (8, 0, 3), (3, 7, 10), (10, 2, 5))
    melody = sorted(score.tracks[0].notes)
    tonic, mode = melody_key(melody)
    span = score.ticks_per_bar // (2 if score.time_signature[0] % 2 == 0 else 1)
    voices: list[list[Note]] = [[], [], []]
    end, previous = max(n.end for n in melody), melody[0].pitch
    for start in range(0, end, span):
        finish = min(start + span, end)
        now = [n.pitch for n in melody if n.start <= start < n.end]
        later = [n.pitch for n in melody if start <= n.start < finish]
        previous = (now or later or [previous])[0]
        triads = majors if mode == "major" else minors
        triad = next(
            (t for t in triads if (previous - tonic) % 12 in t), triads[0]
        )  # (the old code's fallback was the tonic triad too)
        classes = [(tonic + d) % 12 for d in triad]
        top = max(previous, 48)
        below = [p for p in range(top - 3, top - 28, -1) if p % 12 in classes]
        bass = 40 + (classes[0] - 40) % 12
        while bass >= below[1]:
            bass -= 12
        for voice, pitch in zip(voices, (below[0], below[1], bass), strict=True):
            voice.append(Note(start, pitch, finish - start, 68))
    tracks = [score.tracks[0], *(Track(v, name=n) for v, n in zip(voices, "ATB", strict=True))]
    return replace(score, tracks=tracks)


def sounding_classes(voices: Sequence[Sequence[Note]], tick: int) -> tuple[frozenset[int], int]:
    """``(pitch classes, notes)`` of every note sounding at ``tick`` in any of ``voices``.
    A voice may hold overlapping notes (a piano track split by register): each counts."""
    heard = [n.pitch for voice in voices for n in voice if n.start <= tick < n.end]
    return frozenset(p % 12 for p in heard), len(heard)


def hand_statistics(scores: Sequence[Score]) -> dict[str, float]:
    """Per set of four-part scores (soprano first, bass last): distinct pitches sounding
    on average (:func:`evaluation.metrics.polyphony`), the median note length in beats,
    the share of beats whose sounding pitch classes (every note sounding, in any part:
    :func:`sounding_classes`) form a complete triad or seventh chord, the share of
    soprano notes that are chord tones (the pitch classes sounding at its onset, its own
    included, all belong to one triad or seventh chord), and parallel
    fifths and octaves per 100 moves (:func:`music.voice_leading.parallel_motions`)
    between the outer voices and over all six pairs."""
    sounding_mean, lengths, chordal, chord_tones = [], [], [], []
    outer = [0, 0]
    pairs = [0, 0]
    for score in scores:
        voices = [sorted(t.notes) for t in score.tracks]
        sounding_mean.append(polyphony(score))
        lengths += [n.duration / score.resolution for v in voices for n in v]
        beats = range(0, score.end_tick, score.resolution)
        for beat in beats:
            classes, _ = sounding_classes(voices, beat)
            if classes:
                chordal.append(classes in CHORDS)
        for note in voices[0]:
            heard, _ = sounding_classes(voices, note.start)
            chord_tones.append(any(heard <= chord for chord in CHORDS))
        for total, parts in ((outer, [voices[0], voices[-1]]), (pairs, voices)):
            parallels, moves = parallel_motions(parts)
            total[0] += parallels
            total[1] += moves
    return {
        "sounding": float(np.nanmean(sounding_mean)),
        "median_note_beats": float(np.median(lengths)),
        "chordal_beats": float(np.mean(chordal)),
        "melody_chord_tones": float(np.mean(chord_tones)),
        "outer_parallels_per_100": 100 * outer[0] / max(outer[1], 1),
        "all_parallels_per_100": 100 * pairs[0] / max(pairs[1], 1),
    }


def judge_scores(
    scores: Sequence[Score], sources: Sequence[str], profile_name: str
) -> list[float] | None:
    """The judge's 0-100 score of each piece with its own source excluded."""
    from evaluation.evaluate import evaluate_many
    from evaluation.profile import PROFILES_DIR, Profile, ProfileError

    try:
        profile = Profile.load(PROFILES_DIR / profile_name)
    except ProfileError as error:
        print(f"no evaluation profile: {error}", file=sys.stderr)
        return None
    exclude = [[f"{profile.corpus}:{source}"] for source in sources]
    return [r.score for r in evaluate_many(list(scores), profile, exclude_each=exclude)]


def measure(split: str, limit: int, write: Path | None, judge: bool) -> dict[str, Any]:
    pieces = [(p.id, four_parts(p.score)) for p in load_split(CORPUS, split)]
    chosen = [(i, s) for i, s in pieces if s is not None][: limit or None]
    ids = [i for i, _ in chosen]
    reals = [s for _, s in chosen if s is not None]
    systems: dict[str, Callable[[Score], Score]] = {
        "real": lambda s: s,
        "harmoniser": lambda s: harmonise_score(replace(s, tracks=[s.tracks[0]])),
        "triad": triad_baseline,
    }
    results: dict[str, Any] = {"split": split, "pieces": len(reals), "systems": {}}
    for name, make in systems.items():
        made = [make(s) for s in reals]
        entry: dict[str, Any] = {"hand": hand_statistics(made)}
        if judge:
            scores = judge_scores(made, ids, CORPUS)
            if scores is not None:
                entry["judge_median"] = float(np.median(scores))
                entry["judge_quartiles"] = [float(q) for q in np.quantile(scores, [0.25, 0.75])]
                entry["judge_scores"] = [round(s, 2) for s in scores]
        results["systems"][name] = entry
        if write is not None:
            folder = write / name
            folder.mkdir(parents=True, exist_ok=True)
            for piece_id, score in zip(ids, made, strict=True):
                stem = re.sub(r"[^A-Za-z0-9.-]+", "-", piece_id)
                (folder / f"{stem}.mid").write_bytes(score_to_midi(score))
    return results


def table(results: dict[str, Any]) -> str:
    lines = [
        f"{results['pieces']} {results['split']}-split chorales",
        "",
        "| set | sounding | median note (beats) | chordal beats | melody chord tones | "
        "outer 5ths/8ves per 100 | all pairs per 100 | judge median (25-75 %) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, entry in results["systems"].items():
        h = entry["hand"]
        judged = "n/a"
        if "judge_median" in entry:
            low, high = entry["judge_quartiles"]
            judged = f"{entry['judge_median']:.1f} ({low:.1f}-{high:.1f})"
        lines.append(
            f"| {name} | {h['sounding']:.2f} | {h['median_note_beats']:.2f} | "
            f"{h['chordal_beats']:.3f} | {h['melody_chord_tones']:.3f} | "
            f"{h['outer_parallels_per_100']:.2f} | {h['all_parallels_per_100']:.2f} | {judged} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m generation.gan.baseline_quality")
    parser.add_argument("--split", default="test", choices=("train", "validation", "test"))
    parser.add_argument("--pieces", type=int, default=0, help="at most this many (0: all)")
    parser.add_argument("--write", type=Path, help="write the three sets as MIDI here")
    parser.add_argument("--no-judge", action="store_true", help="hand statistics only")
    parser.add_argument("--json", type=Path, help="write the figures as JSON here")
    args = parser.parse_args(argv)
    results = measure(args.split, args.pieces, args.write, not args.no_judge)
    print(table(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
