"""CSRF on every form: each POST form of every page carries a token, and its action
refuses a post without one (403). Forms are found by rendering every page of the site
for every kind of user in every challenge state, not from a hand-kept list.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tests.chartbusters.hardening.routes import PAGES, PATHS, SCENARIOS, World, build_world

pytestmark = pytest.mark.django_db
ACTORS = ("anonymous", "alice", "judge", "host")


class PostForms(HTMLParser):
    """The POST forms of a page: (action, field names)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, list[str]]] = []
        self._open: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "form" and (values.get("method") or "").lower() == "post":
            self._open = (values.get("action") or "", [])
        elif tag in ("input", "select", "textarea", "button") and self._open and values.get("name"):
            self._open[1].append(values["name"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self._open is not None:
            self.forms.append(self._open)
            self._open = None


def post_forms(html: str) -> list[tuple[str, list[str]]]:
    parser = PostForms()
    parser.feed(html)
    return parser.forms


def discover(world: World) -> dict[tuple[str, str], list[str]]:
    """(actor, action path) -> field names, for every POST form any page shows."""
    found: dict[tuple[str, str], list[str]] = {}
    for actor in ACTORS:
        client = Client()
        if actor != "anonymous":
            client.force_login(world.users[actor])
        pages = {PATHS[name](world, scenario) for name in PAGES for scenario in SCENARIOS}
        for page in sorted(pages):
            response = client.get(page)
            if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                continue
            for action, fields in post_forms(response.content.decode()):
                found[(actor, action or page)] = fields
    return found


def test_every_post_form_has_a_token_and_is_refused_without_one() -> None:
    world = build_world()
    forms = discover(world)
    actions = {action for _, action in forms}
    # The forms of the site, as pages show them (a sanity floor, not the list tested).
    for expected in ("/accounts/login/", "/accounts/logout/", "/accounts/profile/"):
        assert expected in actions, sorted(actions)
    assert len(actions) >= 12, sorted(actions)
    problems = []
    for (actor, action), fields in sorted(forms.items()):
        if "csrfmiddlewaretoken" not in fields:
            problems.append(f"{action} (as {actor}): no CSRF token in the form")
        strict = Client(enforce_csrf_checks=True)
        if actor != "anonymous":
            strict.force_login(world.users[actor])
        body = {name: "1" for name in fields if name != "csrfmiddlewaretoken"}
        response = strict.post(action, body)
        if response.status_code != 403:
            problems.append(f"{action} (as {actor}): {response.status_code} without a token")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/api/challenges/live-one/submissions/"),
        ("post", "/api/tokens/"),
        ("delete", "/api/tokens/1/"),
        ("post", "/api/submissions/{entry}/disqualify/"),
        ("post", "/api/challenges/live-one/entries/{entry}/like/"),
        ("post", "/api/studio/jobs/"),
        ("post", "/api/studio/compositions/"),
    ],
)
def test_the_api_refuses_a_session_post_without_a_token(method: str, path: str) -> None:
    """Browsers send the session cookie on their own; only a token header proves intent
    (API clients using ``Authorization: Token`` are not affected)."""
    world = build_world()
    client: Any = APIClient(enforce_csrf_checks=True)
    client.force_login(world.users["host"])
    response = getattr(client, method)(path.format(entry=world.entry("live")), {})
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
