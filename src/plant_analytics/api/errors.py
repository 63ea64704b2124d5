"""The API's errors: one problem+json shape (``plant_analytics.problems``) for every failure."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from plant_analytics.problems import Problem, install_problem_handlers

Responses = dict[int | str, dict[str, Any]]

_PROBLEM = "application/problem+json"
# What each error status means on this platform's routes: the one place the OpenAPI document's
# error responses are described. A route declares the statuses it can answer with
# ``problem_responses(...)``; schemathesis (tests/security) fails on any status not declared.
PROBLEM_DESCRIPTIONS: dict[int, str] = {
    400: "A malformed request the route cannot read (a body, cursor or multipart form), "
    "named in `detail`",
    401: "No valid token",
    403: "The token's role may not do this (admins only)",
    404: "Nothing with this id or code",
    409: "Conflicts with what is stored",
    413: "The body is larger than this route takes (`limit_bytes`, or too many rows)",
    415: "The body is not of a media type this route takes",
    422: "An invalid parameter, named in `detail` and `errors`",
    429: "Too many requests from this client: wait the `Retry-After` seconds",
    503: "A service the route needs (storage, the queue) is unavailable: try again later",
}
_EXAMPLES: dict[int, dict[str, Any]] = {
    422: {
        "type": "https://plant-analytics.dev/problems/validation",
        "title": "Unprocessable Content",
        "status": 422,
        "detail": "query.sort: unknown column 'foo'; sort on a numeric column "
        "such as net_generation_mwh",
        "instance": "/api/v1/plants",
        "errors": [{"parameter": "query.sort", "in": "query", "message": "unknown column"}],
    }
}


def problem_responses(*statuses: int) -> Responses:
    """OpenAPI ``responses=`` entries for these error statuses, each a problem+json body."""
    out: Responses = {}
    for status in statuses:
        media: dict[str, Any] = {}
        if status in _EXAMPLES:
            media["example"] = _EXAMPLES[status]
        out[status] = {
            "description": PROBLEM_DESCRIPTIONS[status],
            "content": {_PROBLEM: media},
        }
    return out


# Every route of the API: a token is needed, parameters are validated, and the gateway's
# per-client limits apply.
PROBLEM_RESPONSES: Responses = problem_responses(401, 422, 429)
NOT_FOUND_RESPONSE: Responses = problem_responses(404)
# Routes for admins only (RequireAdmin).
ADMIN_RESPONSES: Responses = problem_responses(403)


def invalid(parameter: str, message: str) -> Problem:
    """A 422 naming the query parameter, in the same shape as FastAPI's validation errors."""
    return Problem(
        422,
        f"query.{parameter}: {message}",
        type_="validation",
        extensions={
            "errors": [{"parameter": f"query.{parameter}", "in": "query", "message": message}]
        },
    )


def not_found(detail: str) -> Problem:
    return Problem(404, detail, type_="not-found")


def install_error_handlers(app: FastAPI) -> None:
    """HTTP errors, validation errors and crashes as problem+json (the all-in-one app calls it)."""
    install_problem_handlers(app)
