"""Running the judge on one entry: the earlier entries it must not copy, and the call.

Novelty decision: an entry is checked against the profile's reference pieces and every
*earlier* entry of the challenge by *other* participants. A participant's own earlier
entries are left out: entering the same piece again is a resubmission, not a copy, and
it cannot rank twice because the board keeps one (the best) entry per participant.
Entries already flagged as copies are left out too: the original they copy is there.
Fingerprints are computed at submission time, so "earlier" is the order in which entries
arrived, whatever order the workers happen to score them in. A fingerprint stored in an
older format is recomputed from the entry's MIDI (and stored) when it is first needed,
so no entry silently drops out of the check; ``manage.py refingerprint_entries``
upgrades them all at once.

An entry made by running a generator on a sample melody may hold that melody (the
Transformer extends it, the GAN and the AR-CNN accompany it): the sample is passed as
*given* material, a copy only when the entry is the sample alone
(``provenance.given_samples``). Without a claim (an upload) the sample is reference
music like any other.
"""

from __future__ import annotations

from django.db.models import Q

from chartbusters.evaluator import scoring
from chartbusters.submissions.models import Submission
from chartbusters.submissions.provenance import given_samples
from chartbusters.submissions.states import SubmissionState

# Parsed fingerprints per worker process: entry id -> (participant id, fingerprint).
# Stored fingerprints only change from an older format to the current one (upgraded
# here before parsing), so each is parsed once per process.
_parsed: dict[int, tuple[int, scoring.Fingerprint]] = {}
_CACHE_LIMIT = 200_000


def earlier_entries(submission: Submission) -> scoring.EarlierEntries:
    rows = (
        Submission.objects.filter(
            challenge_id=submission.challenge_id, pk__lt=submission.pk, fingerprint__isnull=False
        )
        .exclude(participant_id=submission.participant_id)
        .exclude(Q(state=SubmissionState.SCORED) & Q(ranked=False))
        .values_list("pk", "participant_id")
    )
    # One round trip: a server-side cursor (``iterator``) took a DECLARE, its FETCHes and
    # a CLOSE, for pairs that stay small (a few MB at 100,000 entries).
    known = dict(rows)
    missing = [pk for pk in known if pk not in _parsed]
    if len(_parsed) + len(missing) > _CACHE_LIMIT:
        _parsed.clear()
        missing = list(known)
    for start in range(0, len(missing), 500):
        batch = Submission.objects.filter(pk__in=missing[start : start + 500])
        for pk, participant_id, data in batch.values_list("pk", "participant_id", "fingerprint"):
            if not scoring.fingerprint_is_current(data):
                data = upgrade_fingerprint(Submission.objects.get(pk=pk))
                if data is None:
                    continue  # its MIDI is gone or no longer validates: nothing to match
            assert data is not None  # current, or just upgraded
            _parsed[pk] = (participant_id, scoring.parse_fingerprint(bytes(data)))
    return scoring.EarlierEntries(
        [scoring.EarlierEntry(pk, *_parsed[pk]) for pk in sorted(known) if pk in _parsed]
    )


def upgrade_fingerprint(submission: Submission) -> bytes | None:
    """Recompute an entry's fingerprint (stored in an older format) from its MIDI and
    store it; None, storing nothing, when the MIDI is missing or no longer validates."""
    try:
        with submission.midi.open("rb") as handle:
            midi = handle.read()
    except (OSError, ValueError):
        return None
    data = scoring.refingerprint(midi)
    if data is not None:
        Submission.objects.filter(pk=submission.pk).update(fingerprint=data)
    return data


def judge(submission: Submission) -> scoring.EntryReport:
    """The judge's report on an entry (slow: call outside any transaction)."""
    challenge = submission.challenge
    with submission.midi.open("rb") as handle:
        midi = handle.read()
    return scoring.score_entry(
        midi=midi,
        profile=challenge.evaluation_profile,
        weights=challenge.weights(),
        earlier=earlier_entries(submission),
        given=given_samples(submission.provenance, submission.verification),
    )
