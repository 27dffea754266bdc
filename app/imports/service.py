"""CSV imports: queueing an uploaded file as a job, and reading a job's progress.

The upload itself is streamed to disk by `app.imports.upload`; the work is done in the
background by `app.imports.worker`. A job belongs to the member that uploaded it: only
that member's users and keys see it, everyone else gets 404. How a file is read (its
column names, its date order) comes with the upload or from the member's saved mapping;
a dry run reads and checks a file in a transaction that is always rolled back.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session
from sqlmodel import select

from app.audit import service as audit
from app.auth.principal import Principal
from app.core.config import get_settings
from app.core.db import database
from app.core.errors import NotFound, ValidationFailed, field_error
from app.core.pagination import PageParams, paginate
from app.core.types import utcnow
from app.experiences.ingest import group_currency, ingest
from app.imports.csvfile import (
    DEFAULT_DATE_FORMAT,
    ImportOptions,
    check_options,
    read_chunk,
    read_header,
)
from app.imports.models import ImportJob, ImportMapping
from app.imports.upload import ReceivedFile
from app.tenancy.session import bind_session

MAX_ERRORS = 100  # the first refused lines a job or a dry run reports
DRY_RUN_MAX_ROWS = 10_000
_DRY_RUN_CHUNK = 1_000


def upload_dir() -> Path:
    return Path(get_settings().data_dir) / "imports"


def upload_path(job_id: str) -> Path:
    return upload_dir() / f"{job_id}.csv"


def upload_options(
    session: Session, principal: Principal, mapping: str | None, date_format: str | None
) -> ImportOptions:
    """How to read an upload: its `?mapping=` (a JSON object) and `?date_format=`, each
    else the member's saved one, else the API's own columns and ISO dates. 422 when
    either does not fit."""
    saved = get_mapping(session, principal)
    if mapping is None:
        columns: Any = saved.columns if saved else {}
    else:
        try:
            columns = json.loads(mapping)
        except ValueError:
            msg = 'must be a JSON object, e.g. {"Invoice Date": "as_of"}'
            raise ValidationFailed(
                f"mapping {msg}", errors=[field_error(["query", "mapping"], msg)]
            ) from None
    if date_format is None and saved is not None:
        date_format = saved.date_format
    return check_options(columns, date_format)


def check_file(received: ReceivedFile, options: ImportOptions | None = None) -> None:
    """Refuse (422) a file whose header does not fit or that has no rows; the file is
    removed and nothing is queued."""
    try:
        read_header(received.path, options)
    except ValidationFailed:
        received.path.unlink(missing_ok=True)
        raise


def _stored_options(options: ImportOptions | None) -> dict[str, Any] | None:
    if options is None or options == ImportOptions():
        return None
    return {"columns": options.columns, "date_format": options.date_format}


def queue(
    session: Session,
    principal: Principal,
    job_id: str,
    received: ReceivedFile,
    options: ImportOptions | None = None,
) -> ImportJob:
    """Queue a checked upload as a job of the caller's member."""
    job = ImportJob(
        id=job_id,
        group_id=principal.group_id,
        member_id=principal.member_id,
        created_by=principal.id,
        status="queued",
        file_path=str(received.path),
        file_sha256=received.sha256,
        # Physical lines but the header: exact for ordinary files, final once done.
        rows_total=max(received.lines - 1, 0),
        options=_stored_options(options),
    )
    session.add(job)
    _remove_on_rollback(session, received.path)
    audit.record(
        session,
        principal,
        "import.queued",
        audit.resource("import", job.id),
        {
            "filename": received.filename,
            "bytes": received.size,
            "sha256": received.sha256,
            "rows_total": job.rows_total,
        },
    )
    return job


def _remove_on_rollback(session: Session, path: Path) -> None:
    """The file goes if the job is never committed: its transaction is rolled back (a
    failed commit, the database away) instead of leaving an orphan behind."""
    committed = False

    def remove(rolled_back: Session, _previous) -> None:
        if not committed and not rolled_back.in_transaction():  # not a savepoint's
            path.unlink(missing_ok=True)

    def keep(_session: Session) -> None:
        nonlocal committed
        committed = True

    event.listen(session, "after_soft_rollback", remove)
    event.listen(session, "after_commit", keep)


