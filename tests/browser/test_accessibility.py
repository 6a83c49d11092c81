"""The pages people use most pass axe-core with no serious or critical violation and fit
a 390 px phone and a 1280 px desktop without sideways scrolling (issue 20, targets)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from chartbusters.accounts.models import Role
from chartbusters.challenges.models import Challenge
from tests.browser import helpers
from tests.browser.conftest import assert_clean, new_page
from tests.chartbusters.builders import make_challenge, scored_entry
from tests.chartbusters.conftest import PASSWORD, make_user

axe_playwright = pytest.importorskip("axe_playwright_python.sync_playwright")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (390, 1280)
BLOCKING = {"serious", "critical"}


def log_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_load_state("networkidle")


def axe_problems(page: Any) -> list[str]:
    """Serious and critical violations, one line per rule with the first offending nodes."""
    results = axe_playwright.Axe().run(page).response
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + "; ".join(" ".join(n["target"]) for n in v["nodes"][:3])
        for v in results["violations"]
        if v["impact"] in BLOCKING
    ]


def sideways(page: Any, width: int) -> str | None:
    """What sticks out past the viewport, if the page scrolls sideways."""
    scroll = page.evaluate("document.documentElement.scrollWidth")
    if scroll <= width:
        return None
    culprits = page.evaluate(
        """width => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > width + 1 && e.offsetParent !== null)
            .slice(0, 3).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
              + (e.className && typeof e.className === 'string' ? '.' + e.className : ''))""",
        width,
    )
    return f"{scroll} px wide: {culprits}"


def check_pages(browser: Any, base: str, username: str, paths: list[str]) -> None:
    problems: list[str] = []
    for width in WIDTHS:
        page = new_page(browser, width=width, height=800)
        log_in(page, base, username)
        for path in paths:
            page.goto(base + path)
            page.wait_for_load_state("networkidle")
            problems += [f"{path} at {width} px: {p}" for p in axe_problems(page)]
            if overflow := sideways(page, width):
                problems.append(f"{path} at {width} px scrolls sideways, {overflow}")
        assert_clean(page)
        page.context.close()
    assert not problems, "\n".join(problems)


@pytest.fixture
def open_challenge() -> Challenge:
    challenge = make_challenge("axe-open", title="Accessible Airs")
    for rank in range(3):
        scored_entry(make_user(f"axe-player-{rank}"), challenge, 75.0 - 10 * rank, seed=rank,
                     title=f"An entry with a fairly long title, number {rank}")  # fmt: skip
    return challenge


@pytest.fixture
def judged_challenge() -> Challenge:
    challenge = make_challenge("axe-judged", title="Judged Jigs", finalists_count=2)
    challenge.judges.add(make_user("axe-judge", Role.JUDGE))
    for rank in range(3):
        scored_entry(make_user(f"axe-finalist-{rank}"), challenge, 70.0 - 10 * rank, seed=rank)
    Challenge.objects.filter(pk=challenge.pk).update(ends_at=timezone.now() - timedelta(minutes=1))
    return challenge


def test_a_participants_pages_pass_axe_and_fit(
    live_server: Any, browser: Any, open_challenge: Challenge
) -> None:
    owner = make_user("axe-owner")
    mine = scored_entry(owner, open_challenge, 90.0, seed=7, title="My own entry")
    slug = open_challenge.slug
    paths = ["/", "/challenges/", f"/challenges/{slug}/", f"/challenges/{slug}/leaderboard/",
             f"/submissions/enter/{slug}/", f"/submissions/{mine.uuid}/", "/submissions/",
             "/studio/"]  # fmt: skip
    check_pages(browser, live_server.url, owner.username, paths)


def test_a_judges_pages_pass_axe_and_fit(
    live_server: Any, browser: Any, judged_challenge: Challenge
) -> None:
    check_pages(browser, live_server.url, "axe-judge",
                ["/judging/", f"/judging/{judged_challenge.slug}/"])  # fmt: skip


def test_the_studio_passes_axe_and_fits_in_each_state(live_server: Any, browser: Any) -> None:
    """The studio's panes, an input chosen and the note editor open, at both widths."""
    make_user("axe-composer")
    problems: list[str] = []
    for width in WIDTHS:
        page = new_page(browser, width=width, height=800)
        log_in(page, live_server.url, "axe-composer")
        page.goto(live_server.url + "/studio/")

        def check(state: str, page: Any = page, width: int = width) -> None:
            problems.extend(f"studio, {state}, at {width} px: {p}" for p in axe_problems(page))
            if overflow := sideways(page, width):
                problems.append(f"studio, {state}, at {width} px scrolls sideways, {overflow}")

        page.get_by_role("tab", name="Upload MIDI").click()
        check("upload")
        page.get_by_role("tab", name="Play it in").click()
        check("recorder")
        page.get_by_role("tab", name="Sample melodies").click()
        page.locator(".sample-card [data-action=use]").first.click()
        page.locator("#input-current").wait_for()
        check("an input chosen")
        page.get_by_role("button", name="Edit notes").click()
        check("the editor open")
        assert_clean(page)
        page.context.close()
    assert not problems, "\n".join(problems)


@pytest.mark.worker
def test_the_studio_result_passes_axe_and_fits(
    live_server: Any, page: Any, worker: None, open_challenge: Challenge
) -> None:
    """A generated result (its roll, instruments, player and actions) and the submit
    dialog, at both widths."""
    helpers.log_in(page, live_server.url, "axe-generator")
    page.locator(".sample-card [data-action=use]").first.click()
    page.locator("#input-current").wait_for()
    helpers.generate(page, "gan")
    problems: list[str] = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        problems += [f"result at {width} px: {p}" for p in axe_problems(page)]
        if overflow := sideways(page, width):
            problems.append(f"result at {width} px scrolls sideways, {overflow}")
    page.get_by_role("button", name="Submit to challenge").click()
    page.get_by_role("dialog").wait_for()
    problems += [f"submit dialog: {p}" for p in axe_problems(page)]
    assert not problems, "\n".join(problems)


def test_axe_reports_what_it_should(live_server: Any, page: Any) -> None:
    """The check is live: a button without a name is a critical violation."""
    page.goto(live_server.url + "/")
    assert axe_problems(page) == []
    page.evaluate("document.querySelector('main').append(document.createElement('button'))")
    assert any(p.startswith("button-name (critical)") for p in axe_problems(page))
