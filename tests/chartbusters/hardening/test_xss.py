"""Everything people type is shown escaped, and Markdown is sanitised, on every page.

Titles, descriptions, display names, bios, token names, composition titles and the
hosts' challenge descriptions all carry script payloads here; every page of the site
(and the admin's lists) is rendered for several actors in every challenge state.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client

from chartbusters.accounts.models import ApiToken, User
from chartbusters.challenges.models import Challenge
from chartbusters.submissions.models import Submission
from tests.chartbusters.hardening.routes import (
    ADMIN_PAGES,
    PAGES,
    PATHS,
    SCENARIOS,
    World,
    build_world,
)

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert('xss')</script>"
IMAGE = "\"><img src=x onerror=alert('xss')>"
MARKDOWN = (
    "Write **Bach**. <script>alert('md')</script>\n\n"
    "[a link](javascript:alert('md')) <img src=x onerror=alert('md')>\n\n"
    "<a href=\"javascript:alert('md')\" onclick=\"alert('md')\">x</a>"
    "<iframe src=\"https://evil.example\"></iframe><svg onload=alert('md')></svg>"
)


class ActiveContent(HTMLParser):
    """Collects what a browser would run or load from a page: script elements (and
    their text), event-handler attributes, javascript: URLs and frames.
    Escaped text is text to a parser, so only real markup is found."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("iframe", "object", "embed"):
            self.found.append(f"<{tag}>")
        # JSON data blocks (json_script) are not run; their "<" is escaped as \u003C.
        self._in_script = tag == "script" and ("type", "application/json") not in attrs
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=...>")
            if value and value.strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}={value}>")

    def handle_data(self, data: str) -> None:
        if self._in_script and "alert(" in data:
            self.found.append(f"<script>{data[:40]}")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False


def active_content(html: str) -> list[str]:
    parser = ActiveContent()
    parser.feed(html)
    return parser.found


def plant_payloads(world: World) -> None:
    Challenge.objects.update(title=SCRIPT + IMAGE, description=MARKDOWN)
    Submission.objects.update(title=(SCRIPT + IMAGE)[:120], description=SCRIPT + IMAGE)
    User.objects.update(display_name=SCRIPT[:60], bio=SCRIPT + IMAGE)
    ApiToken.objects.update(name=SCRIPT[:60])
    try:
        from chartbusters.studio.models import Composition
    except ImportError:
        return
    Composition.objects.update(title=(SCRIPT + IMAGE)[:100])


def pages_for(world: World) -> list[str]:
    return sorted({PATHS[name](world, scenario) for name in PAGES for scenario in SCENARIOS})


@pytest.mark.parametrize("actor", ["anonymous", "alice", "judge", "host"])
def test_user_text_is_escaped_and_markdown_sanitised_on_every_page(actor: str) -> None:
    world = build_world()
    plant_payloads(world)
    client = Client()
    if actor != "anonymous":
        client.force_login(world.users[actor])
    paths = pages_for(world) + (ADMIN_PAGES if actor == "host" else [])
    shown = 0
    problems: list[str] = []
    for path in paths:
        response = client.get(path)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        html = response.content.decode()
        problems += [f"{path}: {found}" for found in active_content(html)]
        shown += "&lt;script&gt;alert(" in html
    assert not problems, "\n".join(problems)
    assert shown >= 3  # the payloads were on the pages, escaped, not merely absent


def test_a_challenge_description_keeps_its_markdown_and_loses_its_scripts(
    client: Client, challenge: Challenge
) -> None:
    Challenge.objects.filter(pk=challenge.pk).update(description=MARKDOWN)
    html = client.get(f"/challenges/{challenge.slug}/").content.decode()
    assert "Write <strong>Bach</strong>." in html
    assert active_content(html) == []
    api: Any = client.get(f"/api/challenges/{challenge.slug}/").json()
    assert "<strong>Bach</strong>" in api["description_html"]
    assert active_content(api["description_html"]) == []
