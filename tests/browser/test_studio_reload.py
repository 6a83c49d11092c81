"""A reload during a generation keeps the input and the running job (issue 20): the studio
restores this tab's input and follows the job it had started to its result."""

from __future__ import annotations

from typing import Any

import pytest

from chartbusters.studio.models import Composition, GenerationJob
from tests.browser.helpers import TECHNIQUES, log_in, result_composition
from tests.chartbusters.conftest import purge_queues
from tests.worker import celery_worker

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.worker
def test_a_reload_during_a_generation_keeps_the_input_and_the_job(
    live_server: Any, page: Any
) -> None:
    purge_queues()  # the job must wait for the worker this test starts, no other
    log_in(page, live_server.url, "reloader")
    card = page.locator(".sample-card").first
    title = card.locator(".sample-title").inner_text()
    card.locator("[data-action=use]").click()
    page.locator("#input-current").wait_for()
    page.get_by_role("tab", name=TECHNIQUES["transformer"]).click()
    page.get_by_label("Extension duration").fill("6")
    page.get_by_role("button", name="Generate").click()
    # No worker runs yet: the job is queued, and stays so across the reload.
    page.wait_for_function("() => document.querySelector('#job').dataset.state === 'queued'"
                           " && document.querySelector('[data-job=message]').textContent"
                           " !== 'Sending…'")  # fmt: skip
    job = GenerationJob.objects.get()

    page.reload()
    page.locator("#input-current").wait_for()
    page.locator("#job").wait_for()  # shown once the page has found the job again
    assert page.locator("#input-title").inner_text() == title
    assert (
        page.get_by_role("tab", name=TECHNIQUES["transformer"]).get_attribute("aria-selected")
        == "true"
    )
    assert page.get_by_label("Extension duration").input_value() == "6"
    assert page.locator("#job").is_visible()
    assert page.locator("#job").get_attribute("data-state") == "queued"
    assert page.get_by_role("button", name="Generate").is_disabled()

    with celery_worker(queues="generation,celery", concurrency=1, OMP_NUM_THREADS="1"):
        page.wait_for_function(
            "() => ['done', 'failed'].includes(document.querySelector('#job').dataset.state)"
            " && !document.querySelector('#result').hidden",
            timeout=90_000,
        )
    assert page.locator("#job").get_attribute("data-state") == "done"
    job.refresh_from_db()
    assert result_composition(page) == job.result
    assert GenerationJob.objects.count() == 1  # followed, not started again
    assert page.get_by_role("button", name="Generate").is_enabled()


def test_a_reload_after_the_input_was_deleted_starts_afresh(live_server: Any, page: Any) -> None:
    log_in(page, live_server.url, "tidier")
    page.locator(".sample-card [data-action=use]").first.click()
    page.locator("#input-current").wait_for()
    Composition.objects.all().delete()  # deleted elsewhere (another tab, the list page)

    page.reload()
    page.wait_for_load_state("networkidle")
    assert page.locator("#input-current").is_hidden()
    assert page.locator("#input-error").is_hidden()
    assert page.evaluate("sessionStorage.getItem('chartbusters:studio')") == "{}"
