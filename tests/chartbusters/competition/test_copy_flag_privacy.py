"""A copy flag tells its owner that the entry matches an earlier one, never which
participant's or which internal entry id (issue 14, item 12): on a hidden board that
would reveal who else entered and let them be probed. Hosts still see the source."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from rest_framework.test import APIClient

from chartbusters.accounts.models import User
from chartbusters.challenges.models import Challenge
from chartbusters.evaluator import scoring
from chartbusters.submissions.models import Submission
from chartbusters.submissions.tasks import notify_submission_result
from music.validate import validate_midi
from tests.chartbusters.builders import enter, piece, report, score_with

pytestmark = pytest.mark.django_db


def stored_copy_report(original: Submission) -> scoring.EntryReport:
    """A copy report as entries stored before this fix carry it: the internal entry id
    in the flag's message, source, the novelty details and the explanation."""
    named = f"an earlier entry (entry:{original.pk})"
    message = f"This entry copies {named}: 100% of its voices match it. Copies stay off."
    base = report(70.0)
    return scoring.EntryReport(
        **{**base.__dict__, "ranked": False, "explanation": f"Realism: 0.50\n{message}",
           "flags": [{"code": "copy", "message": message, "blocking": True,
                      "source": f"entry:{original.pk}"}],
           "details": {"novelty": {"copy_of": f"entry:{original.pk}", "copied_fraction": 1.0}}},
    )  # fmt: skip


@pytest.fixture
def copied(alice: User, bob: User, hidden_challenge: Challenge) -> tuple[Submission, Submission]:
    original = score_with(enter(alice, hidden_challenge, seed=1), report(60.0))
    copy = score_with(enter(bob, hidden_challenge, seed=2), stored_copy_report(original))
    return original, copy


def secrets_of(original: Submission) -> list[str]:
    return [f"entry:{original.pk}", f"participant:{original.participant_id}", str(original.uuid)]


def test_the_owner_of_a_copy_learns_it_matches_an_earlier_entry_and_nothing_more(
    api: APIClient, bob: User, copied: tuple[Submission, Submission]
) -> None:
    original, copy = copied
    api.force_authenticate(bob)
    for url in (f"/api/submissions/{copy.uuid}/", "/api/submissions/"):
        body = api.get(url).content.decode()
        assert "matches an earlier entry" in body
        for secret in secrets_of(original):
            assert secret not in body


def test_the_entry_page_and_the_email_say_the_same(
    client: Client, bob: User, copied: tuple[Submission, Submission]
) -> None:
    original, copy = copied
    client.force_login(bob)
    page = client.get(f"/submissions/{copy.uuid}/").content.decode()
    assert "matches an earlier entry" in page
    notify_submission_result.run(copy.pk)
    for text in (page, mail.outbox[-1].body):
        for secret in secrets_of(original):
            assert secret not in text


def test_hosts_still_see_which_entry_was_copied(
    api: APIClient, host: User, copied: tuple[Submission, Submission]
) -> None:
    original, copy = copied
    api.force_authenticate(host)
    flags: list[dict[str, Any]] = api.get(f"/api/submissions/{copy.uuid}/").json()["flags"]
    assert flags[0]["source"] == f"entry:{original.pk}"


def test_new_reports_store_no_id_in_what_the_owner_reads(alice: User, challenge: Challenge) -> None:
    original = enter(alice, challenge, seed=1)
    print_ = scoring.fingerprint(validate_midi(piece(1)))
    earlier = scoring.EarlierEntries([scoring.EarlierEntry(original.pk, alice.pk, print_)])
    source = scoring.participant_source(alice.pk)
    message = f"This entry copies {source}: 100%."
    flags: list[dict[str, Any]] = [
        {"code": "copy", "message": message, "source": source, "blocking": True}
    ]
    details: dict[str, Any] = {"novelty": {"copy_of": source}}
    explanation = scoring.name_copied_entries(
        flags, details, f"Realism: 0.5\nThis entry copies {source}: 100%.", earlier, print_
    )
    assert flags[0]["source"] == f"entry:{original.pk}"  # for hosts
    assert details["novelty"]["copy_of"] == f"entry:{original.pk}"
    for text in (flags[0]["message"], explanation):
        assert "matches an earlier entry" in text
        assert not re.search(r"(entry|participant):\d", text)
