"""Errors as RFC 9457 ``application/problem+json``: one shape for every app of the platform.

``{"type", "title", "status", "detail"}`` plus optional extensions (``instance``, ``errors``).
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://plant-analytics.dev/problems/"
log = logging.getLogger("plant_analytics.problems")


class Problem(HTTPException):
    """An HTTP error with a problem type slug; raise it from services' callers (routers)."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        type_: str | None = None,
        title: str | None = None,
        headers: dict[str, str] | None = None,
        extensions: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(status_code=status, detail=detail, headers=headers)
        self.type_ = type_
        self.title = title
        self.extensions = extensions or {}


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def problem_body(
    status: int,
    detail: str,
    *,
    type_: str | None = None,
    title: str | None = None,
    instance: str | None = None,
    **extensions: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + type_ if type_ else "about:blank",
        "title": title or _title(status),
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    body.update(extensions)
    return body


def problem_response(
    status: int,
    detail: str,
    *,
    type_: str | None = None,
    title: str | None = None,
    headers: dict[str, str] | None = None,
    instance: str | None = None,
    **extensions: Any,
) -> JSONResponse:
    return JSONResponse(
        problem_body(status, detail, type_=type_, title=title, instance=instance, **extensions),
        status_code=status,
        headers=headers,
        media_type=PROBLEM_JSON,
    )


def install_problem_handlers(app: FastAPI) -> None:
    """Render HTTP errors, validation errors and crashes as problem+json."""

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        if isinstance(exc, Problem):
            return problem_response(
                exc.status_code,
                detail,
                type_=exc.type_,
                title=exc.title,
                headers=dict(exc.headers) if exc.headers else None,
                instance=request.url.path,
                **exc.extensions,
            )
        return problem_response(
            exc.status_code,
            detail,
            headers=dict(exc.headers) if exc.headers else None,
            instance=request.url.path,
        )

    async def validation_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = [
            {
                "parameter": ".".join(str(p) for p in e.get("loc", ()) if p != "body") or "body",
                "in": str(e.get("loc", ("body",))[0]),
                "message": e.get("msg", ""),
            }
            for e in exc.errors()
        ]
        detail = "; ".join(f"{e['parameter']}: {e['message']}" for e in errors)
        return problem_response(
            422,
            detail or "invalid request",
            type_="validation",
            instance=request.url.path,
            errors=errors,
        )

    async def crash(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(
            500,
            "an unexpected error happened; the request id in the logs tells what",
            instance=request.url.path,
        )

    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(Exception, crash)
