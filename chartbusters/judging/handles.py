"""The judges' names for finalists: a random handle and a letter, made once per entry."""

from __future__ import annotations

import random
from collections.abc import Sequence

from django.db import transaction

from chartbusters.challenges.models import Challenge
from chartbusters.judging.models import Finalist
from chartbusters.submissions.models import Submission


def finalist_handles(*, challenge: Challenge, entries: Sequence[Submission]) -> dict[int, Finalist]:
    """Each entry's Finalist row (by submission id), made for the entries that have none.

    New finalists are numbered in a random order: the letter says nothing about the
    rank, the submission time or any id.
    """
    rows = {row.submission_id: row for row in Finalist.objects.filter(challenge=challenge)}
    if all(entry.pk in rows for entry in entries):
        return rows
    with transaction.atomic():
        # One numbering at a time per challenge: two judges' first visits cannot clash.
        Challenge.objects.select_for_update().get(pk=challenge.pk)
        rows = {row.submission_id: row for row in Finalist.objects.filter(challenge=challenge)}
        missing = [entry for entry in entries if entry.pk not in rows]
        random.SystemRandom().shuffle(missing)
        last = max((row.number for row in rows.values()), default=0)
        for number, entry in enumerate(missing, start=last + 1):
            rows[entry.pk] = Finalist.objects.create(
                challenge=challenge, submission=entry, number=number
            )
    return rows
