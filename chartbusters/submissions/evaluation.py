"""Running the judge on one entry: the novelty index of earlier entries and the call.

Novelty decision: an entry is checked against the profile's reference pieces and every
*earlier* entry of the challenge by *other* participants. A participant's own earlier
entries are excluded: entering the same piece again is a resubmission, not a copy, and
it cannot rank twice because the board keeps one (the best) entry per participant.
Fingerprints are computed at submission time, so "earlier" is the order in which entries
arrived, whatever order the workers happen to score them in.
"""

from __future__ import annotations

from django.db.models import Q

from chartbusters.submissions import scoring
from chartbusters.submissions.models import Submission

# One growing index per challenge per worker process: new entries are appended, the
# stored fingerprints are never parsed twice.
_indexes: dict[int, scoring.EntriesIndex] = {}


def entries_index(challenge_id: int) -> scoring.EntriesIndex:
    index = _indexes.setdefault(challenge_id, scoring.EntriesIndex())
    new = (
        Submission.objects.filter(
            challenge_id=challenge_id, pk__gt=index.last_id, fingerprint__isnull=False
        )
        .order_by("pk")
        .values_list("pk", "fingerprint")
    )
    for entry_id, print_bytes in new.iterator(chunk_size=500):
        assert print_bytes is not None  # filtered above
        index.add(entry_id, bytes(print_bytes))
    return index


def excluded_sources(submission: Submission, index: scoring.EntriesIndex) -> list[str]:
    """The entry itself, later entries, and the same participant's own entries."""
    ids = (
        Submission.objects.filter(challenge_id=submission.challenge_id, pk__lte=index.last_id)
        .filter(Q(pk__gte=submission.pk) | Q(participant_id=submission.participant_id))
        .values_list("pk", flat=True)
    )
    return [scoring.entry_source(entry_id) for entry_id in ids]


def judge(submission: Submission) -> scoring.EntryReport:
    """The judge's report on an entry (slow: call outside any transaction)."""
    challenge = submission.challenge
    with submission.midi.open("rb") as handle:
        midi = handle.read()
    index = entries_index(challenge.pk)
    return scoring.score_entry(
        midi=midi,
        profile=challenge.evaluation_profile,
        weights=challenge.weights(),
        entries=index,
        exclude=excluded_sources(submission, index),
    )
