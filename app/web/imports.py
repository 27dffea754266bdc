"""/imports: upload a CSV of payment experiences, follow it live, read its refused lines."""

from __future__ import annotations

from typing import Annotated

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from app.auth.principal import Principal
from app.core.errors import ValidationFailed, field_error
from app.core.pagination import PageParams
from app.core.types import new_id
from app.deps import SessionDep
from app.imports import service, upload
from app.imports.csvfile import COLUMNS, REQUIRED_COLUMNS
from app.imports.schemas import ImportJobOut
from app.web.pages import redirect, render, router_for
from app.web.session import may

router = router_for()

Importer = Annotated[Principal, may("imports:write", member=True)]


@router.get("/imports")
def imports_page(request: Request, principal: Importer, session: SessionDep):
    jobs, _ = service.list_jobs(session, principal, PageParams(limit=20))
    return render(
        request,
        "imports.html",
        {
            "jobs": [ImportJobOut.model_validate(j) for j in jobs],
            "columns": COLUMNS,
            "required": REQUIRED_COLUMNS,
        },
    )


@router.post("/imports")
async def upload_csv(request: Request, principal: Importer, session: SessionDep):
    """The same checks and queue as `POST /v1/imports`; the worker takes it from there."""
    # signed_in() read the form (and checked its CSRF token): the file is on disk already.
    form = await request.form()
    file = form.get("file")
    if not isinstance(file, UploadFile) or not file.filename:
        msg = "Choose a CSV file to upload."
        raise ValidationFailed(msg, errors=[field_error(["body", "CSV file"], msg, "missing")])
    job_id = new_id()
    received = await upload.save(file, service.upload_path(job_id))
    await run_in_threadpool(service.check_file, received)
    job = await run_in_threadpool(service.queue, session, principal, job_id, received)
    request.app.state.worker.wake()
    return redirect(f"/imports/{job.id}")


@router.get("/imports/{import_id}")
def import_page(request: Request, import_id: str, principal: Importer, session: SessionDep):
    job = ImportJobOut.model_validate(service.get(session, principal, import_id[:64]))
    block = "progress" if request.headers.get("hx-request") else None
    return render(request, "import.html", {"job": job}, block=block)