def get(session: Session, principal: Principal, job_id: str) -> ImportJob:
    """A job of the caller's own member, else NotFound (whoever else asks)."""
    job = session.execute(
        select(ImportJob).where(ImportJob.id == job_id, ImportJob.member_id == principal.member_id)
    ).scalar_one_or_none()
    if job is None or principal.member_id is None:
        raise NotFound("No such import.")
    return job


def list_jobs(
    session: Session, principal: Principal, params: PageParams
) -> tuple[list[ImportJob], str | None]:
    """The caller's member's imports, newest first."""
    if principal.member_id is None:
        return [], None
    stmt = select(ImportJob).where(ImportJob.member_id == principal.member_id)
    return paginate(session, stmt, [ImportJob.created_at, ImportJob.id], params, descending=True)


@dataclass
class DryRun:
    """What an import of the file would do, found without storing anything."""

    rows_checked: int = 0
    created: int = 0
    updated: int = 0
    rejected: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    complete: bool = True  # False: the file has more than DRY_RUN_MAX_ROWS rows


def dry_run(principal: Principal, received: ReceivedFile, options: ImportOptions) -> DryRun:
    """Read and check the file's rows (the first DRY_RUN_MAX_ROWS) as an import would,
    clients resolved and lines upserted, in a transaction that is always rolled back;
    the file is removed. Its own session, never committed: nothing it does reaches the
    request's transaction (services only flush)."""
    report = DryRun()
    try:
        header = read_header(received.path, options)
        with database().request_session(write=True) as session:
            bind_session(session, principal.group_id)
            try:
                _check_rows(session, principal, received.path, header, report)
            finally:
                session.rollback()
    finally:
        received.path.unlink(missing_ok=True)
    return report


def _check_rows(session: Session, principal: Principal, path: Path, header, report: DryRun):
    currency = group_currency(session, principal.group_id)
    offset, line = header.data_offset, 2
    while True:
        room = DRY_RUN_MAX_ROWS - report.rows_checked
        chunk = read_chunk(path, header, offset, line, min(_DRY_RUN_CHUNK, room), currency)
        records = chunk.records
        items = [r.item for r in records if r.item is not None]
        lines = [r.line for r in records if r.item is not None]
        refused = [{"line": r.line, "errors": r.errors} for r in records if r.item is None]
        result = ingest(session, principal, items)
        refused += [{"line": lines[e["index"]], "errors": e["errors"]} for e in result.errors]
        report.rows_checked += len(records)
        report.created += result.created
        report.updated += result.updated
        report.rejected += len(refused)
        refused.sort(key=lambda e: e["line"])
        report.errors += refused[: max(0, MAX_ERRORS - len(report.errors))]
        offset, line = chunk.next_offset, chunk.next_line
        if chunk.at_end:
            return
        if report.rows_checked >= DRY_RUN_MAX_ROWS:
            more = read_chunk(path, header, offset, line, 1, currency)
            report.complete = not more.records
            return


def get_mapping(session: Session, principal: Principal) -> ImportMapping | None:
    """The caller's member's saved mapping, if any."""
    if principal.member_id is None:
        return None
    return session.execute(
        select(ImportMapping).where(ImportMapping.member_id == principal.member_id)
    ).scalar_one_or_none()


def save_mapping(
    session: Session, principal: Principal, columns: Any, date_format: str | None
) -> ImportMapping:
    """Save (or replace) the member's mapping, checked as an upload's would be."""
    options = check_options(columns, date_format or DEFAULT_DATE_FORMAT)
    mapping = get_mapping(session, principal)
    if mapping is None:
        mapping = ImportMapping(group_id=principal.group_id, member_id=principal.member_id)
        session.add(mapping)
    mapping.columns = options.columns
    mapping.date_format = options.date_format
    mapping.updated_by = principal.id
    mapping.updated_at = utcnow()
    audit.record(
        session,
        principal,
        "import.mapping_saved",
        f"member/{principal.member_id}",
        {"columns": options.columns, "date_format": options.date_format},
    )
    session.flush()
    return mapping


def delete_mapping(session: Session, principal: Principal) -> None:
    mapping = get_mapping(session, principal)
    if mapping is None:
        raise NotFound("Your member has no saved import mapping.")
    session.delete(mapping)
    audit.record(session, principal, "import.mapping_deleted", f"member/{principal.member_id}")
    session.flush()
