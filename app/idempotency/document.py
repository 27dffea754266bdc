"""The `Idempotency-Key` header in the OpenAPI document, on every operation it applies to.

Every POST under /v1 but the token endpoint takes the header (app.idempotency.route; the
import upload claims with its file's digest); declaring it route by route was forgotten on all
but three. This amendment of the generated document declares it wherever it applies,
including on routes added later, with the `Idempotent-Replayed` header of a replay.
"""

from __future__ import annotations

from typing import Any

from app.idempotency import service

# The token endpoint takes no Idempotency-Key (app.idempotency.route).
SKIPPED_PATHS = ("/v1/auth/token",)

PARAMETER: dict[str, Any] = {
    "name": service.HEADER,
    "in": "header",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": service.MAX_KEY_LENGTH},
    "description": (
        "Optional; a UUID is a good choice. The same key with the same body within 24 h "
        "replays the first response (header `Idempotent-Replayed: true`) and stores nothing "
        "new; the same key with another body is 409 `idempotency_key_reused`."
    ),
}
REPLAYED: dict[str, Any] = {
    "description": "`true` when this is the replay of an earlier response with the same key.",
    "schema": {"type": "string", "enum": ["true"]},
}


def applies_to(method: str, path: str) -> bool:
    return method.lower() == "post" and path.startswith("/v1/") and path not in SKIPPED_PATHS


def declare_header(schema: dict[str, Any]) -> dict[str, Any]:
    """Declare the header on every operation it applies to (in place)."""
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or not applies_to(method, path):
                continue
            parameters = operation.setdefault("parameters", [])
            named = [p for p in parameters if p.get("in") == "header"]
            if not any(p.get("name", "").lower() == service.HEADER.lower() for p in named):
                parameters.append(dict(PARAMETER))
            for status, response in operation.get("responses", {}).items():
                if status.startswith("2"):
                    response.setdefault("headers", {})[service.REPLAYED_HEADER] = REPLAYED
    return schema
