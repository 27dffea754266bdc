"""Receiving a CSV upload: the multipart body streamed straight to a file on disk.

The request body is fed to python-multipart's push parser chunk by chunk; the bytes of
the `file` part go to the target file as they arrive, hashed (SHA-256) and their lines
counted on the way. Nothing holds more than one network chunk in memory, whatever the
file's size.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from python_multipart.multipart import MultipartParser, parse_options_header

from app.core.errors import ValidationFailed, field_error

FIELD = "file"


class UnsupportedUpload(ValueError):
    """The body is not multipart/form-data (HTTP 415)."""


@dataclass
class ReceivedFile:
    path: Path
    size: int
    sha256: str
    lines: int  # physical lines, the header included
    filename: str | None


def _invalid(msg: str) -> ValidationFailed:
    return ValidationFailed(msg, errors=[field_error(["body", FIELD], msg, "value_error")])


class _Receiver:
    """python-multipart callbacks that write the `file` part and drop everything else."""

    def __init__(self, target):
        self.target = target
        self.hash = hashlib.sha256()
        self.size = 0
        self.newlines = 0
        self.last_byte = b""
        self.found = False
        self.filename: str | None = None
        self._writing = False
        self._header_name = b""
        self._header_value = b""
        self._disposition = b""

    def on_part_begin(self) -> None:
        self._disposition = b""
        self._writing = False

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        if self._header_name.lower() == b"content-disposition":
            self._disposition = self._header_value
        self._header_name = self._header_value = b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self._disposition)
        if options.get(b"name") == FIELD.encode():
            if self.found:
                raise _invalid("Send one file per import.")
            self.found = True
            self._writing = True
            raw_name = options.get(b"filename")
            self.filename = raw_name.decode("utf-8", "replace")[:200] if raw_name else None

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if not self._writing or start == end:
            return
        piece = data[start:end]
        self.target.write(piece)
        self.hash.update(piece)
        self.size += len(piece)
        self.newlines += piece.count(b"\n")
        self.last_byte = piece[-1:]

    def on_part_end(self) -> None:
        self._writing = False


def boundary_of(content_type: str | None) -> bytes:
    media, params = parse_options_header(content_type or "")
    if media != b"multipart/form-data":
        raise UnsupportedUpload(
            "Send the CSV as multipart/form-data with the file in the field `file`."
        )
    boundary = params.get(b"boundary")
    if not boundary:
        raise _invalid("The multipart body has no boundary.")
    return boundary


async def receive(
    content_type: str | None, chunks: AsyncIterator[bytes], path: Path
) -> ReceivedFile:
    """Stream the `file` part of a multipart body to `path`; raise on a malformed body.

    On any error the partial file is removed. An OSError of the disk (ENOSPC, EDQUOT,
    EFBIG) propagates as such.
    """
    boundary = boundary_of(content_type)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("wb") as target:
            receiver = _Receiver(target)
            parser = MultipartParser(
                boundary,
                {
                    "on_part_begin": receiver.on_part_begin,
                    "on_part_data": receiver.on_part_data,
                    "on_part_end": receiver.on_part_end,
                    "on_header_field": receiver.on_header_field,
                    "on_header_value": receiver.on_header_value,
                    "on_header_end": receiver.on_header_end,
                    "on_headers_finished": receiver.on_headers_finished,
                },
            )
            async for chunk in chunks:
                if chunk:
                    parser.write(chunk)
            parser.finalize()
    except ValidationFailed:
        path.unlink(missing_ok=True)
        raise
    except OSError:
        # Writing the file failed: the server's disk, not the client's body. A full disk
        # (or quota, or file-size limit) is answered 507 by app.core.errors, anything
        # else 500, and logged there; the OS's words never reach the client.
        path.unlink(missing_ok=True)
        raise
    except Exception as exc:
        path.unlink(missing_ok=True)
        raise _invalid(f"The multipart body could not be read ({exc}).") from None
    if not receiver.found:
        path.unlink(missing_ok=True)
        raise _invalid("The multipart body has no field `file`.")
    lines = receiver.newlines + (1 if receiver.size and receiver.last_byte != b"\n" else 0)
    return ReceivedFile(
        path=path,
        size=receiver.size,
        sha256=receiver.hash.hexdigest(),
        lines=lines,
        filename=receiver.filename,
    )


async def save(upload, path: Path, chunk_size: int = 1 << 20) -> ReceivedFile:
    """Copy a file already received as a form field (the web console's upload, a Starlette
    `UploadFile`) to `path`, hashed and its lines counted as `receive` does."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("wb") as target:
            receiver = _Receiver(target)
            receiver._writing = True  # the whole upload is the file part
            while chunk := await upload.read(chunk_size):
                receiver.on_part_data(chunk, 0, len(chunk))
    except Exception:
        path.unlink(missing_ok=True)
        raise
    lines = receiver.newlines + (1 if receiver.size and receiver.last_byte != b"\n" else 0)
    return ReceivedFile(
        path=path,
        size=receiver.size,
        sha256=receiver.hash.hexdigest(),
        lines=lines,
        filename=(upload.filename or None) and upload.filename[:200],
    )
