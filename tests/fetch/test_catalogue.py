"""The release catalogue (egrid/data/releases.csv): well formed, and in step with the
editions (editions.csv) and the column maps."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from plant_analytics.egrid.catalog import column_specs
from plant_analytics.egrid.editions import editions
from plant_analytics.egrid.levels import Level
from plant_analytics.fetch.catalogue import (
    CatalogueError,
    FileKind,
    bundled_catalogue,
    current_files,
    newer_than,
    select,
)

FILES = bundled_catalogue()


def test_rows_are_unique() -> None:
    ids = [f.file_id for f in FILES]
    assert len(ids) == len(set(ids))
    urls = [f.url.lower() for f in FILES]
    assert len(urls) == len(set(urls))
    assert all(re.fullmatch(r"[a-z0-9_]+", i) for i in ids)


@pytest.mark.parametrize("item", FILES, ids=lambda f: f.file_id)
def test_every_url_is_well_formed(item) -> None:  # type: ignore[no-untyped-def]
    url = urlsplit(item.url)
    assert url.scheme in {"http", "https"}
    assert url.netloc == "www.epa.gov"
    assert not url.query
    assert not url.fragment
    assert url.path.endswith("/" + item.file_name), "the URL names the file"
    suffix = {FileKind.ZIP: ".zip"}.get(item.kind)
    assert item.file_name.lower().endswith(suffix or ".xlsx")
    assert item.published == "" or re.fullmatch(r"\d{4}-\d{2}", item.published)
    if re.search(r"/(\d{4}-\d{2})/", item.url):
        assert item.published == re.search(r"/(\d{4}-\d{2})/", item.url).group(1)  # type: ignore[union-attr]
    assert item.sha256 is None or re.fullmatch(r"[0-9a-f]{64}", item.sha256)
    assert item.source, "every row cites where its URL came from"


def test_every_editions_years_agree_with_editions_csv_and_the_column_maps() -> None:
    by_edition: dict[str, set[int]] = {}
    for e in editions():
        by_edition.setdefault(e.edition_id, set()).add(e.data_year)
    mapped_years = {
        year
        for level in Level
        for spec in column_specs(level)
        for year in range(spec.first_year or 1996, (spec.last_year or 2023) + 1)
    }
    for item in FILES:
        assert item.edition_ids, item.file_id
        declared = set().union(*(by_edition[e] for e in item.edition_ids))
        assert set(item.data_years) <= declared, (item.file_id, set(item.data_years) - declared)
        # each edition listed contributes a year
        for edition_id in item.edition_ids:
            assert by_edition[edition_id] & set(item.data_years), (item.file_id, edition_id)
        assert set(item.data_years) <= mapped_years, item.file_id
    # every edition and data year EPA published is reachable through some file
    covered = {y for f in FILES if f.kind.loadable for y in f.data_years}
    assert {e.data_year for e in editions()} <= covered


def test_the_newest_file_of_each_year_is_the_one_editions_csv_names() -> None:
    names = {e.data_year: {n.lower() for n in e.file_names} for e in editions()}
    for item in current_files(FILES):
        if item.kind is FileKind.ZIP:
            continue
        for year in item.data_years:
            assert item.file_name.lower() in names[year], (year, item.file_name)


def test_selection() -> None:
    assert [f.file_id for f in select(FILES, "latest")] == ["egrid2023_data_rev2"]
    assert [f.file_id for f in select(FILES, "2022")] == ["egrid2022_data"]
    assert [f.file_id for f in select(FILES, "2020")] == ["egrid2020_data_v2"]
    assert [f.file_id for f in select(FILES, "2014")] == ["egrid_historical_since_1996"]
    assert [f.file_id for f in select(FILES, "egrid2023_data_rev1")] == ["egrid2023_data_rev1"]
    everything = select(FILES, "all")
    assert len(everything) == len({f.file_id for f in everything})
    assert {y for f in everything for y in f.data_years} >= set(range(2018, 2024))
    with pytest.raises(CatalogueError, match="no eGRID file for data year 2013"):
        select(FILES, "2013")
    with pytest.raises(CatalogueError, match="metric"):
        select(FILES, "egrid2023_data_metric_rev2")
    with pytest.raises(CatalogueError, match="fetch --list"):
        select(FILES, "newest")


def test_newer_revision() -> None:
    by_id = {f.file_id: f for f in FILES}
    assert newer_than(by_id["egrid2023_data_rev1"], FILES) == by_id["egrid2023_data_rev2"]
    assert newer_than(by_id["egrid2020_data"], FILES) == by_id["egrid2020_data_v2"]
    assert newer_than(by_id["egrid2023_data_rev2"], FILES) is None


def test_a_base_url_keeps_each_path() -> None:
    item = select(FILES, "2022")[0]
    assert item.url_for(None) == item.url
    assert (
        item.url_for("http://127.0.0.1:8080/mirror/")
        == "http://127.0.0.1:8080/mirror/system/files/documents/2024-01/egrid2022_data.xlsx"
    )
