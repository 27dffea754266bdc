"""Screenshots of the console's main pages into docs/console/, from a fresh demo.

    .venv/bin/python -m tests.web.screenshots   (or: make screenshots)

Runs `creditpool migrate`, `creditpool demo` and `creditpool serve` on a throwaway SQLite
database and a free loopback port, then drives Debian's Chromium through Playwright.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright

from tests.served import free_port
from tests.web.conftest import CHROMIUM

OUT = Path(__file__).resolve().parents[2] / "docs" / "console"
PASSWORD = "demo-password-2026"
ANALYST = "northwind.analyst@creditpool.demo"
MEMBER_ADMIN = "northwind.admin@creditpool.demo"
GROUP_ADMIN = "groupadmin@creditpool.demo"
CSV = (
    b"customer_ref,legal_name,country,as_of,currency,terms_days,high_credit,total_owed,"
    b"current,past_due_1_30,past_due_31_60,past_due_61_90,past_due_over_90\n"
    b",Summit Ridge Construction LLC,US,{d},USD,30,50000,12000,12000,0,0,0,0\n"
    b",Keystone Remodeling Co,US,{d},USD,30,30000,9000,3000,3000,2000,1000,0\n"
    b",Lakeshore Homes Inc,US,{d},USD,30,20000,5000,1000,1000,1000,1000,900\n"
)


def _server(workdir: Path, port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "ENVIRONMENT": "development",
        "DATABASE_URL": f"sqlite:///{workdir / 'demo.db'}",
        "DATA_DIR": str(workdir / "data"),
        "LOG_LEVEL": "WARNING",
    }
    bin_dir = Path(sys.executable).parent
    creditpool = str(bin_dir / "creditpool")
    subprocess.run([creditpool, "migrate"], env=env, check=True, capture_output=True)
    subprocess.run([creditpool, "demo"], env=env, check=True, capture_output=True)
    server = subprocess.Popen(
        [creditpool, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.3)
    server.kill()
    raise RuntimeError("the demo server did not start")


def _sign_in(page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")


def _shot(page, name: str, full_page: bool = True) -> None:
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=full_page)
    print(f"docs/console/{name}.png")


def _client(page, query: str, name: str) -> str:
    page.goto(f"/clients?q={query}")
    page.get_by_role("link", name=name).click()
    page.wait_for_url("**/clients/*")
    return page.url


def shoot(base_url: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        desktop = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900})
        phone = browser.new_context(
            base_url=base_url, viewport={"width": 360, "height": 740}, is_mobile=True
        )
        page = desktop.new_page()
        page.goto("/login")
        _shot(page, "login", full_page=False)
        _sign_in(page, ANALYST)
        _shot(page, "dashboard")
        page.goto("/clients?q=homes")
        _shot(page, "clients-search", full_page=False)
        lakeshore = _client(page, "lakeshore", "Lakeshore Homes Inc")
        _shot(page, "client-profile")
        page.emulate_media(media="print")
        _shot(page, "client-profile-print")
        page.emulate_media(media="screen")
        _client(page, "cedar", "Cedar & Main Contractors LLC")
        _shot(page, "client-suppressed")
        page.goto("/alerts")
        _shot(page, "alerts")
        page.goto("/imports")
        today = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 86400))
        page.get_by_label("CSV file").set_input_files(
            files=[
                {
                    "name": "aging.csv",
                    "mimeType": "text/csv",
                    "buffer": CSV.replace(b"{d}", today.encode()),
                }
            ]
        )
        page.get_by_role("button", name="Upload").click()
        page.wait_for_url("**/imports/*")
        page.locator("#import-status").filter(has_text="done").wait_for(timeout=30_000)
        _shot(page, "import-done")
        for path, name in (("/portfolio", "portfolio"), ("/meetings", "meetings"),
                           ("/polls", "polls"), ("/benchmarks", "benchmarks"),
                           ("/nope", "not-found")):  # fmt: skip
            page.goto(path)
            _shot(page, name)

        admin = desktop.new_page()
        _sign_in(admin, GROUP_ADMIN)
        for path, name in (("/moderation", "moderation"), ("/members", "members"),
                           ("/settings", "settings"), ("/audit", "audit")):  # fmt: skip
            admin.goto(path)
            _shot(admin, name, full_page=name != "audit")

        keys = desktop.new_page()
        _sign_in(keys, MEMBER_ADMIN)
        keys.goto("/api-keys")
        _shot(keys, "api-keys")

        small = phone.new_page()
        _sign_in(small, ANALYST)
        _shot(small, "phone-dashboard")
        small.goto(lakeshore.replace(base_url, ""))
        _shot(small, "phone-client-profile")
        small.goto("/portfolio")
        _shot(small, "phone-portfolio")
        browser.close()


def main() -> None:
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="creditpool-shots-") as workdir:
        server = _server(Path(workdir), port)
        try:
            shoot(f"http://127.0.0.1:{port}")
        finally:
            server.terminate()
            server.wait(10)


if __name__ == "__main__":
    main()
