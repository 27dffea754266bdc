"""CSV imports: queueing an uploaded file as a job, and reading a job's progress.

The upload itself is streamed to disk by `app.imports.upload`; the work is done in the
background by `app.imports.worker`. A job belongs to the member that uploaded it: only
that member's users and keys see it, everyone else gets 404.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session
from sqlmodel import select

from app.audit import service as audit
from app.auth.principal import Principal
from app.core.config import get_settings
from app.core.errors import NotFound, ValidationFailed
from app.core.pagination import PageParams, paginate
from app.imports.csvfile import read_header
from app.imports.models import ImportJob
from app.imports.upload import ReceivedFile


def upload_dir() -> Path:
    return Path(get_settings().data_dir) / "imports"


def upload_path(job_id: str) -> Path:
    return upload_dir() / f"{job_id}.csv"


def check_file(received: ReceivedFile) -> None:
    """Refuse (422) a file whose header does not fit or that has no rows; the file is
    removed and nothing is queued."""
    try:
        read_header(received.path)
    except ValidationFailed:
        received.path.unlink(missing_ok=True)
        raise


def queue(session: Session, principal: Principal, job_id: str, received: ReceivedFile) -> ImportJob:
    """Queue a checked upload as a job of the caller's member; commits."""
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
    )
    session.add(job)
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
    session.commit()
    return job


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
