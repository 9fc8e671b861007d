"""Real-browser fixtures: Debian's Chromium driven by Playwright against a live server.

Playwright's sync API is used directly (no pytest-playwright), with the system Chromium —
never a downloaded one. Each test gets its own threaded werkzeug server on a free port,
serving an app with CSRF on (a real browser posts real forms), and a ``Browsing`` helper whose
pages record console errors, uncaught page errors, CSP violations, failed requests and every
requested URL, so a test can end with ``browsing.assert_clean()``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
from werkzeug.serving import make_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# Chromium logs CSP violations as console errors already; listening for the DOM event as well
# keeps the check working should that console wording ever change.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI}`);
});
"""


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        # Fail, never skip: a missing browser must not turn the journeys silently green.
        pytest.fail(
            f"Chromium is missing at {CHROMIUM}; install it with "
            "`apt-get install -y chromium` (never `playwright install`).",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


def closing_first(app: Any) -> Any:
    """The app's response read whole and closed before werkzeug's server writes it.

    Werkzeug's development server closes a response's iterable only after draining the socket;
    when Chromium resets a connection it has given up on, that drain raises and the iterable
    (an open static file) is never closed: a ResourceWarning, an error here, in whichever test
    the collector next runs in. Nothing the browser tests load is streamed.
    """

    def buffered(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            if hasattr(body, "close"):
                body.close()

    return buffered


@dataclass
class LiveServer:
    app: Flask
    url: str


@pytest.fixture
def live_server(make_app: Any) -> Iterator[LiveServer]:
    # The port is known only once the socket is bound; PUBLIC_URL (used for links in mail)
    # is set to the real address before the first request arrives.
    app = make_app(WTF_CSRF_ENABLED=True, PUBLIC_URL="http://127.0.0.1")
    server = make_server("127.0.0.1", 0, closing_first(app), threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    app.config["PUBLIC_URL"] = url
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield LiveServer(app=app, url=url)
    # Stop serving before make_app's teardown empties the tables under it.
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@dataclass
class Browsing:
    """Fresh browser contexts (one per person) that share one record of what went wrong."""

    browser: Browser
    base_url: str
    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    contexts: list[BrowserContext] = field(default_factory=list)

    def new_page(self) -> Page:
        context = self.browser.new_context(base_url=self.base_url)
        context.set_default_timeout(5_000)
        context.add_init_script(REPORT_CSP_VIOLATIONS)
        context.on("request", lambda request: self.requests.append(request.url))
        context.on("requestfailed", self._request_failed)
        context.on("console", self._console)
        context.on("weberror", lambda error: self.console_errors.append(f"page: {error.error}"))
        self.contexts.append(context)
        return context.new_page()

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.console_errors.append(f"{message.text} ({message.location.get('url')})")

    def _request_failed(self, request: Any) -> None:
        # A load cut short by the next navigation (the favicon, typically) is no fault.
        if request.failure == "net::ERR_ABORTED":
            return
        self.console_errors.append(f"request failed: {request.url} ({request.failure})")

    def assert_clean(self) -> None:
        assert self.console_errors == [], "console errors or CSP violations in the browser"
        assert self.requests, "the browser made no requests at all"
        outside = [url for url in self.requests if urlsplit(url).hostname != "127.0.0.1"]
        assert outside == [], "the browser requested something outside 127.0.0.1"

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def browsing(browser: Browser, live_server: LiveServer) -> Iterator[Browsing]:
    session = Browsing(browser=browser, base_url=live_server.url)
    yield session
    # Contexts close (and drop their keep-alive connections) before the server stops.
    session.close()
