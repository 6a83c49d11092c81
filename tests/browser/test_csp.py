"""The admin, the API docs and the browsable API under the Content-Security-Policy, in a
real browser: every page loads and works with nothing refused (the studio's flows in
test_studio.py fail on a violation too, through the same ``page`` fixture)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.urls import NoReverseMatch, reverse

from chartbusters.challenges.models import Challenge
from tests.browser.conftest import assert_clean, new_page
from tests.chartbusters.builders import make_challenge
from tests.chartbusters.conftest import PASSWORD, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
INLINE_SCRIPT = "<p>probe</p><script>document.title = 'ran'</script>"


def test_the_page_fixture_reports_what_the_policy_refuses(live_server: Any, browser: Any) -> None:
    """The check below is real: a page with an inline script under the site's own header
    is reported (a stand-in page, served by the browser's router)."""
    page = new_page(browser)
    probe = f"{live_server.url}/csp-probe"
    header = live_server_policy(page, live_server.url)
    page.route(probe, lambda route: route.fulfill(
        status=200, content_type="text/html", body=INLINE_SCRIPT,
        headers={"Content-Security-Policy": header},
    ))  # fmt: skip
    page.goto(probe)
    page.wait_for_function("() => true")
    assert page.title() != "ran"
    page.context.close()
    assert any("script-src" in v for v in page.csp_violations), page.csp_violations


def live_server_policy(page: Any, base: str) -> str:
    policy: str = page.request.get(f"{base}/accounts/login/").headers["content-security-policy"]
    assert "script-src 'self'" in policy
    return policy


def log_in_to_admin(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/admin/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/")


def admin_pages(challenge: Challenge) -> list[str]:
    """The index, every registered model's list and add page, and a challenge's form."""
    pages = ["/admin/", "/admin/password_change/"]
    for model in admin.site._registry:
        meta = model._meta
        for view in ("changelist", "add"):
            try:
                pages.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}"))
            except NoReverseMatch:
                continue
    pages.append(reverse("admin:challenges_challenge_change", args=[challenge.pk]))
    return pages


def test_the_admin_works_under_the_policy(live_server: Any, page: Any) -> None:
    root = make_user("root")
    type(root).objects.filter(pk=root.pk).update(is_staff=True, is_superuser=True)
    challenge = make_challenge("spring-canons")
    base = live_server.url
    log_in_to_admin(page, base, "root")
    for path in admin_pages(challenge):
        response = page.goto(base + path)
        assert response.status in (200, 403), (path, response.status)  # 403: read-only
        page.wait_for_load_state("load")
    # The scripts that do things: the calendar and clock widgets, the changelist's
    # select-all and action bar, and the filter sidebar's search.
    page.goto(f"{base}/admin/challenges/challenge/add/")
    page.locator("#id_starts_at_0").wait_for()
    page.locator(".datetimeshortcuts a", has_text="Today").first.click()
    assert page.input_value("#id_starts_at_0")
    page.locator("#calendarlink0").click()
    page.locator("#calendarbox0").wait_for(state="visible")
    page.goto(f"{base}/admin/challenges/challenge/")
    page.locator("#action-toggle").check()
    assert page.locator(".action-counter").inner_text().startswith("1 of 1")
    assert_clean(page)


def test_the_api_docs_and_the_browsable_api_work_under_the_policy(
    live_server: Any, page: Any
) -> None:
    make_challenge("spring-canons")
    page.goto(f"{live_server.url}/api/docs/")
    page.locator(".swagger-ui .info .title", has_text="Chartbusters API").wait_for()
    page.locator(".opblock-tag", has_text="challenges").first.wait_for()
    page.goto(f"{live_server.url}/api/challenges/")
    page.locator(".response-info", has_text="spring-canons").wait_for()
    assert_clean(page)
