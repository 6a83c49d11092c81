"""The full leaderboard fits the screen (issue 20, item 3): no sideways scrolling at
1280 px; on a 390 px phone each row shows rank, name, score and a play button, and the
rest opens from a disclosure."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.base import ContentFile

from chartbusters.challenges.models import Challenge
from chartbusters.submissions.models import AudioState
from tests.browser.conftest import assert_clean, new_page
from tests.chartbusters.builders import make_challenge, scored_entry
from tests.chartbusters.conftest import PASSWORD, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def ogg() -> bytes:
    """A real listening copy, so the play button really plays."""
    from chartbusters.core.renders import render_ogg
    from chartbusters.studio import scores

    return render_ogg(scores.sample_score("ode-to-joy"))


@pytest.fixture
def board(ogg: bytes) -> Challenge:
    challenge = make_challenge("wide-boards", title="Wide Boards")
    for rank in range(3):
        name = f"participant-with-a-long-name-{rank}"
        entry = scored_entry(make_user(name), challenge, 80.0 - 10 * rank, seed=rank,
                             title=f"A rather long entry title, number {rank}")  # fmt: skip
        entry.audio.save("entry.ogg", ContentFile(ogg), save=False)
        entry.audio_state = AudioState.READY
        entry.save(update_fields=["audio", "audio_state"])
    return challenge


def open_board(browser: Any, base: str, slug: str, width: int) -> Any:
    page = new_page(browser, width=width, height=900)
    make_user("looker")
    page.goto(f"{base}/accounts/login/?next=/challenges/{slug}/leaderboard/")
    page.fill("#id_username", "looker")
    page.fill("#id_password", PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(f"**/challenges/{slug}/leaderboard/")
    return page


def no_sideways_scroll(page: Any, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    region = page.locator(".table-scroll")
    assert region.evaluate("r => r.scrollWidth <= r.clientWidth"), "the table scrolls sideways"


def within(page: Any, locator: Any, width: int) -> None:
    box = locator.bounding_box()
    assert locator.is_visible(), locator
    assert box is not None
    assert 0 <= box["x"] <= box["x"] + box["width"] <= width, (locator, box)


def test_the_board_fits_a_desktop_screen(live_server: Any, browser: Any, board: Challenge) -> None:
    page = open_board(browser, live_server.url, board.slug, 1280)
    no_sideways_scroll(page, 1280)
    row = page.locator("table.full-board tbody tr").first
    within(page, row.get_by_role("button", name="Play A rather long entry title, number 0"), 1280)
    within(page, row.get_by_role("link", name="MIDI of A rather long entry title, number 0"), 1280)
    within(page, row.get_by_role("button", name="Like A rather long entry title, number 0"), 1280)
    assert_clean(page)
    page.context.close()


def test_on_a_phone_a_row_is_rank_name_score_and_play(
    live_server: Any, browser: Any, board: Challenge
) -> None:
    page = open_board(browser, live_server.url, board.slug, 390)
    no_sideways_scroll(page, 390)
    row = page.locator("table.full-board tbody tr").first
    rank = row.locator("td").first
    name = row.get_by_text("participant-with-a-long-name-0")
    score = row.get_by_text("80.00")
    play = row.get_by_role("button", name="Play A rather long entry title, number 0")
    for cell in (rank, name, score, play):
        within(page, cell, 390)
    tops = [c.bounding_box()["y"] for c in (rank, name.first, score.first, play)]
    assert max(tops) - min(tops) < 24, f"rank, name, score and play are not on one line: {tops}"

    more = row.locator("details")
    midi = more.get_by_role("link", name="MIDI of A rather long entry title, number 0")
    assert not midi.is_visible()
    more.locator("summary").click()
    within(page, midi, 390)
    within(page, more.get_by_role("button", name="Like A rather long entry title, number 0"), 390)
    no_sideways_scroll(page, 390)

    play.click()  # plays in the page; the button says so
    page.wait_for_function(
        "b => b.getAttribute('aria-pressed') === 'true'", arg=play.element_handle()
    )
    play.click()
    assert play.get_attribute("aria-pressed") == "false"
    # The API's row links the very audio the page's button plays.
    rows = page.evaluate(
        "slug => fetch(`/api/challenges/${slug}/leaderboard/`).then(r => r.json())", board.slug
    )["results"]
    assert rows[0]["audio_url"] == play.get_attribute("data-play")
    assert_clean(page)
    page.context.close()
