"""Background work inside the served process: a thread that runs registered tasks.

Each task is a function `task() -> int` that does one bounded slice of work (claiming
it safely against other processes) and returns how much it did; the loop sleeps only
when a whole round found nothing to do. Several processes may run the loop against one
PostgreSQL database: tasks claim work with `FOR UPDATE SKIP LOCKED` or an equivalent
conditional UPDATE, so each job is done once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger("creditpool.worker")

Task = Callable[[], int]


class Worker:
    def __init__(self, tasks: list[Task], poll_seconds: float = 1.0):
        self.tasks = tasks
        self.poll_seconds = poll_seconds
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> int:
        """One round over every task; returns the work done. Tests call this directly."""
        done = 0
        for task in self.tasks:
            try:
                done += task() or 0
            except Exception:
                log.exception("background task failed", extra={"task": task.__qualname__})
        return done

    def wake(self) -> None:
        """Ask for a round now (new work was queued by this process)."""
        self._wake.set()

    def start(self) -> None:
        if self._thread and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="creditpool-worker", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.is_set():
            if self.run_once() == 0:
                self._wake.wait(self.poll_seconds)
                self._wake.clear()
