"""Browser tests: Debian's Chromium driven by Playwright against pytest-django's live server,
with a real Celery worker on the test database (a file, for SQLite; see settings.py).

Playwright cannot download browsers here, so it launches ``/usr/bin/chromium`` (or
``CHROMIUM``). Set ``SCREENSHOTS_DIR`` to save the main screens as PNGs (docs/screenshots).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache

from tests.worker import celery_worker

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--autoplay-policy=no-user-gesture-required", "--mute-audio"]  # fmt: skip
PASSWORD = "a-long-browser-password-42"

sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium for one test module. Playwright's sync API runs an event loop in this
    thread while it is open; the ORM calls the tests make between browser steps are still
    plain synchronous code, so async safety is off exactly as long as the loop runs (not
    for the rest of the session, where it leaked into other tests and subprocesses)."""
    if not shutil.which(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM}")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()


# Every page reports what the Content-Security-Policy blocked on the console, where the
# tests collect it (Chromium also logs its own "Refused to ..." line for each).
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline"}`
    + ` in ${event.sourceFile || document.location.pathname}:${event.lineNumber}`);
});
"""


def _is_csp_violation(text: str) -> bool:
    return text.startswith("CSP violation") or "Content Security Policy" in text


def new_page(browser: Any, width: int = 1280, height: int = 900) -> Any:
    """A page in a fresh context; ``page.js_errors`` and ``page.csp_violations`` collect
    uncaught errors and everything the Content-Security-Policy refused."""
    context = browser.new_context(viewport={"width": width, "height": height},
                                  accept_downloads=True, device_scale_factor=1)  # fmt: skip
    context.set_default_timeout(20_000)
    context.add_init_script(REPORT_CSP_VIOLATIONS)
    page = context.new_page()
    errors: list[str] = []
    violations: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: (
        violations.append(f"{page.url}: {message.text}") if _is_csp_violation(message.text)
        else None
    ))  # fmt: skip
    page.js_errors = errors
    page.csp_violations = violations
    return page


def assert_clean(page: Any) -> None:
    """No uncaught JavaScript error and nothing refused by the Content-Security-Policy."""
    assert not page.js_errors, f"JavaScript errors: {page.js_errors}"
    assert not page.csp_violations, "CSP violations:\n" + "\n".join(page.csp_violations)


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    page = new_page(browser)
    yield page
    page.context.close()
    assert_clean(page)


@pytest.fixture(autouse=True)
def _browser_settings(settings: Any) -> Iterator[None]:
    """Fast password hashing and fresh throttle counters for every test."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def worker(transactional_db: None) -> Iterator[None]:
    """One real worker on every queue, as the embedded setup runs it."""
    with celery_worker(queues="generation,evaluation,celery,audio", concurrency=1,
                       OMP_NUM_THREADS="1"):  # fmt: skip
        yield


def screenshot(target: Any, name: str, full_page: bool = False) -> None:
    """Save a PNG of a page or an element when SCREENSHOTS_DIR is set (else nothing),
    reduced to 256 colours so the committed files stay small."""
    folder = os.environ.get("SCREENSHOTS_DIR")
    if not folder:
        return
    from PIL import Image

    Path(folder).mkdir(parents=True, exist_ok=True)
    path = Path(folder) / f"{name}.png"
    if hasattr(target, "goto"):  # a page
        target.screenshot(path=str(path), full_page=full_page, animations="disabled")
    else:  # a locator
        target.scroll_into_view_if_needed()
        target.screenshot(path=str(path), animations="disabled")
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)
