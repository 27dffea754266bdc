"""/v1/imports: CSV uploads of payment experiences, worked through in the background."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from app.auth.principal import Principal
from app.core.pagination import Page
from app.core.types import new_id
from app.deps import PageDep, SessionDep, require, require_member
from app.imports import service, upload
from app.imports.csvfile import COLUMNS, REQUIRED_COLUMNS
from app.imports.schemas import ImportAccepted, ImportJobOut

router = APIRouter(prefix="/v1/imports", tags=["imports"])

_UPLOAD_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {
                    "file": {
                        "type": "string",
                        "format": "binary",
                        "description": (
                            "A CSV file (UTF-8), header line first. Columns: "
                            + ", ".join(COLUMNS)
                            + ". Required: "
                            + ", ".join(REQUIRED_COLUMNS)
                            + ", and the client as client_id, customer_ref, or legal_name "
                            "with country. `comments`: codes separated by ; or |."
                        ),
                    }
                },
            }
        }
    },
}

Importer = Annotated[Principal, Depends(require_member("imports:write"))]
# Reading: a group admin (no member) is let through and simply finds no job of its own.
Reader = Annotated[Principal, Depends(require("imports:write"))]


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ImportAccepted,
    openapi_extra={"requestBody": _UPLOAD_BODY},
    responses={415: {"description": "Not multipart/form-data"}},
)
async def upload_import(request: Request, principal: Importer, session: SessionDep):
    """Upload a CSV of payment experiences (any size: it is streamed to disk). The rows
    are stored in the background; follow the job on `GET /v1/imports/{id}`."""
    # Authentication read the database: end that transaction before the (maybe long)
    # upload, so that no lock or connection is held while the bytes arrive.
    await run_in_threadpool(session.rollback)
    job_id = new_id()
    try:
        received = await upload.receive(
            request.headers.get("content-type"), request.stream(), service.upload_path(job_id)
        )
    except upload.UnsupportedUpload as exc:
        raise HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, str(exc)) from None
    await run_in_threadpool(service.check_file, received)
    job = await run_in_threadpool(service.queue, session, principal, job_id, received)
    request.app.state.worker.wake()
    body = ImportAccepted(id=job.id, status=job.status)
    return JSONResponse(
        body.model_dump(),
        status_code=status.HTTP_202_ACCEPTED,
        headers={"Location": f"/v1/imports/{job.id}"},
    )


@router.get("", response_model=Page[ImportJobOut])
def list_imports(principal: Reader, session: SessionDep, page: PageDep) -> Page[ImportJobOut]:
    """Your member's imports, newest first."""
    rows, cursor = service.list_jobs(session, principal, page)
    return Page(items=[ImportJobOut.model_validate(j) for j in rows], next_cursor=cursor)


@router.get("/{import_id}", response_model=ImportJobOut)
def get_import(import_id: str, principal: Reader, session: SessionDep) -> ImportJobOut:
    """A job's progress and its first 100 refused lines. Only the importing member
    sees its jobs."""
    return ImportJobOut.model_validate(service.get(session, principal, import_id))
