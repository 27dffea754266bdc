"""What a person does in the console, as Playwright steps; and the accessibility check."""

from __future__ import annotations

from tests.web.conftest import AXE
from tests.world import PASSWORD


def sign_in(page, email: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def serious_violations(page) -> list[dict]:
    """axe-core's serious and critical findings on the page as it is now."""
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def assert_accessible(page) -> None:
    found = serious_violations(page)
    assert not found, f"{page.url}: {found}"


def fits(page) -> None:
    """Nothing wider than the screen (tables scroll inside their own box)."""
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    if overflow > 1:
        widest = page.evaluate(
            """() => [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > innerWidth + 1)
                .slice(0, 5)
                .map(e => e.tagName + '.' + e.className + ' ' + e.textContent.slice(0, 40))"""
        )
        raise AssertionError(f"{page.url} is {overflow}px wider than the screen: {widest}")
