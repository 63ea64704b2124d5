"""Generators (GEN sheets)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from plant_analytics.api.context import Ctx
from plant_analytics.api.errors import PROBLEM_RESPONSES
from plant_analytics.api.filters import Filters, generator_filters
from plant_analytics.api.formats import EXPORT_RESPONSES, Format, FormatQuery
from plant_analytics.api.lists import DEFAULT_LIMIT, CursorQuery, LimitQuery, SortQuery, level_list
from plant_analytics.api.schemas import GeneratorRow, Page
from plant_analytics.egrid.levels import Level
from plant_analytics.security.deps import RequireUser

router = APIRouter(tags=["generators"], responses=PROBLEM_RESPONSES)


@router.get(
    "/generators",
    response_model=Page[GeneratorRow],
    responses=EXPORT_RESPONSES,
    summary="List generators",
    description="Same conventions as /plants. In the 2023 six-column extract generators have "
    "no ORISPL: `plant_id_eia` is null and `plant_name` + `state` name the plant.",
)
async def list_generators(
    request: Request,
    ctx: Ctx,
    _user: RequireUser,
    filters: Annotated[Filters, Depends(generator_filters)],
    sort: SortQuery = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    format: FormatQuery = Format.JSON,
) -> Response:
    return await level_list(request, ctx, Level.GENERATOR, filters, sort, cursor, limit, format)
