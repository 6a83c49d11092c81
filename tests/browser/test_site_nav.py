"""Every page has an icon and a nav that leads where it says (issue 20, the small ones)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.chartbusters.builders import make_challenge

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_no_page_asks_for_a_missing_favicon(live_server: Any, page: Any) -> None:
    missing: list[str] = []
    page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
    for path in ("/", "/challenges/", "/accounts/login/"):
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert page.request.get(live_server.url + icon).headers["content-type"] == "image/svg+xml"
    legacy = page.request.get(f"{live_server.url}/favicon.ico")  # asked for by other clients
    assert legacy.ok
    assert legacy.headers["content-type"] == "image/svg+xml"
    assert missing == []


def test_the_nav_challenges_link_lists_the_challenges(live_server: Any, page: Any) -> None:
    make_challenge("in-the-list", title="In The List")
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Challenges").click()
    page.wait_for_url(f"{live_server.url}/challenges/")
    assert page.get_by_role("heading", name="Challenges", level=1).is_visible()
    assert page.get_by_text("In The List").first.is_visible()
