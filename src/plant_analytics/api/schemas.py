"""Response models: the OpenAPI document's shapes and examples.

Routes return pre-serialised JSON (orjson) for speed, so these models document rather than
validate; ``tests/api/test_openapi.py`` checks real responses against them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")


class ListMeta(BaseModel):
    model_config = ConfigDict(extra="allow")

    count: int = Field(description="Rows in `data`.", examples=[2])
    next_cursor: str | None = Field(
        None, description="Pass as `cursor` for the next page; null on the last page."
    )
    source: str | list[str] | None = Field(
        None, description="Where the rows come from, e.g. `plant`, `generators`, `region_sheet`."
    )
    data_version: str = Field(
        description="The data release the rows belong to (also the ETag).", examples=["15.15.14"]
    )


class Page(BaseModel, Generic[T]):
    """Every list: ``data`` and ``meta``."""

    data: list[T]
    meta: ListMeta


class One(BaseModel, Generic[T]):
    data: T
    meta: dict[str, Any]


class PlantRow(BaseModel):
    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "description": "Every canonical column of the plant sheet (see /metrics-catalog)."
        },
    )

    data_year: int = Field(examples=[2022])
    plant_id_eia: int | None = Field(description="ORISPL", examples=[2291])
    plant_name: str | None = Field(examples=["North Omaha"])
    state: str | None = Field(examples=["NE"])
    fuel_category: str | None = Field(examples=["COAL"])
    subregion: str | None = Field(examples=["MROW"])
    ba_code: str | None = Field(examples=["SWPP"])
    nerc_region: str | None = Field(examples=["MRO"])
    latitude: float | None = Field(examples=[41.3297])
    longitude: float | None = Field(examples=[-95.9458])
    nameplate_capacity_mw: float | None = Field(examples=[644.7])
    net_generation_mwh: float | None = Field(
        description="Negative for net consumers such as pumped storage.", examples=[1878093.0]
    )
    co2_tons: float | None = Field(examples=[2048772.5])
    co2_rate_lb_per_mwh: float | None = Field(examples=[2181.7])
    release_id: int = Field(examples=[6])


class TopPlant(BaseModel):
    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "example": {
                "rank": 1,
                "plant_id_eia": None,
                "plant_name": "South Texas Project",
                "state": "TX",
                "generator_count": 2,
                "nameplate_capacity_mw": None,
                "net_generation_mwh": 21787144.0,
            }
        },
    )

    rank: int
    plant_id_eia: int | None = Field(
        description="ORISPL; null when the year's generators carry none (2023 extract)."
    )
    plant_name: str | None
    state: str | None
    net_generation_mwh: float | None
    generator_count: int | None = Field(None, description="Only when summed from generators.")


class TopMeta(ListMeta):
    source: str = Field(
        description="`plant`: values of the PLNT sheet; `generators`: sums of the plant's "
        "generators (the year has no plant sheet loaded).",
        examples=["generators"],
    )
    year: int = Field(examples=[2023])
    metric: str = Field(examples=["net_generation_mwh"])
    unit: str = Field(examples=["MWh"])


class TopPlants(BaseModel):
    data: list[TopPlant]
    meta: TopMeta


class Provenance(BaseModel):
    release_id: int = Field(examples=[6])
    file_name: str = Field(examples=["plnt2022_subset_NE_MROW_SPPN_SPPS.csv"])
    sheet: str | None = Field(examples=[None])
    sha256: str = Field(
        examples=["81482ac67da642f89c15c7839454767e8cdf100eba5df3533e084a9c04de0fd3"]
    )
    revision: str | None = Field(examples=[None])
    loaded_at: datetime
    source_row: int = Field(description="Row number in the source file.", examples=[412])


class PlantDetail(PlantRow):
    extra: dict[str, Any] | None = Field(
        description="Source columns without a canonical name, verbatim."
    )
    provenance: Provenance
    release_id: int | None = None  # type: ignore[assignment]


class GeneratorRow(BaseModel):
    model_config = ConfigDict(extra="allow")

    data_year: int = Field(examples=[2023])
    plant_id_eia: int | None = Field(
        description="Null in extracts without ORISPL (then keyed on state + plant name).",
        examples=[None],
    )
    plant_name: str | None = Field(examples=["Comanche Peak"])
    state: str | None = Field(examples=["TX"])
    generator_id: str | None = Field(examples=["1"])
    nameplate_capacity_mw: float | None = Field(examples=[None])
    net_generation_mwh: float | None = Field(examples=[9536530.0])
    release_id: int = Field(examples=[1])


class UnitRow(BaseModel):
    model_config = ConfigDict(extra="allow")

    data_year: int = Field(examples=[2023])
    plant_id_eia: int | None = Field(examples=[3])
    unit_id: str | None = Field(examples=["1"])
    state: str | None = Field(examples=["AL"])
    release_id: int = Field(examples=[1])


class RegionRow(BaseModel):
    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "description": "Totals, resource mix (`*_share`, fractions 0-1), generation by fuel "
            "(`*_generation_mwh`) and emission rates (`*_rate_lb_per_mwh`)."
        },
    )

    code: str = Field(examples=["NE"])
    name: str | None = Field(examples=["Nebraska"])
    data_year: int = Field(examples=[2022])
    net_generation_mwh: float | None = Field(examples=[40301545.0])
    co2_tons: float | None = Field(examples=[21984012.0])
    co2_rate_lb_per_mwh: float | None = Field(examples=[1091.1])
    wind_share: float | None = Field(examples=[0.29])


class AggregateRow(BaseModel):
    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "example": {
                "state": "NE",
                "data_year": 2022,
                "plant_count": 160,
                "net_generation_mwh": 40301545.0,
                "co2_tons": 21984012.0,
                "co2_rate_lb_per_mwh": 1091.0,
            }
        },
    )

    data_year: int
    plant_count: int | None = None


class TrendPoint(BaseModel):
    data_year: int = Field(examples=[2022])
    value: float | None = Field(examples=[1091.1])
    source: str = Field(examples=["region_sheet"])


class YearRow(BaseModel):
    level: str = Field(examples=["plant"])
    data_year: int = Field(examples=[2022])
    release_id: int = Field(examples=[6])
    revision: str | None = Field(examples=["rev1"])
    file_name: str = Field(examples=["egrid2022_data.xlsx"])
    sheet: str | None = Field(examples=["PLNT22"])
    sha256: str
    row_count: int = Field(examples=[11973])
    loaded_at: datetime
    quality_notes: int = Field(
        description="How many data-quality notes the release has (see /quality).", examples=[0]
    )


class QualityNote(BaseModel):
    """What a loaded file holds as EPA published it: loaded exactly, and reported."""

    level: str = Field(examples=["generator"])
    data_year: int = Field(examples=[2021])
    release_id: int = Field(examples=[6])
    file_name: str = Field(examples=["egrid2021_data.xlsx"])
    sheet: str | None = Field(examples=["GEN21"])
    kind: str = Field(
        description="`duplicate_key`: a natural key on several rows, each loaded; "
        "`sequence_not_unique`: rows identified by their row in the file.",
        examples=["duplicate_key"],
    )
    columns: list[str] = Field(
        description="The key's source codes.", examples=[["ORISPL", "GENID"]]
    )
    key: str | None = Field(
        description="The repeated key, its parts joined by /.", examples=["3/1"]
    )
    rows: list[int] = Field(description="The rows of the file that hold it.", examples=[[3, 4]])
    note: str = Field(
        examples=["ORISPL+GENID '3/1' is on 2 rows (3, 4); each is loaded as published"]
    )


class MetricEntry(BaseModel):
    code: str = Field(description="The API's name for the metric.", examples=["co2_tons"])
    description: str = Field(examples=["annual CO2 emissions (tons)"])
    unit: str | None = Field(examples=["tons"])
    kind: str = Field(examples=["number"])
    aggregation: str | None = Field(examples=["sum"])
    levels: list[str] = Field(examples=[["plant", "state", "us"]])
    source_codes: list[str] = Field(examples=[["PLCO2AN", "STCO2AN", "USCO2AN"]])
    years: list[int] = Field(description="Years loaded for those levels.", examples=[[2022]])


class StateRow(BaseModel):
    code: str = Field(examples=["TX"])
    name: str | None = Field(examples=["Texas"])
    years: list[int] = Field(examples=[[2018, 2019, 2022, 2023]])
    years_by_level: dict[str, list[int]]
