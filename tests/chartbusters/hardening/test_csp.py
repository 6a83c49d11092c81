"""Content-Security-Policy (issue 14, item 12): every response carries a strict policy, and
no page of the site needs more than it allows (no inline script, style or event handler),
so an injected ``<script>`` would not run even if escaping ever failed.

The browser tests (tests/browser) run the studio and the admin under the header and fail
on any violation the browser reports; this file checks the header and the markup.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client

from tests.chartbusters.hardening.routes import (
    ADMIN_PAGES,
    PAGES,
    PATHS,
    SCENARIOS,
    World,
    build_world,
)

pytestmark = pytest.mark.django_db

REQUIRED = {
    "default-src": {"'self'"},
    "script-src": {"'self'"},
    "style-src": {"'self'"},
    "object-src": {"'none'"},
    "base-uri": {"'self'"},
    "form-action": {"'self'"},
    "frame-ancestors": {"'none'"},
}
NEVER = {"'unsafe-inline'", "'unsafe-eval'", "*", "data:", "http:", "https:"}


def policy(response: Any) -> dict[str, set[str]]:
    header = response.get("Content-Security-Policy", "")
    directives = [part.split() for part in header.split(";") if part.strip()]
    return {words[0]: set(words[1:]) for words in directives}


def assert_strict(path: str, response: Any) -> None:
    directives = policy(response)
    assert directives, f"{path}: no Content-Security-Policy header"
    for name, sources in REQUIRED.items():
        assert directives.get(name) == sources, (path, name, directives.get(name))
    for name in ("script-src", "style-src", "default-src"):
        assert not directives[name] & NEVER, (path, name)


class InlineCode(HTMLParser):
    """What a strict policy would block in a page: script elements without src (except
    JSON data blocks), style elements, style and event-handler attributes, javascript:
    URLs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script" and not values.get("src") and values.get("type") != "application/json":
            self.found.append("<script> without src")
        if tag == "style":
            self.found.append("<style>")
        for name, value in attrs:
            if name == "style" or name.startswith("on"):
                self.found.append(f"<{tag} {name}=...>")
            if value and value.strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}={value}>")


def inline_code(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    return parser.found


def pages(world: World, actor: str) -> list[str]:
    paths = {PATHS[name](world, scenario) for name in PAGES for scenario in SCENARIOS}
    paths |= {"/api/docs/", "/api/challenges/", "/no-such-page/"}
    if actor == "staff":
        paths |= set(ADMIN_PAGES) | {
            "/admin/challenges/challenge/add/",
            f"/admin/challenges/challenge/{world.challenges['live'].pk}/change/",
            f"/admin/accounts/user/{world.users['alice'].pk}/change/",
            "/admin/password_change/",
        }
    return sorted(paths)


@pytest.mark.parametrize("actor", ["anonymous", "alice", "staff"])
def test_every_page_has_a_strict_policy_and_no_inline_code(actor: str) -> None:
    world = build_world()
    client = Client(raise_request_exception=False)
    if actor != "anonymous":
        client.force_login(world.users[actor])
    problems = []
    for path in pages(world, actor):
        # The browsable API is asked for as a browser would (Accept: text/html).
        response = client.get(path, HTTP_ACCEPT="text/html")
        assert_strict(path, response)
        if "html" in response.get("Content-Type", ""):
            problems += [f"{path}: {found}" for found in inline_code(response.content.decode())]
    assert not problems, "\n".join(sorted(set(problems)))


def test_api_answers_errors_and_files_carry_the_policy_too() -> None:
    world = build_world()
    client = Client(raise_request_exception=False)
    answers = {
        "api": client.get("/api/challenges/", HTTP_ACCEPT="application/json"),
        "refused": client.post("/api/tokens/"),
        "too large": client.post("/api/tokens/", CONTENT_LENGTH=str(10**9)),
        "midi": client.get(PATHS["api-listen"](world, "live")),
        "static": client.get("/static/css/site.css"),
    }
    for name, response in answers.items():
        assert_strict(name, response)


def test_the_login_page_of_the_admin_has_the_policy_and_no_inline_code() -> None:
    response = Client().get("/admin/login/")
    assert_strict("/admin/login/", response)
    assert inline_code(response.content.decode()) == []
