"""The API's errors: one problem+json shape (``plant_analytics.problems``) for every failure."""

from __future__ import annotations

from fastapi import FastAPI

from plant_analytics.problems import Problem, install_problem_handlers

PROBLEM_RESPONSES: dict[int | str, dict[str, object]] = {
    401: {"description": "No valid token", "content": {"application/problem+json": {}}},
    422: {
        "description": "An invalid parameter, named in `detail` and `errors`",
        "content": {
            "application/problem+json": {
                "example": {
                    "type": "https://plant-analytics.dev/problems/validation",
                    "title": "Unprocessable Content",
                    "status": 422,
                    "detail": "query.sort: unknown column 'foo'; sort on a numeric column "
                    "such as net_generation_mwh",
                    "instance": "/api/v1/plants",
                    "errors": [
                        {"parameter": "query.sort", "in": "query", "message": "unknown column"}
                    ],
                }
            }
        },
    },
}
NOT_FOUND_RESPONSE: dict[int | str, dict[str, object]] = {
    404: {
        "description": "Nothing with this id or code",
        "content": {"application/problem+json": {}},
    }
}


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
