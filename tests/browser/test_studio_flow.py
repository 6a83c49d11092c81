"""The studio's flow as people use it (issue 20): the result panel's audio belongs to the
result shown, keyboard focus follows the work, and picking a melody twice reuses it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.browser.helpers import generate, log_in, result_composition

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def render_slowly(page: Any, except_id: str) -> None:
    """From now on the server says every composition but ``except_id`` is still having
    its audio rendered, as it does on a busy machine."""

    def pending(route: Any) -> None:
        response = route.fetch()
        body = response.json()
        rows = [body.get("result")] if "result" in body else [body]
        for row in rows:
            if row and row.get("id") != except_id:
                row.update(audio_state="pending", audio_url=None)
        route.fulfill(response=response, body=json.dumps(body))

    page.route("**/api/studio/jobs/*/", pending)
    page.route("**/api/studio/compositions/*/", pending)


def use_first_sample(page: Any) -> str:
    card = page.locator(".sample-card").first
    title: str = card.locator(".sample-title").inner_text()
    card.get_by_role("button", name=f"Use {title} as input").click()
    page.locator("#input-current").wait_for()
    return title


@pytest.mark.worker
def test_the_result_player_never_plays_the_previous_piece(
    live_server: Any, page: Any, worker: None
) -> None:
    log_in(page, live_server.url, "listener")
    use_first_sample(page)
    generate(page, "gan")
    first = result_composition(page)
    page.wait_for_function(
        "() => document.querySelector('[data-res=audio]').readyState >= 2", timeout=60_000
    )

    render_slowly(page, except_id=str(first.uuid))
    generate(page, "transformer")
    assert result_composition(page) != first
    assert page.locator("[data-res=audio-note]").inner_text() == "Rendering the audio…"
    audio = page.eval_on_selector(
        "[data-res=audio]",
        "a => ({src: a.getAttribute('src'), ready: a.readyState, network: a.networkState,"
        " paused: a.paused, hidden: a.hidden})",
    )  # nothing loaded (NETWORK_EMPTY, HAVE_NOTHING): the GAN's audio is gone, not hidden
    assert audio == {"src": None, "ready": 0, "network": 0, "paused": True, "hidden": True}


def focused(page: Any) -> str:
    """What has keyboard focus, as "tag#id" (the page body when focus was lost)."""
    return str(page.evaluate("() => { const e = document.activeElement;"
                             " return `${e.tagName.toLowerCase()}#${e.id}`; }"))  # fmt: skip


@pytest.mark.worker
def test_keyboard_focus_follows_the_work(live_server: Any, page: Any, worker: None) -> None:
    log_in(page, live_server.url, "keyboarder")
    card = page.locator(".sample-card").first
    title = card.locator(".sample-title").inner_text()
    card.get_by_role("button", name=f"Use {title} as input").focus()
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.activeElement.id === 'input-current-heading'")
    assert page.locator("#input-current-heading").inner_text() == f"Input: {title}"

    path: list[str] = []
    while focused(page) != "button#generate" and len(path) < 15:  # not the whole gallery
        page.keyboard.press("Tab")
        path.append(focused(page))
    assert path[-1] == "button#generate", f"Tab went {path}"

    page.keyboard.press("Enter")
    assert focused(page) == "p#job-label"  # not the body, while the generator works
    page.wait_for_function("() => !document.querySelector('#result').hidden", timeout=90_000)
    page.wait_for_function("() => document.activeElement.id === 'result-heading'")
