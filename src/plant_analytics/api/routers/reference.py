"""Reference data: loaded years, the metric catalogue, states."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from plant_analytics.api.context import Ctx
from plant_analytics.api.errors import PROBLEM_RESPONSES
from plant_analytics.api.formats import EXPORT_RESPONSES, Format, FormatQuery
from plant_analytics.api.lists import computed_list
from plant_analytics.api.schemas import MetricEntry, Page, QualityNote, StateRow, YearRow
from plant_analytics.api.services import reference as service
from plant_analytics.security.deps import RequireUser

router = APIRouter(tags=["reference"], responses={**PROBLEM_RESPONSES, **EXPORT_RESPONSES})


@router.get(
    "/years",
    response_model=Page[YearRow],
    summary="What is loaded, per level and year",
    description="One row per current release: its revision, file and checksum.",
)
async def years(
    request: Request, ctx: Ctx, _user: RequireUser, format: FormatQuery = Format.JSON
) -> Response:
    return await computed_list(
        request, ctx, format, lambda v: service.years(ctx.engine, v), "years"
    )


@router.get(
    "/quality",
    response_model=Page[QualityNote],
    summary="Data-quality notes of what is loaded",
    description="What the loaded files hold as EPA published them and is reported rather "
    "than refused: a natural key (ORISPL+GENID, ...) on several rows, each row loaded; "
    "sequence numbers that cannot identify rows. One row per note, per current release.",
)
async def quality(
    request: Request, ctx: Ctx, _user: RequireUser, format: FormatQuery = Format.JSON
) -> Response:
    return await computed_list(
        request, ctx, format, lambda v: service.quality(ctx.engine, v), "quality"
    )


@router.get(
    "/metrics-catalog",
    response_model=Page[MetricEntry],
    summary="Every metric",
    description="Each metric's API code, eGRID source codes, description, unit, levels, "
    "how it aggregates and the years loaded.",
)
async def metrics_catalog(
    request: Request, ctx: Ctx, _user: RequireUser, format: FormatQuery = Format.JSON
) -> Response:
    return await computed_list(
        request, ctx, format, lambda v: service.metrics_catalog(ctx.engine, v), "metrics-catalog"
    )


@router.get("/states", response_model=Page[StateRow], summary="States and their loaded years")
async def states(
    request: Request, ctx: Ctx, _user: RequireUser, format: FormatQuery = Format.JSON
) -> Response:
    return await computed_list(
        request, ctx, format, lambda v: service.states(ctx.engine, v), "states"
    )
