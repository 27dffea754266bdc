"""`creditpool push`: upload a CSV to a creditpool server and follow the job to its end.

For members without an ERP integration. The file is streamed (never read whole into
memory), sent with an `Idempotency-Key` derived from its content so that running the
command again after a dropped connection does not import twice, then the job is
polled with a progress bar until it is done or failed.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

FINISHED = ("done", "failed")
SHOWN_ERRORS = 10


class _Watched:
    """A binary file whose reads move a progress bar (httpx reads it in chunks)."""

    def __init__(self, f, on_position):
        self._f = f
        self._on_position = on_position

    def read(self, size: int = -1) -> bytes:
        data = self._f.read(size)
        self._on_position(self._f.tell())
        return data

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._f.seek(offset, whence)

    def tell(self) -> int:
        return self._f.tell()

    def fileno(self) -> int:
        return self._f.fileno()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _problem(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}: {response.text[:300]}"
    lines = [f"HTTP {response.status_code} {body.get('code', '')}: {body.get('detail', '')}"]
    for error in body.get("errors") or []:
        where = ".".join(str(p) for p in error.get("loc", []))
        lines.append(f"  {where}: {error.get('msg')}")
    return "\n".join(lines)


def push(
    path: Path,
    base_url: str,
    api_key: str,
    *,
    idempotency_key: str | None = None,
    poll_seconds: float = 1.0,
    console: Console | None = None,
    transport: httpx.BaseTransport | None = None,
    strict: bool = False,
    options: dict[str, str] | None = None,
) -> int:
    """Upload `path`, follow the job, print the summary; returns the exit code: 0 done,
    1 when the file was refused, the import failed, the server could not be reached, every
    row was refused, or (`strict`) any row was. `options`: the upload's query
    (`date_format`, `mapping`, `dry_run`)."""
    console = console or Console()
    key = idempotency_key or f"push-{file_sha256(path)}"
    size = path.stat().st_size
    client = httpx.Client(
        base_url=base_url.rstrip("/"),
        headers={"X-API-Key": api_key, "User-Agent": "creditpool-push"},
        timeout=httpx.Timeout(30.0, read=600.0),
        transport=transport,
    )
    try:
        with client:
            job = _upload(client, console, path, size, key, options or {})
            if job is None:
                return 1
            if job.get("dry_run"):
                console.print("[yellow]dry run: nothing was stored[/yellow]")
                job = {**job, "id": "(dry run)", "status": "done", "rows_done": job["rows_checked"]}
            else:
                job = _follow(client, console, job["id"], poll_seconds)
    except httpx.HTTPError as exc:
        console.print(f"[red]Could not reach {base_url}: {exc}[/red]")
        return 1
    if job is None:
        return 1
    _summary(console, job)
    if job["status"] != "done":
        return 1
    if job["rejected"] and not (job["created"] or job["updated"]):
        console.print(f"[red]Every row was refused ({job['rejected']:,}): nothing imported.[/red]")
        return 1
    if strict and job["rejected"]:
        console.print(f"[red]--strict: {job['rejected']:,} rows were refused.[/red]")
        return 1
    return 0


def _upload(
    client: httpx.Client,
    console: Console,
    path: Path,
    size: int,
    key: str,
    options: dict[str, str],
) -> dict[str, Any] | None:
    columns = (
        TextColumn("uploading {task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(path.name, total=size)
        with path.open("rb") as f:
            watched = _Watched(f, lambda pos: progress.update(task, completed=pos))
            response = client.post(
                "/v1/imports",
                files={"file": (path.name, watched, "text/csv")},
                headers={"Idempotency-Key": key},
                params=options,
            )
    if response.status_code == 200 and options.get("dry_run") == "true":
        return response.json()
    if response.status_code != 202:
        console.print(f"[red]The server refused the file.[/red]\n{_problem(response)}")
        return None
    job = response.json()
    replayed = response.headers.get("Idempotent-Replayed") == "true"
    note = " (already uploaded: following the first import)" if replayed else ""
    console.print(f"uploaded {path.name} ({size:,} bytes): import {job['id']}{note}")
    return job


def _follow(
    client: httpx.Client, console: Console, job_id: str, poll_seconds: float
) -> dict[str, Any] | None:
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("queued", total=None)
        while True:
            response = client.get(f"/v1/imports/{job_id}")
            if response.status_code != 200:
                console.print(f"[red]Could not read the import.[/red]\n{_problem(response)}")
                return None
            job = response.json()
            progress.update(
                task,
                description=job["status"],
                completed=job["rows_done"],
                total=job.get("rows_total"),
            )
            if job["status"] in FINISHED:
                return job
            time.sleep(poll_seconds)


def _summary(console: Console, job: dict[str, Any]) -> None:
    colour = "green" if job["status"] == "done" else "red"
    console.print(f"[{colour}]import {job['id']}: {job['status']}[/{colour}]")
    if job.get("failure"):
        console.print(f"[red]{job['failure']}[/red]")
    table = Table(show_header=True)
    for name in ("rows", "created", "updated", "rejected"):
        table.add_column(name, justify="right")
    table.add_row(
        *(f"{job[k]:,}" for k in ("rows_done", "created", "updated", "rejected")),
    )
    console.print(table)
    errors = job.get("errors") or []
    if errors:
        console.print(
            f"first refused lines ({min(len(errors), SHOWN_ERRORS)} of {job['rejected']:,}):"
        )
        for error in errors[:SHOWN_ERRORS]:
            reasons = "; ".join(
                f"{'.'.join(str(p) for p in e.get('loc', [])) or 'line'}: {e.get('msg')}"
                for e in error["errors"]
            )
            console.print(f"  line {error['line']}: {reasons}")
