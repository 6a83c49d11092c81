"""How an entry was made, seen in a browser (issue 19): the verification badge on the
board's rows, the entry page's badge, reason and chain, and the judges' view, which
shows the badge but never the maker."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from chartbusters.challenges.models import Challenge
from chartbusters.submissions import services
from chartbusters.submissions.models import Submission
from chartbusters.submissions.verification import submission_record_verification
from tests.browser.conftest import assert_clean, new_page
from tests.chartbusters.builders import enter, make_challenge, report, score_with
from tests.chartbusters.conftest import PASSWORD, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CLAIM = {
    "input": "sample:twinkle-twinkle",
    "technique": "gan",
    "parameters": {"style": "chorale"},
    "seed": 7,
    "model_version": "gan-test",
}
DIFFERENCE = "Note 12 differs: the claim gives E4 at beat 5, the entry has F4."


@pytest.fixture
def entries(monkeypatch: pytest.MonkeyPatch) -> dict[str, Submission]:
    """Three ranked entries: a verified claim, an unverified one and a plain upload."""
    monkeypatch.setattr(services, "publish_verification", lambda submission_id: None)
    challenge = make_challenge("made-how", title="Made How", finalists_count=3)
    made = {}
    makers = (("vera_maker", True), ("ulrich_maker", False), ("nora_maker", None))
    for seed, (name, outcome) in enumerate(makers):
        kw: dict[str, Any] = {"technique": "upload"}
        if outcome is not None:
            kw = {"technique": "gan", "provenance": CLAIM}
        entry = enter(make_user(name), challenge, seed=seed, title=f"Piece {seed}", **kw)
        if outcome is not None:
            submission_record_verification(
                submission_id=entry.pk, verified=outcome, note="" if outcome else DIFFERENCE
            )
        made[name] = score_with(entry, report(80.0 - seed))
    return made


def log_in(browser: Any, base: str, username: str, to: str) -> Any:
    page = new_page(browser, width=1280)
    page.goto(f"{base}/accounts/login/?next={to}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(f"**{to}")
    return page


def test_each_board_row_shows_how_its_entry_was_made(
    live_server: Any, browser: Any, entries: dict[str, Submission]
) -> None:
    make_user("looker")
    page = log_in(browser, live_server.url, "looker", "/challenges/made-how/leaderboard/")
    rows = page.locator("table.full-board tbody tr")
    expected = {"Piece 0": "Verified", "Piece 1": "Unverified", "Piece 2": "Not claimed"}
    for index in range(rows.count()):
        row = rows.nth(index)
        title = next(t for t in expected if t in row.inner_text())
        badge = row.locator(".badge.verification")
        assert badge.is_visible(), title
        assert badge.inner_text().strip() == expected.pop(title)
    assert not expected, f"rows missing from the board: {expected}"
    assert_clean(page)
    page.context.close()


def test_the_entry_page_shows_the_reason_and_the_chain(
    live_server: Any, browser: Any, entries: dict[str, Submission]
) -> None:
    entry = entries["ulrich_maker"]
    page = log_in(browser, live_server.url, "ulrich_maker", f"/submissions/{entry.uuid}/")
    badge = page.locator("[data-verification]")
    assert badge.get_attribute("data-verification") == "unverified"
    assert badge.inner_text().strip() == f"Unverified: {DIFFERENCE}"
    steps = page.locator("ol.chain li")
    assert steps.count() == 3
    assert steps.nth(0).inner_text().startswith("Sample melody")
    assert "seed 7" in steps.nth(1).inner_text()
    assert "{" not in page.locator("ol.chain").inner_text()  # rows, never a dict
    assert_clean(page)
    page.context.close()


def test_judges_see_the_badges_without_the_makers(
    live_server: Any, browser: Any, entries: dict[str, Submission]
) -> None:
    challenge = Challenge.objects.get(slug="made-how")
    judge = make_user("jude", role="judge")
    challenge.judges.add(judge)
    Challenge.objects.filter(pk=challenge.pk).update(ends_at=timezone.now() - timedelta(minutes=1))
    page = log_in(browser, live_server.url, "jude", "/judging/made-how/")
    badges = sorted(t.strip() for t in page.locator(".card .badge.verification").all_inner_texts())
    assert badges == ["Not claimed", "Unverified", "Verified"]
    text = page.locator("main").inner_text()
    for name, entry in entries.items():
        assert name not in text
        assert entry.title not in text
    assert DIFFERENCE not in text  # the reason names notes of the entry, not shown blind
    assert_clean(page)
    page.context.close()
