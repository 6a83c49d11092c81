"""How the final ranking is made when results are published.

Without judging (no finalists), the final ranking is the board: automatic score, ties
to the earlier entry. With judging, the top ``finalists_count`` rows of the board are
the finalists; each finalist's final score is

    final = (1 - judge_weight) * automatic + judge_weight * judges

where ``judges`` is the mean of every judge's rubric average (Originality, Balance,
Emotional on 1-5) mapped onto 0-100 (1 -> 0, 5 -> 100). Finalists rank above everyone
else, by final score (ties: the earlier entry); a finalist no judge scored has no judge
score and is ranked by the automatic score alone, after the judged finalists. The rest
follow in board order, their final score being the automatic one.
"""

from __future__ import annotations

from chartbusters.challenges.models import Challenge
from chartbusters.leaderboards.models import LeaderboardEntry


def judge_scores(challenge: Challenge, submission_ids: list[int]) -> dict[int, float]:
    """0-100 per judged finalist (see ``judging.selectors.judge_scores_for``)."""
    from chartbusters.judging.selectors import judge_scores_for

    return judge_scores_for(challenge=challenge, submission_ids=submission_ids)


def combined_standings(challenge: Challenge) -> list[dict[str, object]]:
    rows = list(
        LeaderboardEntry.objects.filter(challenge=challenge)
        .select_related("participant", "submission")
        .order_by("rank")
    )
    finalists = rows[: challenge.finalists_count] if challenge.has_judging else []
    judged = judge_scores(challenge, [row.submission_id for row in finalists])
    weight = float(challenge.judge_weight)

    def final(row: LeaderboardEntry) -> float | None:
        judge = judged.get(row.submission_id)
        if judge is None or row.score is None:
            return row.score
        return round((1 - weight) * row.score + weight * judge, 2)

    def order(row: LeaderboardEntry) -> tuple[bool, float, int]:
        value = final(row)
        return (row.submission_id not in judged, -(value or 0.0), row.rank)

    ordered = sorted(finalists, key=order) + rows[len(finalists) :]
    return [
        {
            "participant": row.participant,
            "participant_name": row.participant.public_name,
            "submission": row.submission,
            "title": row.submission.title,
            "automatic_score": row.score,
            "judge_score": judged.get(row.submission_id),
            "final_score": final(row),
            "components": row.submission.components,
        }
        for row in ordered
    ]
