"""Console fixtures: the app served over real HTTP on a loopback port, and a headless
Chromium (Debian's, through Playwright) driving it.

Browser tests are skipped, with the reason printed, only when no Chromium can be found;
.ci/run installs it (`apt-get install -y chromium`).
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
AXE = Path(__file__).parent / "vendor" / "axe-4.14.1.min.js"


@pytest.fixture(scope="session")
def console_url(api, app):
    """The same app (and database) as `api`, served by uvicorn in a thread."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, lifespan="off", log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the console server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture(scope="session")
def chromium():
    if not os.path.exists(CHROMIUM):
        pytest.skip(
            f"no Chromium at {CHROMIUM}: install it (apt-get install -y chromium) "
            "or set CHROMIUM_PATH to run the browser tests"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, console_url):
    # bypass_csp: axe-core is injected as an inline script, which the console's CSP refuses.
    context = chromium.new_context(
        base_url=console_url, viewport={"width": 1280, "height": 900}, bypass_csp=True
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def phone(chromium, console_url):
    """A 360 px wide screen."""
    context = chromium.new_context(
        base_url=console_url,
        viewport={"width": 360, "height": 740},
        is_mobile=True,
        bypass_csp=True,
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()
