"""Plants: the list, the top-N, one plant, its history and its generators."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from plant_analytics.api.context import Ctx
from plant_analytics.api.errors import NOT_FOUND_RESPONSE, PROBLEM_RESPONSES
from plant_analytics.api.filters import (
    MAX_ID,
    Filters,
    FuelQuery,
    StateQuery,
    plant_filters,
    plant_generator_filters,
    top_filters,
)
from plant_analytics.api.formats import EXPORT_RESPONSES, Format, FormatQuery
from plant_analytics.api.lists import (
    DEFAULT_LIMIT,
    CursorQuery,
    LimitQuery,
    SortQuery,
    computed_list,
    level_list,
)
from plant_analytics.api.responses import cached_json
from plant_analytics.api.schemas import GeneratorRow, One, Page, PlantDetail, PlantRow, TopPlants
from plant_analytics.api.services import plants as service
from plant_analytics.egrid.levels import Level
from plant_analytics.security.deps import RequireUser

router = APIRouter(tags=["plants"], responses=PROBLEM_RESPONSES)

PlantFilters = Annotated[Filters, Depends(plant_filters)]
GeneratorFilters = Annotated[Filters, Depends(plant_generator_filters)]
PlantId = Annotated[
    int,
    Path(ge=0, le=MAX_ID, description="The plant's ORISPL (plant_id_eia).", examples=[2291]),
]
OneYear = Annotated[
    int | None,
    Query(
        ge=1996, le=2100, description="Data year; the latest loaded by default.", examples=[2023]
    ),
]
Metric = Annotated[
    str,
    Query(
        description="Numeric column to rank on (see /metrics-catalog).",
        max_length=80,
        examples=["net_generation_mwh"],
    ),
]
TopLimit = Annotated[int, Query(ge=1, le=1000, description="How many plants.")]


@router.get(
    "/plants",
    response_model=Page[PlantRow],
    responses=EXPORT_RESPONSES,
    summary="List plants",
    description="Filter (every filter is repeatable), sort on any numeric column, page with "
    "`cursor`. `format=csv|ndjson|parquet` returns every matching row.",
)
async def list_plants(
    request: Request,
    ctx: Ctx,
    _user: RequireUser,
    filters: PlantFilters,
    sort: SortQuery = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    format: FormatQuery = Format.JSON,
) -> Response:
    return await level_list(request, ctx, Level.PLANT, filters, sort, cursor, limit, format)


@router.get(
    "/plants/top",
    response_model=TopPlants,
    responses={**EXPORT_RESPONSES, **NOT_FOUND_RESPONSE},
    summary="Top plants by a metric",
    description="Ranked descending. Values come from the year's PLNT sheet when it is loaded, "
    "otherwise from the sum of each plant's generators (grouped on ORISPL, or on state + plant "
    "name when the generators carry no ORISPL); `meta.source` says which.",
)
async def top_plants(
    request: Request,
    ctx: Ctx,
    _user: RequireUser,
    year: OneYear = None,
    state: StateQuery = None,
    fuel: FuelQuery = None,
    metric: Metric = "net_generation_mwh",
    limit: TopLimit = 10,
    format: FormatQuery = Format.JSON,
) -> Response:
    service.validate_top_metric(metric)
    filters = top_filters(state, fuel)
    return await computed_list(
        request,
        ctx,
        format,
        lambda v: service.top_plants(ctx.engine, year, filters, metric, limit, v),
        "top-plants",
        small=lambda v: service.top_is_small(ctx.engine, year, v),
    )


@router.get(
    "/plants/{plant_id}",
    response_model=One[PlantDetail],
    responses=NOT_FOUND_RESPONSE,
    summary="One plant, every stored column",
    description="Every canonical column, `extra` (source columns without a canonical name), "
    "and provenance: the release, file, SHA-256 and load time the values came from.",
)
async def get_plant(
    request: Request, ctx: Ctx, _user: RequireUser, plant_id: PlantId, year: OneYear = None
) -> Response:
    return await cached_json(
        request, ctx, lambda v: service.plant_detail(ctx.engine, plant_id, year, v)
    )


@router.get(
    "/plants/{plant_id}/history",
    response_model=Page[PlantRow],
    responses={**EXPORT_RESPONSES, **NOT_FOUND_RESPONSE},
    summary="One plant across the loaded years",
)
async def plant_history(
    request: Request,
    ctx: Ctx,
    _user: RequireUser,
    plant_id: PlantId,
    format: FormatQuery = Format.JSON,
) -> Response:
    return await computed_list(
        request,
        ctx,
        format,
        lambda v: service.plant_history(ctx.engine, plant_id, v),
        f"plant-{plant_id}-history",
    )


@router.get(
    "/plants/{plant_id}/generators",
    response_model=Page[GeneratorRow],
    responses={**EXPORT_RESPONSES, **NOT_FOUND_RESPONSE},
    summary="The generators of one plant",
)
async def plant_generators(
    request: Request,
    ctx: Ctx,
    _user: RequireUser,
    plant_id: PlantId,
    filters: GeneratorFilters,
    sort: SortQuery = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    format: FormatQuery = Format.JSON,
) -> Response:
    await run_in_threadpool(service.require_plant, ctx.engine, plant_id)
    scoped = replace(filters, equals={**filters.equals, "plant_id_eia": (plant_id,)})
    return await level_list(request, ctx, Level.GENERATOR, scoped, sort, cursor, limit, format)
