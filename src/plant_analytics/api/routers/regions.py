"""Regions: states, balancing authorities, eGRID subregions, NERC regions, the US."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from plant_analytics.api.context import Ctx
from plant_analytics.api.errors import NOT_FOUND_RESPONSE, PROBLEM_RESPONSES
from plant_analytics.api.formats import EXPORT_RESPONSES, Format, FormatQuery
from plant_analytics.api.lists import computed_list
from plant_analytics.api.responses import cached_json
from plant_analytics.api.schemas import One, Page, RegionRow
from plant_analytics.api.services import regions as service
from plant_analytics.api.services.regions import RegionLevel
from plant_analytics.security.deps import RequireUser

router = APIRouter(tags=["regions"], responses={**PROBLEM_RESPONSES, **NOT_FOUND_RESPONSE})

LevelPath = Annotated[RegionLevel, Path(description="state, ba, subregion, nerc or us")]
OneYear = Annotated[
    int | None,
    Query(
        ge=1996, le=2100, description="Data year; the latest loaded by default.", examples=[2022]
    ),
]
SOURCE_NOTE = (
    " From the region sheet of that year when it is loaded (`meta.source: region_sheet`), "
    "otherwise computed from plants with eGRID's rules (`plants`: sums, and rates as "
    "2000 * Σtons ÷ ΣMWh), or for states and the US from generators (`generators`)."
)


@router.get(
    "/regions/{level}",
    response_model=Page[RegionRow],
    responses=EXPORT_RESPONSES,
    summary="Every region of a level",
    description="Totals, resource mix and emission rates." + SOURCE_NOTE,
)
async def list_regions(
    request: Request,
    ctx: Ctx,
    _user: RequireUser,
    level: LevelPath,
    year: OneYear = None,
    format: FormatQuery = Format.JSON,
) -> Response:
    lvl = service.region_level(level)
    return await computed_list(
        request,
        ctx,
        format,
        lambda v: service.list_regions(ctx.engine, lvl, year, v),
        f"regions-{level.value}",
    )


@router.get(
    "/regions/{level}/{code}",
    response_model=One[RegionRow],
    summary="One region",
    description="Totals, resource mix and emission rates of one region." + SOURCE_NOTE,
)
async def get_region(
    request: Request,
    ctx: Ctx,
    _user: RequireUser,
    level: LevelPath,
    code: Annotated[str, Path(max_length=16, examples=["NE"])],
    year: OneYear = None,
) -> Response:
    lvl = service.region_level(level)
    return await cached_json(
        request, ctx, lambda v: service.get_region(ctx.engine, lvl, code, year, v)
    )
