"""``/api/v1/ingestions``: upload eGRID files to the pipeline and follow their runs.

The upload is parsed as it streams in (python-multipart's push parser) and written straight
to the store's spool area, hashed and counted on the way: an oversized upload is refused at
the limit, not after the whole body has been buffered somewhere.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, MultipartState, parse_options_header
from starlette.concurrency import run_in_threadpool

from plant_analytics.api.errors import (
    ADMIN_RESPONSES,
    NOT_FOUND_RESPONSE,
    PROBLEM_RESPONSES,
    problem_responses,
)
from plant_analytics.infra.storage import (
    BadFileNameError,
    FileTooLargeError,
    Spooled,
    Spooler,
    StorageError,
    sanitize_name,
)
from plant_analytics.pipeline.service import (
    Pipeline,
    UploadRejectedError,
    list_runs,
    load_run,
    run_as_dict,
    submit_spooled,
)
from plant_analytics.problems import problem_response
from plant_analytics.security.deps import RequireAdmin, RequireUser

FORM_FIELDS = {"level", "year", "revision", "skip_bad_rows"}
MAX_FIELD_BYTES = 1024
MULTIPART_OVERHEAD_BYTES = 64 * 1024

router = APIRouter(prefix="/api/v1/ingestions", tags=["ingestions"], responses=PROBLEM_RESPONSES)


# The OpenAPI document's shapes of a run (``run_as_dict``); routes return the dicts as JSON.
class RunCounts(BaseModel):
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    datasets: list[dict[str, Any]] = Field(description="Per level and year of the file.")


class IngestionRun(BaseModel):
    id: int
    status: str = Field(
        description="queued, running, retrying, succeeded, noop or failed", examples=["queued"]
    )
    file_name: str
    sha256: str | None
    size_bytes: int | None
    storage_key: str | None
    requested_by: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    attempts: int
    progress: float = Field(description="0 to 1.")
    counts: RunCounts
    message: str | None
    errors: list[Any] = Field(description="With file, sheet, row and column where known.")
    warnings: list[Any]
    checks: list[Any]
    options: dict[str, Any]


class IngestionMeta(BaseModel):
    count: int = Field(description="Runs in `data`.")
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page."
    )
    limit: int
    source: str = Field(examples=["ingestion_run"])


class IngestionList(BaseModel):
    """The one list shape of the API: ``data`` and ``meta``."""

    data: list[IngestionRun]
    meta: IngestionMeta


class UploadAccepted(BaseModel):
    id: int
    status: str
    file_name: str
    sha256: str
    size_bytes: int
    storage_key: str
    duplicate_of_active_run: bool
    note: str | None
    links: dict[str, str]


def get_pipeline(request: Request) -> Pipeline:
    """The pipeline of the app's settings and engine (the API's context when mounted there)."""
    context = getattr(request.state, "pa_api", None)
    if context is not None:
        return Pipeline.from_settings(context.settings, engine=context.engine)
    from plant_analytics.settings import get_settings

    return Pipeline.from_settings(get_settings())


PipelineDep = Annotated[Pipeline, Depends(get_pipeline)]


def problem(status: int, title: str, detail: str, **extra: Any) -> JSONResponse:
    return problem_response(status, detail, title=title, type_=_slug(title), **extra)


def _slug(title: str) -> str:
    return "ingestion-" + "-".join(title.lower().split())


class _UploadParser:
    """Pushes one multipart body through python-multipart, the ``file`` part to a Spooler."""

    def __init__(self, boundary: bytes, spool_dir: Any, max_bytes: int) -> None:
        self.spool_dir = spool_dir
        self.max_bytes = max_bytes
        self.file_name: str | None = None
        self.spooler: Spooler | None = None
        self.fields: dict[str, str] = {}
        self._header_field = b""
        self._header_value = b""
        self._headers: dict[bytes, bytes] = {}
        self._target: str | None = None  # "file", a field name, or None (ignored part)
        self._field_value = bytearray()
        self.parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._part_begin,
                "on_header_field": self._header_field_data,
                "on_header_value": self._header_value_data,
                "on_header_end": self._header_end,
                "on_headers_finished": self._headers_finished,
                "on_part_data": self._part_data,
                "on_part_end": self._part_end,
            },
        )

    def _part_begin(self) -> None:
        self._headers = {}
        self._target = None
        self._field_value = bytearray()

    def _header_field_data(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def _header_value_data(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        self._headers[self._header_field.lower()] = self._header_value
        self._header_field = b""
        self._header_value = b""

    def _headers_finished(self) -> None:
        _, params = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = params.get(b"name", b"").decode("utf-8", "replace")
        if name == "file":
            if self.spooler is not None:
                raise UploadRejectedError(
                    400, "one file per upload", "send exactly one part named file"
                )
            raw_name = params.get(b"filename")
            if raw_name is None:
                raise UploadRejectedError(
                    400, "not a file", "the part named file carries no file name"
                )
            # Checked before a single byte is stored: a path is refused, not rewritten.
            try:
                self.file_name = sanitize_name(raw_name.decode("utf-8", "replace"))
            except BadFileNameError as exc:
                raise UploadRejectedError(400, "bad file name", str(exc)) from None
            self.spooler = Spooler(self.spool_dir, self.max_bytes)
            self._target = "file"
        elif name in FORM_FIELDS:
            self._target = name

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._target == "file" and self.spooler is not None:
            self.spooler.write(data[start:end])
        elif self._target is not None:
            self._field_value += data[start:end]
            if len(self._field_value) > MAX_FIELD_BYTES:
                raise UploadRejectedError(
                    400, "field too long", f"form field {self._target} is too long"
                )

    def _part_end(self) -> None:
        if self._target not in {None, "file"}:
            self.fields[str(self._target)] = self._field_value.decode("utf-8", "replace").strip()
        self._target = None

    def abort(self) -> None:
        if self.spooler is not None:
            self.spooler.abort()


def _options(fields: dict[str, str]) -> dict[str, Any]:
    from plant_analytics.egrid.levels import Level

    options: dict[str, Any] = {}
    if fields.get("level"):
        try:
            options["level"] = Level(fields["level"].lower()).value
        except ValueError:
            raise UploadRejectedError(
                422,
                "unknown level",
                f"level {fields['level']!r} is not one of {', '.join(m.value for m in Level)}",
            ) from None
    if fields.get("year"):
        if not fields["year"].isdigit():
            raise UploadRejectedError(422, "bad year", f"year {fields['year']!r} is not a year")
        options["year"] = int(fields["year"])
    if fields.get("revision"):
        options["revision"] = fields["revision"][:32]
    if fields.get("skip_bad_rows", "").lower() in {"1", "true", "yes", "on"}:
        options["on_row_error"] = "skip"
    return options


UPLOAD_BODY = {
    "requestBody": {
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
                            "description": "An eGRID workbook (.xlsx) or CSV extract.",
                        },
                        "level": {
                            "type": "string",
                            "description": "Level, where the file cannot tell (CSV extracts).",
                        },
                        "year": {
                            "type": "integer",
                            "description": "Data year, where the file cannot tell.",
                        },
                        "revision": {"type": "string"},
                        "skip_bad_rows": {
                            "type": "boolean",
                            "description": "Load the valid rows, keep the bad ones with reasons.",
                        },
                    },
                }
            }
        },
    }
}


@router.post(
    "",
    status_code=202,
    response_model=UploadAccepted,
    responses={**ADMIN_RESPONSES, **problem_responses(400, 413, 415, 503)},
    openapi_extra=UPLOAD_BODY,
    summary="Upload an eGRID file; returns the run that loads it",
)
async def upload(request: Request, principal: RequireAdmin, pipeline: PipelineDep) -> JSONResponse:
    limit = pipeline.max_upload_bytes
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit + MULTIPART_OVERHEAD_BYTES:
        return problem(
            413,
            "file too large",
            f"the upload is {int(declared):,} bytes; the limit is {limit:,} bytes "
            "(PA_MAX_UPLOAD_BYTES)",
            limit_bytes=limit,
        )
    content_type, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        return problem(
            415,
            "multipart upload expected",
            "send the file as multipart/form-data in a field named file, e.g. "
            "curl -F file=@egrid2023_data.xlsx",
        )
    upload = _UploadParser(boundary, pipeline.store.spool_dir, limit)
    spooled: Spooled | None = None
    try:
        async for chunk in request.stream():
            upload.parser.write(chunk)
        upload.parser.finalize()
        if upload.parser.state != MultipartState.END:
            # No closing boundary: the body was cut short (or is not this boundary's), and
            # what came is not known to be the whole file.
            raise UploadRejectedError(
                400,
                "incomplete upload",
                "the multipart body ends before its closing boundary; send it whole",
            )
        if upload.spooler is None or upload.file_name is None:
            raise UploadRejectedError(
                400, "no file", "send the file in a multipart field named file"
            )
        options = _options(upload.fields)
        spooled = upload.spooler.finish()
        submission = await run_in_threadpool(
            submit_spooled,
            pipeline,
            spooled,
            upload.file_name,
            f"api:{principal.email}",
            options,
        )
    except MultipartParseError as exc:
        # Not multipart as declared: another boundary, a part header over the parser's
        # limit, a malformed line. The client's error, never a 500.
        return problem(400, "malformed multipart", f"the multipart body is malformed: {exc}")
    except FileTooLargeError as exc:
        return problem(413, "file too large", str(exc), limit_bytes=limit)
    except UploadRejectedError as exc:
        return problem(exc.status, exc.title, exc.detail)
    except BadFileNameError as exc:
        return problem(400, "bad file name", str(exc))
    except StorageError as exc:
        return problem(503, "storage unavailable", f"the file could not be stored: {exc}")
    finally:
        upload.abort()  # whatever was spooled and not stored (a stored upload is moved away)
    url = f"{router.prefix}/{submission.run_id}"
    body = {
        "id": submission.run_id,
        "status": submission.status,
        "file_name": submission.stored.original_name,
        "sha256": submission.stored.sha256,
        "size_bytes": submission.stored.size,
        "storage_key": submission.stored.key,
        "duplicate_of_active_run": submission.duplicate_of_active_run,
        "note": submission.note or None,
        "links": {"self": url},
    }
    return JSONResponse(body, status_code=202, headers={"Location": url})


def _cursor(run_id: int) -> str:
    return base64.urlsafe_b64encode(f"run:{run_id}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int | None:
    if not cursor.isascii():  # b64decode raises ValueError for non-ASCII text (was a 500)
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    kind, _, value = text.partition(":")
    if kind != "run" or not (value.isascii() and value.isdigit()) or len(value) > 18:
        return None  # 18 digits: below 2**63, the largest id the databases store
    return int(value)


@router.get(
    "",
    response_model=IngestionList,
    responses=problem_responses(400),
    summary="List ingestion runs, newest first",
    description="The API's one list shape: `data` (the runs) and `meta` (`count`, "
    "`next_cursor`: pass it back as `cursor` for the next page, null on the last).",
)
def list_ingestions(
    principal: RequireUser,
    pipeline: PipelineDep,
    status: Annotated[list[str] | None, Query(description="Filter; repeatable.")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page.")] = None,
) -> Any:
    before = None
    if cursor:
        before = _decode_cursor(cursor)
        if before is None:
            return problem(400, "bad cursor", "pass the next_cursor of a previous page")
    runs = list_runs(pipeline.engine, statuses=status, limit=limit + 1, before_id=before)
    page = runs[:limit]
    data = [run_as_dict(r) for r in page]
    meta = {
        "count": len(data),
        "next_cursor": _cursor(page[-1]["id"]) if len(runs) > limit else None,
        "limit": limit,
        "source": "ingestion_run",
    }
    return JSONResponse({"data": data, "meta": meta})


@router.get(
    "/{run_id}",
    response_model=IngestionRun,
    responses=NOT_FOUND_RESPONSE,
    summary="One ingestion run: status, progress, counts and errors",
)
def get_ingestion(
    run_id: Annotated[int, Path(ge=0, le=2**63 - 1)], principal: RequireUser, pipeline: PipelineDep
) -> Any:
    run = load_run(pipeline.engine, run_id)
    if run is None:
        return problem(
            404,
            "no such ingestion run",
            f"there is no ingestion run {run_id}; GET {router.prefix} lists them",
        )
    return JSONResponse(run_as_dict(run))
