"""The judge adapter's building side (issue 21): reference pieces checked on the way in,
picks from the bundled corpora, near-duplicates, and the host build itself.

Kept apart from ``scoring``: a worker that scores never imports training code. Checking
pieces and finding near-duplicates is plain parsing and comparing (the web process may
run it); ``build_judge`` trains networks and runs only in the training queue's task.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chartbusters.core.errors import ApplicationError
from chartbusters.evaluator.scoring import host_profiles_dir, parse_upload
from music.corpus.convert import CorpusPiece, content_hash
from music.corpus.neardup import alignment, held_out_duplicates
from music.corpus.sources import CORPORA
from music.midi_io import score_to_midi
from music.score import Score

# The same rules as the build's screening (evaluation.host_profile), mirrored so the web
# process need not import the library's training side; a test checks they agree.
MIN_NOTES = 8
MIN_PIECES = 30


class JudgeBuildRefused(Exception):
    """The set cannot make a judge; the message says why in plain words."""


@dataclass(frozen=True)
class CheckedPiece:
    score: Score
    content_hash: str
    notes: int


def check_reference_piece(data: bytes) -> CheckedPiece:
    """A reference piece checked as an entry is, and then as music a judge learns from."""
    score = parse_upload(data)  # ApplicationError with the validator's message
    notes = [n for t in score.pitched_tracks() for n in t.notes]
    if len({n.pitch for n in notes}) < 2:
        raise ApplicationError(
            "One note, repeated: there is no melody to learn from.", code="one_note"
        )
    if len(notes) < MIN_NOTES:
        raise ApplicationError(
            f"Only {len(notes)} notes: a reference piece needs {MIN_NOTES} or more.",
            code="too_few_notes",
        )
    return CheckedPiece(score, content_hash(score), len(notes))


def corpus_choices() -> list[tuple[str, str]]:
    return [(name, f"{name}: {spec.description}") for name, spec in CORPORA.items()]


def corpus_pick(corpus: str, search: str, limit: int) -> list[tuple[str, str, Score]]:
    """Up to ``limit`` pieces of a bundled corpus whose id or title holds every word of
    ``search`` (a composer or collection such as "palestrina" is part of the id):
    (id, title, score)."""
    from music.corpus.build import load_corpus

    if corpus not in CORPORA:
        raise ApplicationError(f"No bundled corpus called {corpus!r}.", code="no_corpus")
    words = search.lower().split()
    picked = []
    for piece in load_corpus(corpus):
        text = f"{piece.id} {piece.title}".lower()
        if all(word in text for word in words):
            picked.append((piece.id, piece.title, piece.score))
        if len(picked) >= limit:
            break
    return picked


def corpus_scores(ids: Sequence[str]) -> dict[str, Score]:
    """The scores of corpus pieces by id, from whichever bundled corpus holds them."""
    from music.corpus.build import load_corpus

    wanted, found = set(ids), {}
    for name in CORPORA:
        prefixes = {c.name for c in CORPORA[name].collections}
        if any(i.split("/")[0] in prefixes for i in wanted):
            found.update({p.id: p.score for p in load_corpus(name) if p.id in wanted})
    return found


def near_duplicates(pieces: Sequence[tuple[str, Score]]) -> dict[str, tuple[str, float]]:
    """``{name: (earlier piece it repeats, alignment)}``: pieces that repeat an earlier
    one note for note at the corpus rule's 0.8 or more (``music.corpus.neardup``)."""
    corpus = [CorpusPiece(name, name, name, score) for name, score in pieces]
    twins = held_out_duplicates(corpus, dict.fromkeys(dict(pieces), "set"), ("", "set"))
    scores = dict(pieces)
    return {a: (b, round(alignment(scores[a], scores[b]), 2)) for a, b in twins.items()}


def midi_of(score: Score) -> bytes:
    return score_to_midi(score)


Progress = Callable[[str, float], None]


def build_judge(
    *,
    name: str,
    description: str,
    pieces: Sequence[tuple[str, Score]],
    quick: bool,
    progress: Progress,
    log: Callable[[str], None],
) -> dict[str, Any]:
    """Build, validate and red-team judge version ``name`` into the host profiles folder;
    its figures. Training queue only. JudgeBuildRefused when the set cannot make one;
    whatever ``progress`` raises (cancellation) stops it with nothing left behind."""
    from evaluation.host_profile import BuildRefused, build_host_profile

    output = host_profiles_dir()
    output.mkdir(parents=True, exist_ok=True)
    try:
        result = build_host_profile(
            name,
            description,
            pieces,
            output,
            quick=quick,
            other_music=not quick,
            progress=progress,
            log=log,
        )
    except BuildRefused as exc:
        raise JudgeBuildRefused(str(exc)) from None
    return result.figures


def judge_files(name: str) -> Path:
    return Path(host_profiles_dir()) / name


def judge_report(name: str, which: str) -> str:
    """A built version's VALIDITY.md or REDTEAM.md ("" if it has none)."""
    path = judge_files(name) / which
    return path.read_text() if path.exists() else ""
