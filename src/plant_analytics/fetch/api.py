"""``/api/v1/catalogue``: EPA's release files, what is loaded, and fetching one (admins).

``POST /api/v1/catalogue/{file_id}/fetch`` queues a run that the worker downloads
(resuming, verified), keeps in the object store and loads; its progress is followed at
``GET /api/v1/ingestions/{run_id}`` as for an upload.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from plant_analytics.api.errors import ADMIN_RESPONSES, NOT_FOUND_RESPONSE, PROBLEM_RESPONSES
from plant_analytics.fetch.catalogue import CatalogueError, by_id, catalogue
from plant_analytics.fetch.service import statuses, submit_fetch
from plant_analytics.pipeline.api import PipelineDep, problem
from plant_analytics.security.deps import RequireAdmin

router = APIRouter(
    prefix="/api/v1/catalogue",
    tags=["catalogue"],
    responses={**PROBLEM_RESPONSES, **ADMIN_RESPONSES},
)


class FetchedFile(BaseModel):
    sha256: str | None
    size_bytes: int | None
    etag: str | None
    last_modified: str | None
    storage_key: str | None
    fetched_at: str | None
    checked_at: str | None
    message: str | None


class FetchRun(BaseModel):
    id: int
    status: str
    progress: float
    message: str | None


class CatalogueFile(BaseModel):
    file_id: str
    edition_ids: list[str]
    data_years: list[int]
    revision: str | None
    published: str | None
    kind: str
    loadable: bool
    file_name: str
    url: str
    size_bytes: int | None
    sha256: str | None
    source: str
    status: str  # loaded | not_loaded | not_loadable
    newer_revision: str | None
    loaded_years: list[int]
    fetched: FetchedFile | None
    run: FetchRun | None


class CatalogueList(BaseModel):
    data: list[CatalogueFile]
    watch_enabled: bool


class FetchAccepted(BaseModel):
    id: int
    file_id: str
    status: str
    duplicate_of_active_run: bool
    note: str | None
    links: dict[str, str]


@router.get(
    "",
    response_model=CatalogueList,
    summary="Every eGRID release file EPA publishes, with what is loaded here",
)
def list_catalogue(principal: RequireAdmin, pipeline: PipelineDep) -> dict[str, Any]:
    rows = statuses(pipeline.engine, pipeline.settings)
    return {
        "data": [row.as_dict() for row in rows],
        "watch_enabled": bool(getattr(pipeline.settings, "watch_enabled", False)),
    }


@router.post(
    "/{file_id}/fetch",
    status_code=202,
    response_model=FetchAccepted,
    responses=NOT_FOUND_RESPONSE,
    summary="Fetch one release file from EPA and load it (through the queue and a worker)",
)
async def fetch_release_file(
    file_id: str, principal: RequireAdmin, pipeline: PipelineDep
) -> JSONResponse:
    try:
        item = by_id(catalogue(pipeline.settings), file_id)
    except CatalogueError:
        return problem(
            404,
            "unknown release file",
            f"the release catalogue has no file {file_id!r}; GET /api/v1/catalogue lists them",
        )
    if not item.kind.loadable:
        return problem(
            422,
            "release file not loadable",
            f"{file_id} is a {item.kind.value} workbook: it is listed, not loaded into the "
            "platform's tables",
        )
    submission = await run_in_threadpool(submit_fetch, pipeline, item, f"api:{principal.email}")
    url = f"/api/v1/ingestions/{submission.run_id}"
    body = {
        "id": submission.run_id,
        "file_id": item.file_id,
        "status": "queued",
        "duplicate_of_active_run": submission.duplicate_of_active_run,
        "note": submission.note or None,
        "links": {"self": url},
    }
    return JSONResponse(body, status_code=202, headers={"Location": url})
