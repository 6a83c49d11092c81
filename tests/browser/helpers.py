"""Steps the studio's browser tests share: log in, generate, read the result."""

from __future__ import annotations

from typing import Any

from chartbusters.studio.models import Composition
from tests.chartbusters.conftest import PASSWORD as USER_PASSWORD
from tests.chartbusters.conftest import make_user

TECHNIQUES = {"arcnn": "AR-CNN (Bach)", "gan": "GAN accompaniment", "transformer": "Transformer"}


def generate(page: Any, technique: str) -> str:
    """Run ``technique`` on the current input; returns the result's title."""
    page.get_by_role("tab", name=TECHNIQUES[technique]).click()
    previous = page.locator("#result").get_attribute("data-composition") or ""
    page.get_by_role("button", name="Generate").click()
    page.wait_for_function(
        "previous => { const r = document.querySelector('#result');"
        " if (document.querySelector('#job').dataset.state === 'failed') return true;"
        " return !r.hidden && r.dataset.composition && r.dataset.composition !== previous; }",
        arg=previous,
        timeout=90_000,
    )
    state = page.locator("#job").get_attribute("data-state")
    assert state == "done", page.locator("#job-label").inner_text()
    assert page.locator("#job-label").inner_text().strip().endswith("Done.")
    return page.locator("[data-res=title]").inner_text()


def result_composition(page: Any) -> Composition:
    return Composition.objects.get(uuid=page.locator("#result").get_attribute("data-composition"))


def log_in(page: Any, base: str, username: str) -> None:
    make_user(username)
    page.goto(f"{base}/accounts/login/?next=/studio/")
    page.fill("#id_username", username)
    page.fill("#id_password", USER_PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url("**/studio/")
