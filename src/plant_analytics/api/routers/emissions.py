"""ZIP code lookup and the emissions estimate of electricity used at sites (EPA's method)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import Response

from plant_analytics.api.context import Ctx, run_sync
from plant_analytics.api.errors import NOT_FOUND_RESPONSE, PROBLEM_RESPONSES, problem_responses
from plant_analytics.api.formats import (
    GEOJSON_RESPONSE,
    MEDIA_TYPES,
    Format,
    csv_chunks,
    media_responses,
    parquet_bytes,
)
from plant_analytics.api.responses import cached_json
from plant_analytics.api.services import emissions as service
from plant_analytics.egrid.emissions import Rounding
from plant_analytics.ingest.seed import sample_dir
from plant_analytics.problems import Problem
from plant_analytics.security.deps import RequireUser

router = APIRouter(tags=["emissions"], responses={**PROBLEM_RESPONSES, **NOT_FOUND_RESPONSE})

# The most sites one request may hold (the body itself is bounded by PA_MAX_UPLOAD_BYTES).
MAX_SITES = 100_000
YearQuery = Annotated[
    int | None,
    Query(
        ge=1996,
        le=2100,
        description="Data year of the rates; default: the latest year with subregion data.",
        examples=[2023],
    ),
]
ESTIMATE_FORMATS = (Format.JSON, Format.CSV, Format.CSV_RAW, Format.PARQUET)


# The JSON body as the OpenAPI document describes it (the typed clients check their requests
# against it); service.site_from is what actually reads and validates a site.
_SITE: dict[str, Any] = {
    "type": "object",
    "title": "EstimateSite",
    "properties": {
        "site_id": {"type": "string", "description": "your name for the site (batches)"},
        "zip": {"type": "string", "description": "five-digit ZIP code (or ZIP+4)"},
        "subregion": {"type": "string", "description": "eGRID subregion code, instead of zip"},
        "kwh": {"type": "number", "minimum": 0, "description": "electricity used (kWh)"},
        "year": {"type": "integer", "description": "data year of the rates"},
        "period": {"type": "string", "enum": ["year", "month"], "description": "kwh per"},
    },
    "required": ["kwh"],
}
_SITES: dict[str, Any] = {
    "type": "object",
    "title": "EstimateSites",
    "properties": {"sites": {"type": "array", "items": _SITE}, "year": {"type": "integer"}},
    "required": ["sites"],
}


def _problem(exc: service.SiteError) -> Problem:
    type_ = "not-found" if exc.status == 404 else "validation"
    return Problem(exc.status, exc.message, type_=type_, extensions=exc.extensions)


@router.get(
    "/locations/{zip}",
    summary="A ZIP code's utilities, eGRID subregions and their rates",
    description="The state, the utilities serving the ZIP code (predominant first) and "
    "their eGRID subregions, from the Power Profiler's ZIP lookup (level `location`), with "
    "each subregion's total output emission rates (lb/MWh) and its interconnect's grid gross "
    "loss for the year. An unknown ZIP code is a 404 naming it; a malformed one a 422.",
)
async def get_location(
    request: Request,
    ctx: Ctx,
    _user: RequireUser,
    zip: Annotated[str, PathParam(max_length=16, examples=["02108"])],
    year: YearQuery = None,
) -> Response:
    def compute(_version: str) -> dict[str, Any]:
        try:
            return service.location(ctx.engine, zip, year)
        except service.SiteError as exc:
            raise _problem(exc) from None

    return await cached_json(request, ctx, compute)


@router.get(
    "/emissions/subregions",
    summary="Every subregion's rates, resource mix and grid loss, and the US's",
    description="What the estimate uses, for one data year (default: the latest with "
    "subregion data): total output emission rates (lb/MWh), the resource mix (fractions) and "
    "the grid gross loss of each subregion's interconnect, with the releases they come from.",
)
async def subregions(
    request: Request, ctx: Ctx, _user: RequireUser, year: YearQuery = None
) -> Response:
    def compute(_version: str) -> dict[str, Any]:
        try:
            return service.subregion_profiles(ctx.engine, year)
        except service.SiteError as exc:
            raise _problem(exc) from None

    return await cached_json(request, ctx, compute)


@cache
def _boundaries(path: Path) -> bytes:
    document = json.loads(path.read_bytes())
    features = [
        {
            "type": "Feature",
            "properties": {
                "code": f["properties"]["name"],
                "name": f["properties"].get("fullName"),
            },
            "geometry": f["geometry"],
        }
        for f in document["features"]
        if f.get("properties", {}).get("type") == "subregion" and f.get("geometry")
    ]
    return orjson.dumps({"type": "FeatureCollection", "features": features})


@router.get(
    "/emissions/subregion-map",
    summary="eGRID subregion boundaries (GeoJSON)",
    description="The subregion outlines of EPA's Power Profiler (eGRID2023 rev2, "
    "data/egrid/power-profiler/subregion_2023rev2.json): one feature per subregion with "
    "`code` and `name`.",
    response_class=Response,
    responses=GEOJSON_RESPONSE,
)
async def subregion_map(_user: RequireUser) -> Response:
    path = sample_dir() / "power-profiler" / "subregion_2023rev2.json"
    if not path.is_file():
        raise Problem(404, f"the subregion boundaries file is not installed ({path.name})")
    body = await run_sync(lambda: _boundaries(path))
    return Response(
        body,
        media_type="application/geo+json",
        headers={"Cache-Control": "public, max-age=86400"},
    )


@router.post(
    "/emissions/estimate",
    summary="Emissions of electricity used at one site or many",
    description=(
        "EPA's method: `lb = kWh * output_rate_lb_per_MWh / 1000 / (1 - grid_gross_loss)`, "
        "with the subregion's total output emission rates (CO2, CO2e, NOx, SO2; CH4 and N2O "
        "where the year has them) and its interconnect's grid gross loss.\n\n"
        "The body is one site (JSON `{zip|subregion, kwh, year?, period?}`), a JSON list of "
        'sites, `{"sites": [...]}`, or CSV text (`Content-Type: text/csv`, header '
        "`site_id,zip|subregion,kwh[,year,period]`). `period` is `year` (default) or `month` "
        "(x12). One site answers a problem (404 unknown ZIP, 422 malformed) when it cannot be "
        "estimated; in a batch each bad row gets its own `error` and the rest is computed. "
        f"At most {MAX_SITES:,} sites. `format=csv|parquet` gives one row per site."
    ),
    responses={
        **media_responses(Format.CSV, Format.PARQUET),
        **problem_responses(400, 413),
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {"oneOf": [_SITE, {"type": "array", "items": _SITE}, _SITES]},
                    "example": {"zip": "02108", "kwh": 7200},
                },
                "text/csv": {
                    "schema": {"type": "string"},
                    "example": "site_id,zip,kwh\nboston,02108,7200\n",
                },
            },
        }
    },
)
async def estimate(
    request: Request,
    ctx: Ctx,
    _user: RequireUser,
    year: YearQuery = None,
    rounding: Annotated[
        Rounding,
        Query(
            description="`none` (default): the rates as loaded; `power-profiler`: the CO2 rate "
            "rounded to one decimal first, reproducing EPA's Power Profiler's figure."
        ),
    ] = Rounding.NONE,
    format: Annotated[
        Format, Query(description="`json` (default), `csv`, `csv-raw` or `parquet`.")
    ] = Format.JSON,
) -> Response:
    if format not in ESTIMATE_FORMATS:
        raise Problem(
            422,
            f"query.format: {format.value} is not offered here; use json, csv or parquet",
            type_="validation",
        )
    body = await request.body()
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    single, sites = _sites(body, content_type, year)
    if not single and len(sites) > MAX_SITES:
        raise Problem(
            413,
            f"{len(sites):,} sites; one request takes at most {MAX_SITES:,}: split the file",
            type_="too-many-sites",
        )
    result = await run_sync(lambda: service.report(ctx.engine, sites, rounding))
    if single and result["data"][0]["error"] is not None:
        error = result["data"][0]["error"]
        status = int(error["status"])
        extensions = {k: v for k, v in error.items() if k not in ("row", "message", "status")}
        raise Problem(
            status,
            error["message"],
            type_="not-found" if status == 404 else "validation",
            extensions=extensions,
        )
    return await run_sync(lambda: _render(result, format))


def _sites(
    body: bytes, content_type: str, year: int | None
) -> tuple[bool, list[service.Site | service.SiteError]]:
    """(one site?, the sites) of the request body."""
    if not body.strip():
        raise Problem(
            422, "the body is empty: send a site, a list of sites or a CSV", type_="validation"
        )
    try:
        if content_type in ("text/csv", "text/plain", "application/csv"):
            text = body.decode("utf-8-sig")
            return False, list(service.sites_from_csv(text, default_year=year))
        document = orjson.loads(body)
    except UnicodeDecodeError:
        raise Problem(422, "the CSV is not UTF-8 text", type_="validation") from None
    except orjson.JSONDecodeError as exc:
        raise Problem(
            422,
            f"the body is not JSON ({exc}); send CSV with Content-Type: text/csv",
            type_="validation",
        ) from None
    except service.SiteError as exc:
        raise _problem(exc) from None
    if isinstance(document, dict) and "sites" in document:
        items = document["sites"]
        year = document.get("year", year)
        if not isinstance(items, list):
            raise Problem(422, "body.sites must be a list of sites", type_="validation")
        return False, list(service.sites_from_json(items, default_year=year))
    if isinstance(document, list):
        return False, list(service.sites_from_json(document, default_year=year))
    if isinstance(document, dict):
        try:
            return True, [service.site_from(document, 0, default_year=year)]
        except service.SiteError as exc:
            message = exc.message.removeprefix("row 1: ")
            raise Problem(422, message, type_="validation", extensions=exc.extensions) from None
    raise Problem(422, "the body must be a site object, a list of sites or CSV", type_="validation")


def _render(result: dict[str, Any], format: Format) -> Response:
    if format is Format.JSON:
        return Response(orjson.dumps(result), media_type="application/json")
    releases = {r["release_id"]: r for r in result["meta"]["releases"]}
    rows = service.flat_rows(result["data"], releases)
    columns = service.flat_columns()
    values = [[row[c] for c in columns] for row in rows]
    if format is Format.PARQUET:
        body = parquet_bytes(columns, values)
        extension = "parquet"
    else:
        body = b"".join(csv_chunks(columns, values, raw=format is Format.CSV_RAW))
        extension = "csv"
    return Response(
        body,
        media_type=MEDIA_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="emissions.{extension}"'},
    )
