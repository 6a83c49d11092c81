"""How an entry was made, shown: the badge and the chain on the entry page (readable rows,
never a dict), the entry API, the board's API rows and the hosts' CSV."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from chartbusters.accounts.models import User
from chartbusters.challenges.models import Challenge, ProvenanceRule
from chartbusters.submissions import services
from chartbusters.submissions.provenance_display import ChainRow, badge, chain_rows
from chartbusters.submissions.verification import submission_record_verification
from tests.chartbusters.builders import enter, make_challenge, report, score_with

pytestmark = pytest.mark.django_db

CLAIM = {
    "input": "sample:twinkle-twinkle",
    "technique": "arcnn",
    "parameters": {"iterations": 50, "creative_risk": 1.5},
    "seed": 7,
    "model_version": "arcnn-1",
}
DIFFERENCE = "Note 12 differs: the claim gives E4 at beat 5, the entry has F4."


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "publish_verification", lambda submission_id: None)


def test_a_claim_reads_as_a_chain() -> None:
    assert chain_rows(CLAIM) == [
        ChainRow("Sample melody", "twinkle-twinkle"),
        ChainRow("AR-CNN (Bach-style note edits) (Iterations 50, Creative risk 1.5, seed 7)",
                 "model arcnn-1"),
        ChainRow("This entry"),
    ]  # fmt: skip


def test_a_studio_chain_reads_as_rows() -> None:
    provenance = {"chain": [
        {"kind": "sample", "title": "Ode to Joy", "sample": "ode-to-joy"},
        {"kind": "generated", "title": "GAN", "technique": "gan",
         "parameters": {"style": "chorale"}, "seed": 5, "model_version": "gan-4"},
        {"kind": "edit", "title": "GAN (edited)"},
    ]}  # fmt: skip
    assert [row.step for row in chain_rows(provenance)] == [
        "Sample melody", "GAN (accompaniment) (Style chorale, seed 5)",
        "Hand edit in the piano roll", "This entry",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("verification", "hand_edited", "words"),
    [
        ("verified", False, "Verified"),
        ("studio", True, "Made in the studio · hand-edited"),
        ("unverified", False, f"Unverified: {DIFFERENCE}"),
        ("not_claimed", False, "Not claimed"),
        ("pending", False, "Verification pending"),
    ],
)
def test_the_badge_says_what_stands_behind_the_entry(
    verification: str, hand_edited: bool, words: str
) -> None:
    assert badge(verification, hand_edited, DIFFERENCE) == words


def test_the_entry_page_shows_the_badge_the_reason_and_the_chain(
    client: Client, alice: User
) -> None:
    challenge = make_challenge(provenance_rule=ProvenanceRule.VERIFIED)
    entry = enter(alice, challenge, technique="arcnn", provenance=CLAIM)
    submission_record_verification(submission_id=entry.pk, verified=False, note=DIFFERENCE)
    client.force_login(alice)
    html = client.get(f"/submissions/{entry.uuid}/").content.decode()
    assert "Unverified: Note 12 differs: the claim gives E4 at beat 5, the entry has F4." in html
    assert "Off the board: this challenge ranks only verified entries" in html
    assert "<strong>Sample melody</strong>" in html
    assert "seed 7)</strong>" in html
    assert "{&#x27;" not in html  # no Python dict


def test_the_entry_api_carries_the_verification(api: APIClient, alice: User) -> None:
    challenge = make_challenge(provenance_rule=ProvenanceRule.VERIFIED)
    entry = enter(alice, challenge, technique="arcnn", provenance=CLAIM)
    api.force_authenticate(alice)
    body = api.get(f"/api/submissions/{entry.uuid}/").json()
    assert (body["verification"], body["hand_edited"], body["verification_note"]) == (
        "pending", False, "",
    )  # fmt: skip
    assert body["board_hold"].startswith("Off the board until its provenance is verified")


def test_board_rows_and_the_csv_carry_the_verification(
    api: APIClient, alice: User, host: User
) -> None:
    challenge: Challenge = make_challenge(provenance_rule=ProvenanceRule.VERIFIED)
    entry = score_with(enter(alice, challenge, technique="arcnn", provenance=CLAIM), report(60))
    submission_record_verification(submission_id=entry.pk, verified=True)
    rows = api.get(f"/api/challenges/{challenge.slug}/leaderboard/").json()["results"]
    assert [(r["verification"], r["hand_edited"]) for r in rows] == [("verified", False)]
    api.force_authenticate(host)
    response: Any = api.get(f"/api/challenges/{challenge.slug}/leaderboard.csv")
    text = b"".join(response.streaming_content)
    table = list(csv.DictReader(io.StringIO(text.decode())))
    assert [(r["verification"], r["hand_edited"]) for r in table] == [("verified", "False")]


def test_the_board_page_shows_each_rows_badge(client: Client, alice: User, bob: User) -> None:
    challenge = make_challenge()
    score_with(enter(alice, challenge, technique="arcnn", provenance=CLAIM), report(70))
    score_with(enter(bob, challenge, seed=2), report(60))
    html = client.get(f"/challenges/{challenge.slug}/leaderboard/").content.decode()
    assert html.index("Verification pending") < html.index("Not claimed")


def test_judges_see_the_badge_but_not_the_maker(
    api: APIClient, client: Client, alice: User, judge: User
) -> None:
    challenge = make_challenge(finalists_count=1)
    challenge.judges.add(judge)
    score_with(enter(alice, challenge, technique="arcnn", provenance=CLAIM), report(70))
    Challenge.objects.filter(pk=challenge.pk).update(ends_at=timezone.now() - timedelta(minutes=1))
    api.force_authenticate(judge)
    (finalist,) = api.get(f"/api/challenges/{challenge.slug}/finalists/").json()
    assert (finalist["verification"], finalist["hand_edited"]) == ("pending", False)
    client.force_login(judge)
    page = client.get(f"/judging/{challenge.slug}/").content.decode()
    assert "Verification pending" in page
    assert alice.public_name not in page
