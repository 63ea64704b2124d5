"""/plants, /plants/top, /plants/{id}, history and generators, against the source CSVs."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from pathlib import Path

from tests.api.conftest import (
    GENERATORS_2023,
    PLANTS_2022,
    MakeClient,
    approx,
    number,
    read_rows,
)
from tests.support.egrid_files import write_csv


def test_top_2023_tx_sums_generators_when_no_plant_sheet(
    make_client: MakeClient, samples: Path
) -> None:
    client = make_client(GENERATORS_2023)
    totals: dict[str, float] = defaultdict(float)
    counts: dict[str, int] = defaultdict(int)
    for row in read_rows(samples / GENERATORS_2023):
        if row["PSTATEABB"] == "TX":
            totals[row["PNAME"]] += number(row["GENNTAN"]) or 0.0
            counts[row["PNAME"]] += 1
    expected = sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))[:10]

    response = client.get("/api/v1/plants/top", params={"year": 2023, "state": "TX"})

    assert response.status_code == 200
    body = response.json()
    assert body["meta"]["source"] == "generators"
    assert body["meta"]["year"] == 2023
    assert [(r["plant_name"], r["net_generation_mwh"]) for r in body["data"]] == [
        (name, approx(value)) for name, value in expected
    ]
    first = body["data"][0]
    assert first["plant_id_eia"] is None
    assert first["state"] == "TX"
    assert first["rank"] == 1
    assert first["generator_count"] == counts[first["plant_name"]]


def test_top_from_plant_sheet_and_filters(make_client: MakeClient, samples: Path) -> None:
    client = make_client(PLANTS_2022, GENERATORS_2023)
    rows = [r for r in read_rows(samples / PLANTS_2022) if r["PSTATABB"] in ("NE", "IA")]
    wind = [r for r in rows if r["PLFUELCT"] == "WIND"]
    expected = sorted(wind, key=lambda r: -(number(r["PLNGENAN"]) or float("-inf")))[:5]

    response = client.get(
        "/api/v1/plants/top",
        params={"year": 2022, "state": ["NE", "IA"], "fuel": "wind", "limit": 5},
    )

    body = response.json()
    assert body["meta"]["source"] == "plant"
    assert [r["plant_id_eia"] for r in body["data"]] == [int(r["ORISPL"]) for r in expected]
    assert body["data"][0]["net_generation_mwh"] == approx(number(expected[0]["PLNGENAN"]))

    by_co2 = client.get("/api/v1/plants/top", params={"year": 2022, "metric": "co2_tons"}).json()
    top_co2 = max(read_rows(samples / PLANTS_2022), key=lambda r: number(r["PLCO2AN"]) or 0)
    assert by_co2["data"][0]["plant_id_eia"] == int(top_co2["ORISPL"])
    assert by_co2["meta"]["unit"] == "tons"


def test_list_filters(make_client: MakeClient, samples: Path) -> None:
    client = make_client(PLANTS_2022)
    rows = read_rows(samples / PLANTS_2022)

    def ids(params: dict[str, object]) -> set[int]:
        body = client.get("/api/v1/plants", params={**params, "limit": 1000}).json()
        assert body["meta"]["count"] == len(body["data"]) == body["meta"]["total"]
        return {r["plant_id_eia"] for r in body["data"]}

    assert ids({"state": ["NE", "SD"]}) == {
        int(r["ORISPL"]) for r in rows if r["PSTATABB"] in ("NE", "SD")
    }
    assert ids({"fuel": ["COAL", "GAS"], "nerc": "MRO"}) == {
        int(r["ORISPL"]) for r in rows if r["PLFUELCT"] in ("COAL", "GAS") and r["NERC"] == "MRO"
    }
    assert ids({"capacity_min": 100, "capacity_max": 500}) == {
        int(r["ORISPL"]) for r in rows if 100 <= (number(r["NAMEPCAP"]) or -1) <= 500
    }
    assert ids({"q": "WIND FARM"}) == {
        int(r["ORISPL"]) for r in rows if "wind farm" in r["PNAME"].lower()
    }
    bbox = (-100.0, 40.0, -96.0, 43.0)
    assert ids({"bbox": ",".join(map(str, bbox))}) == {
        int(r["ORISPL"])
        for r in rows
        if r["LAT"]
        and bbox[0] <= float(r["LON"]) <= bbox[2]
        and bbox[1] <= float(r["LAT"]) <= bbox[3]
    }
    assert ids({"subregion": "MROW", "ba": "SWPP"}) == {
        int(r["ORISPL"]) for r in rows if r["SUBRGN"] == "MROW" and r["BACODE"] == "SWPP"
    }


def test_cursor_pagination_walks_every_row_once(make_client: MakeClient, samples: Path) -> None:
    client = make_client(PLANTS_2022)
    expected = len(read_rows(samples / PLANTS_2022))
    for sort in (None, "-net_generation_mwh", "co2_rate_lb_per_mwh"):
        seen: list[int] = []
        values: list[float | None] = []
        cursor = None
        pages = 0
        while True:
            params: dict[str, object] = {"limit": 97}
            if sort:
                params["sort"] = sort
            if cursor:
                params["cursor"] = cursor
            body = client.get("/api/v1/plants", params=params).json()
            seen += [r["plant_id_eia"] for r in body["data"]]
            if sort:
                values += [r[sort.lstrip("-")] for r in body["data"]]
            pages += 1
            cursor = body["meta"]["next_cursor"]
            if cursor is None:
                break
        assert len(seen) == len(set(seen)) == expected, sort
        assert pages == -(-expected // 97)
        if sort:  # sorted, nulls last
            present = [v for v in values if v is not None]
            assert values[: len(present)] == present
            assert present == sorted(present, reverse=sort.startswith("-"))


def test_plant_detail_has_every_column_and_provenance(
    make_client: MakeClient, samples: Path
) -> None:
    client = make_client(PLANTS_2022)
    source = next(r for r in read_rows(samples / PLANTS_2022) if r["ORISPL"] == "2291")

    body = client.get("/api/v1/plants/2291").json()

    plant = body["data"]
    assert plant["plant_name"] == source["PNAME"]
    assert plant["net_generation_mwh"] == approx(number(source["PLNGENAN"]))
    assert plant["co2_rate_lb_per_mwh"] == approx(number(source["PLCO2RTA"]))
    assert plant["state_fips"] == source["FIPSST"]  # text keeps its leading zero
    assert "gas_share" in plant
    assert "coal_generation_mwh" in plant
    assert "extra" in plant
    provenance = plant["provenance"]
    digest = hashlib.sha256((samples / PLANTS_2022).read_bytes()).hexdigest()
    assert provenance["sha256"] == digest
    assert provenance["file_name"] == PLANTS_2022
    assert provenance["release_id"] > 0
    assert provenance["loaded_at"]
    assert body["meta"]["years"] == [2022]

    history = client.get("/api/v1/plants/2291/history").json()
    assert [r["data_year"] for r in history["data"]] == [2022]
    assert history["data"][0]["net_generation_mwh"] == plant["net_generation_mwh"]

    generators = client.get("/api/v1/plants/2291/generators").json()
    assert generators["data"] == []
    assert generators["meta"]["source"] == "generator"


def test_unknown_plant_is_404_problem(make_client: MakeClient) -> None:
    client = make_client(PLANTS_2022)
    for path in (
        "/api/v1/plants/999999",
        "/api/v1/plants/999999/history",
        "/api/v1/plants/999999/generators",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"] == "application/problem+json"
        assert "999999" in response.json()["detail"]
    assert client.get("/api/v1/plants/2291", params={"year": 2019}).status_code == 404


def test_pumped_storage_negative_generation_is_kept(make_client: MakeClient, samples: Path) -> None:
    client = make_client(PLANTS_2022)
    negatives = {
        int(r["ORISPL"]): number(r["PLNGENAN"])
        for r in read_rows(samples / PLANTS_2022)
        if (number(r["PLNGENAN"]) or 0) < 0
    }
    assert negatives
    body = client.get(
        "/api/v1/plants", params={"sort": "net_generation_mwh", "limit": len(negatives)}
    ).json()
    assert {r["plant_id_eia"]: r["net_generation_mwh"] for r in body["data"]} == {
        k: approx(v) for k, v in negatives.items()
    }


def test_generators_list(make_client: MakeClient, samples: Path) -> None:
    client = make_client(GENERATORS_2023)
    rows = [r for r in read_rows(samples / GENERATORS_2023) if r["PSTATEABB"] in ("VT", "RI")]

    body = client.get(
        "/api/v1/generators",
        params={"state": ["vt", "RI"], "sort": "-net_generation_mwh", "limit": 1000},
    ).json()

    assert body["meta"]["total"] == len(rows)
    top = max(rows, key=lambda r: number(r["GENNTAN"]) or float("-inf"))
    assert body["data"][0]["plant_name"] == top["PNAME"]
    assert body["data"][0]["plant_id_eia"] is None
    assert client.get("/api/v1/units").json()["data"] == []


def test_two_generators_under_one_genid_are_both_served_and_reported(
    make_client: MakeClient, tmp_path: Path
) -> None:
    """EPA published a GEN sheet where plant 3 lists GENID 1 twice (a steam and a combustion
    turbine): both rows are served, sums count both, and /quality says so."""
    codes = ["SEQGEN21", "YEAR", "PSTATABB", "PNAME", "ORISPL", "GENID", "PRMVR", "GENNTAN"]
    rows = [
        ["1", "2021", "AL", "Barry", "3", "1", "ST", "20961"],
        ["2", "2021", "AL", "Barry", "3", "1", "CT", "(11)"],
        ["3", "2021", "AL", "Barry", "3", "2", "ST", "100.5"],
    ]
    client = make_client(write_csv(tmp_path / "gen2021.csv", [codes], rows))
    generators = client.get("/api/v1/plants/3/generators", params={"year": 2021}).json()["data"]
    assert sorted((g["generator_id"], g["prime_mover"]) for g in generators) == [
        ("1", "CT"),
        ("1", "ST"),
        ("2", "ST"),
    ]
    top = client.get("/api/v1/plants/top", params={"year": 2021}).json()["data"]
    assert [(p["plant_id_eia"], p["net_generation_mwh"]) for p in top] == [(3, 21050.5)]
    quality = client.get("/api/v1/quality").json()
    assert quality["meta"]["count"] == 1
    (note,) = quality["data"]
    assert (note["level"], note["data_year"], note["kind"], note["key"], note["rows"]) == (
        "generator",
        2021,
        "duplicate_key",
        "3/1",
        [2, 3],  # the file's rows: its header is row 1
    )
    assert note["columns"] == ["ORISPL", "GENID"]
    years = client.get("/api/v1/years").json()["data"]
    assert [(y["level"], y["quality_notes"]) for y in years] == [("generator", 1)]
