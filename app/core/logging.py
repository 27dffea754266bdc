"""Structured (JSON) logs carrying the request id of the request being served."""

from __future__ import annotations

import json
import logging
import sys
import time
import uuid
from contextvars import ContextVar

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")

_RESERVED = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or request_id_var.get(),
        }
        for key, value in record.__dict__.items():
            if key not in _RESERVED and key not in entry:
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def _stamp_request_id() -> None:
    """Every log record made while a request is served carries its id, taken when the
    record is made (not when a handler formats it, possibly later, elsewhere)."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "_creditpool", False):
        return

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        record.request_id = request_id_var.get()
        return record

    factory._creditpool = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


def configure(level: str = "INFO", as_json: bool = True) -> None:
    _stamp_request_id()
    root = logging.getLogger("creditpool")
    root.setLevel(level)
    if not any(getattr(h, "_creditpool", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler._creditpool = True  # type: ignore[attr-defined]
        handler.setFormatter(
            JsonFormatter()
            if as_json
            else logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S")
        )
        root.addHandler(handler)
        root.propagate = False


def new_request_id(incoming: str | None) -> str:
    # Accept a caller's id when it is reasonable, so that logs can be joined across systems.
    if incoming and len(incoming) <= 128 and incoming.isprintable():
        return incoming
    return uuid.uuid4().hex
