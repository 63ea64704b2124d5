"""Units (UNT sheets: boilers and turbines, unadjusted values)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from plant_analytics.api.context import Ctx
from plant_analytics.api.errors import PROBLEM_RESPONSES
from plant_analytics.api.filters import Filters, unit_filters
from plant_analytics.api.formats import EXPORT_RESPONSES, Format, FormatQuery
from plant_analytics.api.lists import DEFAULT_LIMIT, CursorQuery, LimitQuery, SortQuery, level_list
from plant_analytics.api.schemas import Page, UnitRow
from plant_analytics.egrid.levels import Level
from plant_analytics.security.deps import RequireUser

router = APIRouter(tags=["units"], responses=PROBLEM_RESPONSES)


@router.get(
    "/units",
    response_model=Page[UnitRow],
    responses=EXPORT_RESPONSES,
    summary="List units",
    description="Same conventions as /plants.",
)
async def list_units(
    request: Request,
    ctx: Ctx,
    _user: RequireUser,
    filters: Annotated[Filters, Depends(unit_filters)],
    sort: SortQuery = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    format: FormatQuery = Format.JSON,
) -> Response:
    return await level_list(request, ctx, Level.UNIT, filters, sort, cursor, limit, format)
