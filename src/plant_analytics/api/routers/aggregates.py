"""Aggregates computed from plants, with eGRID's rules."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import StringConstraints

from plant_analytics.api.context import Ctx
from plant_analytics.api.errors import NOT_FOUND_RESPONSE, PROBLEM_RESPONSES
from plant_analytics.api.filters import Filters, plant_filters
from plant_analytics.api.formats import EXPORT_RESPONSES, Format, FormatQuery
from plant_analytics.api.lists import computed_list
from plant_analytics.api.schemas import AggregateRow, Page
from plant_analytics.api.services import aggregates as service
from plant_analytics.api.services.aggregates import GroupBy
from plant_analytics.security.deps import RequireUser

router = APIRouter(tags=["aggregates"], responses={**PROBLEM_RESPONSES, **NOT_FOUND_RESPONSE})

MetricsQuery = Annotated[
    list[Annotated[str, StringConstraints(max_length=80)]] | None,
    Query(
        description="Metrics to compute; repeatable. Totals are sums (NA when every plant's "
        "value is NA); rates are 2000 * Σtons ÷ ΣMWh (NOx, SO2, CO2, CO2e) or Σlbs ÷ ΣMWh "
        "(CH4, N2O), NA when ΣMWh is 0; `*_share` is Σ fuel MWh ÷ Σ net MWh.",
        examples=["co2_rate_lb_per_mwh"],
    ),
]


@router.get(
    "/aggregates",
    response_model=Page[AggregateRow],
    responses=EXPORT_RESPONSES,
    summary="Plants grouped and totalled",
    description="Group the plants matching the filters (as on /plants) by state, fuel "
    "category, subregion, BA or NERC region. The latest plant year by default.",
)
async def aggregates(
    request: Request,
    ctx: Ctx,
    _user: RequireUser,
    group_by: Annotated[GroupBy, Query(description="What to group on.")],
    filters: Annotated[Filters, Depends(plant_filters)],
    metric: MetricsQuery = None,
    format: FormatQuery = Format.JSON,
) -> Response:
    metrics = service.validate_metrics(metric)
    return await computed_list(
        request,
        ctx,
        format,
        lambda v: service.aggregate(ctx.engine, group_by, filters, metrics, v),
        f"aggregates-{group_by.value}",
    )
