"""A challenge's rule about how entries were made: refused at submission where that can
be decided, otherwise kept off the board until verified (and for good if unverified)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from chartbusters.accounts.models import User
from chartbusters.challenges.models import Challenge, ProvenanceRule
from chartbusters.core.errors import ApplicationError
from chartbusters.leaderboards.models import LeaderboardEntry
from chartbusters.leaderboards.services import leaderboard_rebuild
from chartbusters.submissions import services
from chartbusters.submissions.models import Submission
from chartbusters.submissions.provenance import StudioOrigin, board_hold
from chartbusters.submissions.verification import submission_record_verification
from tests.chartbusters.builders import enter, make_challenge, report, score_with, scored_entry
from tests.chartbusters.competition.helpers import form_data

pytestmark = pytest.mark.django_db

CLAIM = {
    "input": "sample:twinkle-twinkle",
    "technique": "arcnn",
    "parameters": {},
    "seed": 7,
    "model_version": "arcnn-1",
}
STUDIO_RUN = StudioOrigin(provenance={"source": "studio", "chain": []}, generated=True,
                          hand_edited=False)  # fmt: skip
STUDIO_EDIT = StudioOrigin(provenance={"source": "studio", "chain": []}, generated=True,
                           hand_edited=True)  # fmt: skip


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "publish_verification", lambda submission_id: None)


def rule(value: str) -> Challenge:
    return make_challenge(provenance_rule=value)


def on_board(challenge: Challenge) -> set[int]:
    return set(
        LeaderboardEntry.objects.filter(challenge=challenge).values_list("submission_id", flat=True)
    )


def scored(user: User, challenge: Challenge, **kw: Any) -> Submission:
    return score_with(enter(user, challenge, **kw), report(60))


def test_a_challenge_takes_any_entry_by_default(db: None) -> None:
    assert make_challenge().provenance_rule == ProvenanceRule.ANY


def test_any_entry_ranks_an_unchecked_claim(alice: User) -> None:
    challenge = rule(ProvenanceRule.ANY)
    entry = scored(alice, challenge, technique="arcnn")
    assert entry.verification == "unverified"
    assert on_board(challenge) == {entry.pk}


def test_a_hand_made_upload_claiming_a_generator_is_refused_with_the_reason(alice: User) -> None:
    """Issue 19: a hand-made file entered as AR-CNN in "Bach to the Future"."""
    challenge = rule(ProvenanceRule.VERIFIED)
    with pytest.raises(ApplicationError, match="only once it is verified") as caught:
        enter(alice, challenge, technique="arcnn")
    assert caught.value.code == "provenance_rule"
    assert not Submission.objects.exists()


def test_a_claim_is_kept_off_the_board_until_verified(alice: User) -> None:
    challenge = rule(ProvenanceRule.VERIFIED)
    entry = scored(alice, challenge, technique="arcnn", provenance=CLAIM)
    assert on_board(challenge) == set()
    assert board_hold(challenge.provenance_rule, entry.verification, False).startswith(
        "Off the board until its provenance is verified"
    )
    assert submission_record_verification(submission_id=entry.pk, verified=True)
    assert on_board(challenge) == {entry.pk}


def test_an_unverified_claim_stays_off_the_board_with_the_reason(alice: User) -> None:
    challenge = rule(ProvenanceRule.VERIFIED)
    entry = scored(alice, challenge, technique="arcnn", provenance=CLAIM)
    note = "Note 3 differs: the claim gives E4 at beat 2, the entry has F4."
    submission_record_verification(submission_id=entry.pk, verified=False, note=note)
    entry.refresh_from_db()
    assert on_board(challenge) == set()
    assert board_hold(challenge.provenance_rule, entry.verification, False, note) == (
        "Off the board: this challenge ranks only verified entries, and this one is not. " + note
    )
    assert leaderboard_rebuild(challenge_id=challenge.pk) == 0  # the rebuild agrees


def test_verified_only_ranks_plain_uploads_and_studio_entries(alice: User, bob: User) -> None:
    challenge = rule(ProvenanceRule.VERIFIED)
    upload = scored(alice, challenge)
    studio = score_with(enter(bob, challenge, technique="gan", studio=STUDIO_EDIT), report(70))
    assert on_board(challenge) == {upload.pk, studio.pk}


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({}, "takes only generator output the service can verify"),
        ({"technique": "gan", "studio": STUDIO_EDIT}, "takes no hand-edited entries"),
        ({"technique": "gan"}, "only once it is verified"),
    ],
    ids=["upload", "hand-edited", "no-provenance"],
)
def test_verified_and_unedited_refuses_what_it_can_at_submission(
    alice: User, fields: dict[str, Any], reason: str
) -> None:
    challenge = rule(ProvenanceRule.VERIFIED_UNEDITED)
    with pytest.raises(ApplicationError, match=reason):
        enter(alice, challenge, **fields)


def test_verified_and_unedited_ranks_untouched_generator_output(alice: User, bob: User) -> None:
    challenge = rule(ProvenanceRule.VERIFIED_UNEDITED)
    studio = score_with(enter(alice, challenge, technique="gan", studio=STUDIO_RUN), report(70))
    claim = scored(bob, challenge, technique="arcnn", provenance=CLAIM)
    assert on_board(challenge) == {studio.pk}
    submission_record_verification(submission_id=claim.pk, verified=True)
    assert on_board(challenge) == {studio.pk, claim.pk}


def test_a_later_verdict_never_overwrites_the_first(alice: User) -> None:
    challenge = rule(ProvenanceRule.VERIFIED)
    entry = scored(alice, challenge, technique="arcnn", provenance=CLAIM)
    assert submission_record_verification(submission_id=entry.pk, verified=False, note="No.")
    assert not submission_record_verification(submission_id=entry.pk, verified=True)
    entry.refresh_from_db()
    assert entry.verification == "unverified"


def test_scored_entries_in_an_any_challenge_are_unaffected(alice: User) -> None:
    challenge = rule(ProvenanceRule.ANY)
    entry = scored_entry(alice, challenge, 50)
    assert on_board(challenge) == {entry.pk}


def test_a_host_changing_the_rule_in_the_admin_rebuilds_the_board(
    client: Client, host: User, alice: User
) -> None:
    challenge = rule(ProvenanceRule.ANY)
    scored(alice, challenge, technique="arcnn")  # a claim nobody can check
    client.force_login(host)
    yesterday = (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%d")
    data = form_data(provenance_rule="verified", starts_at_0=yesterday,
                     allowed_techniques=["arcnn", "upload"])  # fmt: skip
    response = client.post(f"/admin/challenges/challenge/{challenge.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    challenge.refresh_from_db()
    assert challenge.provenance_rule == ProvenanceRule.VERIFIED
    assert on_board(challenge) == set()


def test_the_challenge_api_shows_the_rule(api: APIClient) -> None:
    rule(ProvenanceRule.VERIFIED_UNEDITED)
    body = api.get("/api/challenges/bach-to-the-future/").json()
    assert body["provenance_rule"] == "verified_unedited"


def test_an_entry_held_off_the_board_cannot_be_listened_to_from_it(
    api: APIClient, alice: User
) -> None:
    challenge = rule(ProvenanceRule.VERIFIED)
    entry = scored(alice, challenge, technique="arcnn", provenance=CLAIM)
    url = f"/api/challenges/{challenge.slug}/entries/{entry.uuid}/midi/"
    assert api.get(url).status_code == 404
    submission_record_verification(submission_id=entry.pk, verified=True)
    assert api.get(url).status_code == 200
