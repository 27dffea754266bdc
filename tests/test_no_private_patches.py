"""No test patches a private name: a test that needs to change how the app behaves goes
through a setting, a public function or a fixture, so that renaming an internal never
breaks a test that still passes for the wrong reason (issue 13)."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).parent


def _private(dotted: str) -> bool:
    return any(part.startswith("_") and not part.startswith("__") for part in dotted.split("."))


def _patched_names(call: ast.Call) -> list[str]:
    """The names a monkeypatch.setattr/delattr, mock.patch or patch.object call replaces."""
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    strings = [
        a.value for a in call.args if isinstance(a, ast.Constant) and isinstance(a.value, str)
    ]
    if name in ("setattr", "delattr", "object") and strings:
        return strings[:1]
    if name == "patch" and strings:
        return strings[:1]
    return []


def test_no_test_patches_a_private_name():
    found = []
    for path in sorted(TESTS.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                found += [
                    f"{path.relative_to(TESTS)}:{node.lineno} {name}"
                    for name in _patched_names(node)
                    if _private(name)
                ]
    assert not found, "patch a public seam instead: " + ", ".join(found)
