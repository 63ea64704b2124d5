"""A metric across years."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from plant_analytics.api.context import Ctx
from plant_analytics.api.errors import NOT_FOUND_RESPONSE, PROBLEM_RESPONSES
from plant_analytics.api.formats import EXPORT_RESPONSES, Format, FormatQuery
from plant_analytics.api.lists import computed_list
from plant_analytics.api.schemas import Page, TrendPoint
from plant_analytics.api.services import trends as service
from plant_analytics.api.services.trends import TrendLevel
from plant_analytics.security.deps import RequireUser

router = APIRouter(tags=["trends"], responses={**PROBLEM_RESPONSES, **NOT_FOUND_RESPONSE})


@router.get(
    "/trends",
    response_model=Page[TrendPoint],
    responses=EXPORT_RESPONSES,
    summary="One metric across the loaded years",
    description="For a plant (code = ORISPL) or a region (code = state, BA, subregion or NERC "
    "code; none for us). Each point says where its value came from.",
)
async def trends(
    request: Request,
    ctx: Ctx,
    _user: RequireUser,
    level: Annotated[TrendLevel, Query(description="plant, state, ba, subregion, nerc or us")],
    code: Annotated[
        str | None,
        Query(
            max_length=16,
            examples=["NE"],
            description="ORISPL for a plant; the region code otherwise; none for us.",
        ),
    ] = None,
    metric: Annotated[
        str,
        Query(
            max_length=80,
            examples=["co2_rate_lb_per_mwh"],
            description="A numeric column of the level (see /metrics-catalog).",
        ),
    ] = "net_generation_mwh",
    format: FormatQuery = Format.JSON,
) -> Response:
    return await computed_list(
        request,
        ctx,
        format,
        lambda v: service.trend(ctx.engine, level, code, metric, v),
        f"trend-{level.value}",
    )
