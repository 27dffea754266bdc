"""/v1/imports: CSV uploads of payment experiences, worked through in the background."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from app.auth.principal import Principal
from app.core.errors import NotFound
from app.core.pagination import Page
from app.core.schemas import QueryFlag
from app.core.types import new_id
from app.deps import PageDep, SessionDep, require, require_member
from app.idempotency.route import IdempotentRoute, IdempotentUpload
from app.imports import service, upload
from app.imports.csvfile import COLUMNS, REQUIRED_COLUMNS
from app.imports.schemas import (
    DateFormat,
    ImportAccepted,
    ImportDryRunOut,
    ImportJobOut,
    ImportMappingIn,
    ImportMappingOut,
)

router = APIRouter(route_class=IdempotentRoute, prefix="/v1/imports", tags=["imports"])
mapping_router = APIRouter(prefix="/v1/import-mapping", tags=["imports"])

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
    responses={
        200: {"model": ImportDryRunOut, "description": "dry_run=true: what would happen"},
        415: {"description": "Not multipart/form-data"},
    },
)
async def upload_import(
    request: Request,
    principal: Importer,
    session: SessionDep,
    idempotency: IdempotentUpload,
    date_format: Annotated[
        DateFormat | None,
        Query(description="How the file writes dates (default: your saved mapping's, else ISO)."),
    ] = None,
    mapping: Annotated[
        str | None,
        Query(
            max_length=20_000,
            description="A JSON object of the file's column names to the import's columns "
            '(null: leave it out), e.g. {"Invoice Date": "as_of"}; default: your saved '
            "mapping (PUT /v1/import-mapping).",
        ),
    ] = None,
    dry_run: Annotated[
        QueryFlag,
        Query(description="true: check the file (first 10,000 rows) and store nothing."),
    ] = False,
):
    """Upload a CSV of payment experiences (any size: it is streamed to disk). The rows
    are stored in the background; follow the job on `GET /v1/imports/{id}`. With
    `dry_run=true` the answer (200) says what the import would create, update and refuse,
    and nothing is stored. See docs/IMPORTS.md."""
    options = await run_in_threadpool(
        service.upload_options, session, principal, mapping, date_format
    )
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
    await run_in_threadpool(service.check_file, received, options)
    if dry_run:
        report = await run_in_threadpool(service.dry_run, principal, received, options)
        return JSONResponse(ImportDryRunOut(**vars(report)).model_dump(mode="json"))
    try:
        # Idempotency-Key: the same key with the same file (by its SHA-256) replays the
        # first answer and queues nothing; with another file it is 409.
        await idempotency.claim_upload(received.sha256.encode())
        job = await run_in_threadpool(service.queue, session, principal, job_id, received, options)
    except BaseException:
        received.path.unlink(missing_ok=True)
        raise
    return _accepted(request, job.id, job.status)


def _accepted(request: Request, job_id: str, job_status: str) -> JSONResponse:
    request.app.state.worker.wake()
    body = ImportAccepted(id=job_id, status=job_status)
    return JSONResponse(
        body.model_dump(),
        status_code=status.HTTP_202_ACCEPTED,
        headers={"Location": f"/v1/imports/{job_id}"},
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


@mapping_router.get("", response_model=ImportMappingOut)
def get_mapping(principal: Importer, session: SessionDep) -> ImportMappingOut:
    """Your member's saved import mapping (404 when none is saved)."""
    mapping = service.get_mapping(session, principal)
    if mapping is None:
        raise NotFound("Your member has no saved import mapping.")
    return ImportMappingOut.model_validate(mapping)


@mapping_router.put("", response_model=ImportMappingOut)
def save_mapping(body: ImportMappingIn, principal: Importer, session: SessionDep):
    """Save how your member's files are read; every later upload without its own
    `mapping` / `date_format` uses it."""
    mapping = service.save_mapping(session, principal, body.columns, body.date_format)
    return ImportMappingOut.model_validate(mapping)


@mapping_router.delete("", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
def delete_mapping(principal: Importer, session: SessionDep) -> Response:
    """Forget the saved mapping: uploads are read with the import's own columns again."""
    service.delete_mapping(session, principal)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
