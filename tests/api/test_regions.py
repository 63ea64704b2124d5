"""/regions, /aggregates and /trends: the region sheets as loaded, and eGRID's rules."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from plant_analytics.egrid.catalog import spec_for_code
from plant_analytics.egrid.levels import Level
from tests.api.conftest import (
    GENERATORS_2023,
    PLANTS_2022,
    STATES_2018_2019,
    STATES_2022,
    MakeClient,
    approx,
    number,
    read_rows,
)

TINY_PLANTS = (
    "SEQPLT22,YEAR,PSTATABB,PNAME,ORISPL,PLFUELCT,SUBRGN,NAMEPCAP,PLNGENAN,PLCO2AN,PLNOXAN,"
    "PLCH4AN,PLSO2AN\n"
    "1,2022,XA,Zero A,900001,GAS,ZZZZ,10,0,5,1,3,\n"
    "2,2022,XA,Zero B,900002,GAS,ZZZZ,10,0,7,,,\n"
    "3,2022,XB,Pump,900003,HYDRO,ZZZZ,100,-500,,,,\n"
    "4,2022,XB,Gen,900004,COAL,ZZZZ,100,1500,1000,2,10,\n"
)


def test_state_rows_equal_the_state_sheet(make_client: MakeClient, samples: Path) -> None:
    client = make_client(STATES_2022, PLANTS_2022)
    source = {r["PSTATABB"]: r for r in read_rows(samples / STATES_2022)}

    body = client.get("/api/v1/regions/state", params={"year": 2022}).json()

    assert body["meta"]["source"] == "region_sheet"
    assert len(body["data"]) == len(source) == 52
    checked = 0
    for row in body["data"]:
        for code, text in source[row["code"]].items():
            spec = spec_for_code(Level.STATE, code, 2022)
            if spec is None or spec.column in ("state", "data_year", "state_fips"):
                continue
            assert row[spec.column] == approx(number(text)), (row["code"], code)
            checked += 1
    assert checked > 52 * 150

    one = client.get("/api/v1/regions/state/ne", params={"year": 2022}).json()
    assert one["data"]["code"] == "NE"
    assert one["data"]["name"] == "Nebraska"
    assert one["data"]["co2_rate_lb_per_mwh"] == approx(number(source["NE"]["STCO2RTA"]))
    assert one["data"]["wind_share"] == approx(number(source["NE"]["STWIPR"]))
    assert one["meta"]["source"] == "region_sheet"
    missing = client.get("/api/v1/regions/state/ZZ", params={"year": 2022})
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


def _expected_by(rows: list[dict[str, str]], key: str) -> dict[str, dict[str, float | None]]:
    sums: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        for code in ("PLNGENAN", "PLCO2AN", "PLNOXAN", "PLCH4AN", "PLGENAWI", "NAMEPCAP"):
            value = number(row[code])
            if value is not None:
                sums[row[key]][code].append(value)
    out: dict[str, dict[str, float | None]] = {}
    for group, columns in sums.items():
        total = {c: (sum(v) if v else None) for c, v in columns.items()}
        mwh = total.get("PLNGENAN")

        def ratio(
            code: str,
            factor: float,
            totals: dict[str, float | None] = total,
            denominator: float | None = mwh,
        ) -> float | None:
            mass = totals.get(code)
            return None if mass is None or not denominator else factor * mass / denominator

        out[group] = {
            "net_generation_mwh": mwh,
            "co2_tons": total.get("PLCO2AN"),
            "co2_rate_lb_per_mwh": ratio("PLCO2AN", 2000),
            "nox_rate_lb_per_mwh": ratio("PLNOXAN", 2000),
            "ch4_rate_lb_per_mwh": ratio("PLCH4AN", 1),
            "wind_share": ratio("PLGENAWI", 1),
        }
    return out


def test_aggregates_follow_egrids_rules(make_client: MakeClient, samples: Path) -> None:
    client = make_client(PLANTS_2022)
    rows = read_rows(samples / PLANTS_2022)
    metrics = [
        "net_generation_mwh",
        "co2_tons",
        "co2_rate_lb_per_mwh",
        "nox_rate_lb_per_mwh",
        "ch4_rate_lb_per_mwh",
        "wind_share",
    ]
    for group_by, code in (("state", "PSTATABB"), ("fuel", "PLFUELCT"), ("ba", "BACODE")):
        expected = _expected_by(rows, code)
        body = client.get(
            "/api/v1/aggregates", params={"group_by": group_by, "year": 2022, "metric": metrics}
        ).json()
        assert body["meta"]["source"] == "plants"
        got = {(r[group_by] or ""): r for r in body["data"]}
        assert set(got) == set(expected)
        for group, values in expected.items():
            for metric, value in values.items():
                assert got[group][metric] == approx(value), (group_by, group, metric)


def test_regions_computed_from_plants_when_no_sheet(make_client: MakeClient, samples: Path) -> None:
    client = make_client(PLANTS_2022)
    expected = _expected_by(read_rows(samples / PLANTS_2022), "SUBRGN")

    body = client.get("/api/v1/regions/subregion", params={"year": 2022}).json()

    assert body["meta"]["source"] == "plants"
    got = {r["code"]: r for r in body["data"]}
    assert set(got) == set(expected)
    assert got["MROW"]["name"] == "MRO West"
    for metric in ("co2_rate_lb_per_mwh", "wind_share", "net_generation_mwh"):
        assert got["MROW"][metric] == approx(expected["MROW"][metric])


def test_na_when_the_denominator_is_zero(make_client: MakeClient, tmp_path: Path) -> None:
    path = tmp_path / "plnt_tiny.csv"
    path.write_text(TINY_PLANTS)
    client = make_client(path)

    body = client.get(
        "/api/v1/aggregates",
        params={
            "group_by": "state",
            "metric": [
                "net_generation_mwh",
                "co2_tons",
                "co2_rate_lb_per_mwh",
                "so2_tons",
                "so2_rate_lb_per_mwh",
                "ch4_rate_lb_per_mwh",
            ],
        },
    ).json()

    rows = {r["state"]: r for r in body["data"]}
    zero = rows["XA"]  # two plants, 0 MWh in all
    assert zero["net_generation_mwh"] == 0
    assert zero["co2_tons"] == 12
    assert zero["co2_rate_lb_per_mwh"] is None  # 2000 * 12 / 0 is NA, not infinity or 0
    assert zero["so2_tons"] is None  # every input NA: NA, not 0
    assert zero["so2_rate_lb_per_mwh"] is None
    pumped = rows["XB"]  # -500 MWh of pumped storage counts
    assert pumped["net_generation_mwh"] == 1000
    assert pumped["co2_rate_lb_per_mwh"] == pytest.approx(2000 * 1000 / 1000)
    assert pumped["ch4_rate_lb_per_mwh"] == pytest.approx(10 / 1000)


def test_state_2023_from_generators_and_trends(make_client: MakeClient, samples: Path) -> None:
    client = make_client(GENERATORS_2023, STATES_2022, STATES_2018_2019)
    tx = sum(
        number(r["GENNTAN"]) or 0.0
        for r in read_rows(samples / GENERATORS_2023)
        if r["PSTATEABB"] == "TX"
    )

    body = client.get("/api/v1/regions/state/TX", params={"year": 2023}).json()
    assert body["meta"]["source"] == "generators"
    assert body["data"]["net_generation_mwh"] == approx(tx)

    trend = client.get(
        "/api/v1/trends", params={"level": "state", "code": "TX", "metric": "net_generation_mwh"}
    ).json()
    sheets = {
        int(r.get("Year") or r["YEAR"]): number(r["STNGENAN"])
        for name in (STATES_2018_2019, STATES_2022)
        for r in read_rows(samples / name)
        if r["PSTATABB"] == "TX"
    }
    assert [p["data_year"] for p in trend["data"]] == [2018, 2019, 2022, 2023]
    assert [p["value"] for p in trend["data"]] == [
        approx(sheets[2018]),
        approx(sheets[2019]),
        approx(sheets[2022]),
        approx(tx),
    ]
    assert [p["source"] for p in trend["data"]][-1] == "generators"
    bad = client.get("/api/v1/trends", params={"level": "state", "code": "TX", "metric": "nope"})
    assert bad.status_code == 422
    assert "metric" in bad.json()["detail"]
