"""``make bench-emissions``: a 100,000-site emissions estimate, end to end in one process.

The sites are drawn (seeded) from the Power Profiler's ZIP table, with a few subregion
sites mixed in; the database is a freshly migrated SQLite file loaded with the Power
Profiler's 2023 subregion table and the ZIP lookup (the load is outside the timing). Each
repetition times:

1. ``parse``: the sites CSV into sites (``sites_from_csv``);
2. ``estimate``: every site's estimate, totals and releases (``report``), lookup included;
3. ``csv``: the report written as CSV, one row per site.

The median of the repetitions is reported. Every run checks that every site was estimated.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import tempfile
import time
from pathlib import Path

from plant_analytics.api.formats import csv_chunks
from plant_analytics.api.services import emissions as service
from plant_analytics.db.engine import make_engine
from plant_analytics.db.migrate import upgrade
from plant_analytics.ingest.seed import REPOSITORY_SAMPLES
from plant_analytics.ingest.service import IngestOptions, ingest_file

ZIP_TABLE = REPOSITORY_SAMPLES / "crosswalks" / "power_profiler_zip_subregion_2023.csv"
SUBREGIONS = REPOSITORY_SAMPLES / "power-profiler" / "subregion_2023rev2.json"


def sites_csv(count: int, seed: int = 16) -> str:
    rng = random.Random(seed)
    zips = sorted(
        {line.split(",", 1)[0] for line in ZIP_TABLE.read_text("utf-8-sig").splitlines()[1:]}
    )
    lines = ["site_id,zip,subregion,kwh"]
    for n in range(count):
        if n % 50 == 0:
            lines.append(f"s{n},,ERCT,{rng.randint(100, 10_000_000)}")
        else:
            lines.append(f"s{n},{rng.choice(zips)},,{rng.randint(100, 10_000_000)}")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sites", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pa-bench-emissions-") as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        engine = make_engine(url)
        upgrade(engine)
        for path, year in ((SUBREGIONS, None), (ZIP_TABLE, 2023)):
            result = ingest_file(engine, path, IngestOptions(year=year))
            assert result.ok, result.message
        text = sites_csv(args.sites)
        timings: dict[str, list[float]] = {"parse": [], "estimate": [], "csv": []}
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            sites = list(service.sites_from_csv(text))
            t1 = time.perf_counter()
            report = service.report(engine, sites)
            t2 = time.perf_counter()
            releases = {r["release_id"]: r for r in report["meta"]["releases"]}
            columns = service.flat_columns()
            rows = service.flat_rows(report["data"], releases)
            body = b"".join(csv_chunks(columns, ([r[c] for c in columns] for r in rows)))
            t3 = time.perf_counter()
            assert report["totals"]["estimated"] == args.sites, report["totals"]
            assert body.count(b"\n") == args.sites + 1
            timings["parse"].append(t1 - t0)
            timings["estimate"].append(t2 - t1)
            timings["csv"].append(t3 - t2)
        engine.dispose()
    total = sum(statistics.median(v) for v in timings.values())
    print(f"emissions estimate, {args.sites:,} sites, median of {args.repeat}")
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, SQLite"
    )
    for stage, values in timings.items():
        print(f"  {stage:<9} {statistics.median(values):7.2f} s")
    print(f"  {'total':<9} {total:7.2f} s  ({args.sites / total:,.0f} sites/s)")


if __name__ == "__main__":
    main()
