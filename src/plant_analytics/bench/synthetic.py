"""A full-size synthetic eGRID workbook, in EPA's layout, built from the real PLNT22 rows.

The workbook has the sheets of an eGRID release that matter for loading speed:

- ``Contents``: a few lines of text, as in EPA's workbooks (not a data sheet);
- ``PLNT22``: the real PLNT22 rows of ``data/egrid/plnt2022_subset_NE_MROW_SPPN_SPPS.csv``
  (141 columns) replicated to ``plants`` rows under new, unique plant codes
  (``ORISPL`` = 900000 + i) and a new ``SEQPLT22`` (1..plants);
- ``GEN22``: ``generators`` generator rows (the 17 columns of eGRID's GEN sheet), a few
  per plant in proportion to the plant's ``NUMGEN``, with values derived from the plant
  (capacity and generation split over its generators, a prime mover that fits its fuel).

Row 1 holds the long descriptions, row 2 the codes, data starts in row 3. Cells of numeric
columns are written as numbers, text columns as text, empty cells are left empty. The
workbook is written with xlsxwriter in ``constant_memory`` mode and cached, keyed by
:data:`VERSION`, the sizes and the source file's hash, so reruns skip the build.
"""

from __future__ import annotations

import csv
import hashlib
import os
import random
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import xlsxwriter

from plant_analytics.egrid.catalog import Kind, spec_for_code
from plant_analytics.egrid.levels import Level

VERSION = "v1"
YEAR = 2022
PLANT_SHEET = "PLNT22"
GENERATOR_SHEET = "GEN22"
FIRST_PLANT_CODE = 900_000
SOURCE_NAME = "plnt2022_subset_NE_MROW_SPPN_SPPS.csv"
GENERATOR_CODES = (
    "SEQGEN22", "YEAR", "PSTATABB", "PNAME", "ORISPL", "GENID", "NUMBLR", "GENSTAT", "PRMVR",
    "FUELG1", "NAMEPCAP", "CFACT", "GENNTAN", "GENNTOZ", "GENERSRC", "GENYRONL", "GENYRRET",
)  # fmt: skip
# Primary fuel -> the prime movers a generator burning it typically has (EIA-860 codes).
PRIME_MOVERS: dict[str, tuple[str, ...]] = {
    "SUN": ("PV",),
    "WND": ("WT",),
    "WAT": ("HY",),
    "NG": ("CT", "CA", "GT"),
    "DFO": ("IC", "GT"),
    "KER": ("GT",),
    "OBG": ("IC",),
    "LFG": ("IC",),
    "MWH": ("BA",),
    "NUC": ("ST",),
}
RENEWABLE = frozenset({"SUN", "WND", "MWH", "WAT"})
GENID_PREFIX = {"PV": "PV", "WT": "WT", "BA": "BESS", "CT": "CT", "CA": "CA", "GT": "GT"}


@dataclass(frozen=True)
class BuildInfo:
    """Where the workbook is, what it holds and how long the build took (None: cached)."""

    path: Path
    plants: int
    generators: int
    build_seconds: float | None

    @property
    def cached(self) -> bool:
        return self.build_seconds is None


def repo_root() -> Path:
    return Path(__file__).resolve().parents[3]


def default_source() -> Path:
    return repo_root() / "data" / "egrid" / SOURCE_NAME


def default_cache_dir() -> Path:
    """``$PA_DATA_DIR/bench`` when the data directory is set, else the system temp dir."""
    data_dir = os.environ.get("PA_DATA_DIR")
    if data_dir:
        return Path(data_dir) / "bench"
    return Path(tempfile.gettempdir()) / "plant_analytics_bench"


def _file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def read_source(source: Path) -> tuple[list[str], list[list[str]]]:
    """The codes and rows of the PLNT22 CSV extract (one header row of codes)."""
    with source.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        codes = [c.strip() for c in next(reader)]
        rows = [row for row in reader if any(cell.strip() for cell in row)]
    if not rows:
        raise ValueError(f"{source}: no data rows")
    return codes, rows


def _number(text: str) -> float | int | None:
    text = text.strip().replace(",", "")
    if text in {"", "--", "NA", "N/A"}:
        return None
    value = float(text)
    return (
        int(value) if value.is_integer() and "." not in text and "e" not in text.lower() else value
    )


def _converters(codes: Sequence[str]) -> list[Any]:
    """Per column: text columns keep their text, numeric columns become numbers."""

    def text(cell: str) -> str | None:
        return cell if cell.strip() else None

    out: list[Any] = []
    for code in codes:
        spec = spec_for_code(Level.PLANT, code, YEAR)
        out.append(text if spec is not None and spec.kind is Kind.TEXT else _number)
    return out


def _descriptions(level: Level, codes: Sequence[str]) -> list[str]:
    out = []
    for code in codes:
        spec = spec_for_code(level, code, YEAR)
        out.append(spec.description if spec is not None and spec.description else code)
    return out


def allocate(weights: Sequence[float], total: int) -> list[int]:
    """``total`` split in proportion to ``weights`` (largest remainder), summing exactly."""
    weight_sum = float(sum(weights))
    if total <= 0 or weight_sum <= 0:
        return [0] * len(weights)
    quotas = [w * total / weight_sum for w in weights]
    counts = [int(q) for q in quotas]
    short = total - sum(counts)
    by_remainder = sorted(range(len(weights)), key=lambda i: (counts[i] - quotas[i], i))
    for i in by_remainder[:short]:
        counts[i] += 1
    return counts


def plant_rows(
    codes: Sequence[str], source_rows: Sequence[Sequence[str]], plants: int
) -> Iterator[list[Any]]:
    """The source rows, replicated to ``plants`` rows with new plant codes and sequence."""
    convert = _converters(codes)
    parsed = [
        [fn(row[i]) if i < len(row) else None for i, fn in enumerate(convert)]
        for row in source_rows
    ]
    seq_i, oris_i, name_i = (
        codes.index(f"SEQPLT{YEAR % 100:02d}"),
        codes.index("ORISPL"),
        codes.index("PNAME"),
    )
    for i in range(plants):
        copy, base = divmod(i, len(parsed))
        row = list(parsed[base])
        row[seq_i] = i + 1
        row[oris_i] = FIRST_PLANT_CODE + i
        if copy and row[name_i]:
            row[name_i] = f"{row[name_i]} ({copy + 1})"
        yield row


def generator_rows(
    plants: Sequence[dict[str, Any]], generators: int, seed: int = 22
) -> Iterator[list[Any]]:
    """``generators`` rows spread over ``plants`` (dicts with the plant codes' values)."""
    rng = random.Random(seed)
    weights = [min(max(int(p.get("NUMGEN") or 1), 1), 12) for p in plants]
    seq = 0
    for plant, count in zip(plants, allocate(weights, generators), strict=True):
        if not count:
            continue
        fuel = plant.get("PLPRMFL") or None
        movers = PRIME_MOVERS.get(fuel or "", ("ST",) if fuel else ("OT",))
        capacity = plant.get("NAMEPCAP")
        annual = plant.get("PLNGENAN")
        ozone = plant.get("PLNGENOZ")
        first_year = 2000 if fuel in RENEWABLE else 1950
        for j in range(1, count + 1):
            seq += 1
            mover = movers[(j - 1) % len(movers)]
            cap = round(capacity / count, 1) if isinstance(capacity, int | float) else None
            gen = round(annual / count, 3) if isinstance(annual, int | float) else None
            gen_oz = round(ozone / count, 3) if isinstance(ozone, int | float) else None
            cfact = round(gen / (cap * 8760), 5) if gen is not None and cap else None
            retired = rng.random() < 0.05
            yield [
                seq,
                YEAR,
                plant["PSTATABB"],
                plant["PNAME"],
                plant["ORISPL"],
                f"{GENID_PREFIX.get(mover, '')}{j}",
                1 if mover == "ST" else None,
                "RE" if retired else "OP",
                mover,
                fuel,
                cap,
                cfact,
                gen,
                gen_oz,
                "EIA-923 Generation and Fuel Data" if gen is not None else None,
                rng.randint(first_year, YEAR),
                rng.randint(2023, 2040) if retired else None,
            ]


def build_workbook(
    path: Path, plants: int = 12_000, generators: int = 30_000, source: Path | None = None
) -> None:
    """Write the synthetic workbook to ``path`` (overwritten)."""
    source = source or default_source()
    codes, source_rows = read_source(source)
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    try:
        contents = workbook.add_worksheet("Contents")
        lines = [
            f"eGRID{YEAR} (synthetic, for benchmarks: plant rows are real PLNT{YEAR % 100:02d} "
            "rows replicated under new ORISPL codes 900000+)",
            "",
            f"{PLANT_SHEET}: {plants:,} plants",
            f"{GENERATOR_SHEET}: {generators:,} generators",
            f"Built by plant_analytics.bench.synthetic {VERSION} from {source.name}",
        ]
        for r, line in enumerate(lines):
            contents.write_string(r, 0, line)

        sheet = workbook.add_worksheet(PLANT_SHEET)
        sheet.write_row(0, 0, _descriptions(Level.PLANT, codes))
        sheet.write_row(1, 0, codes)
        keep = (
            "ORISPL",
            "PSTATABB",
            "PNAME",
            "PLPRMFL",
            "NUMGEN",
            "NAMEPCAP",
            "PLNGENAN",
            "PLNGENOZ",
        )
        keep_idx = {code: codes.index(code) for code in keep}
        summary: list[dict[str, Any]] = []
        for r, row in enumerate(plant_rows(codes, source_rows, plants), start=2):
            sheet.write_row(r, 0, row)
            summary.append({code: row[i] for code, i in keep_idx.items()})

        sheet = workbook.add_worksheet(GENERATOR_SHEET)
        sheet.write_row(0, 0, _descriptions(Level.GENERATOR, GENERATOR_CODES))
        sheet.write_row(1, 0, GENERATOR_CODES)
        for r, row in enumerate(generator_rows(summary, generators), start=2):
            sheet.write_row(r, 0, row)
    finally:
        workbook.close()


def cached_workbook(
    plants: int = 12_000,
    generators: int = 30_000,
    cache_dir: Path | None = None,
    source: Path | None = None,
    rebuild: bool = False,
) -> BuildInfo:
    """The synthetic workbook for these sizes, built once and reused while its key holds."""
    source = source or default_source()
    if not source.is_file():
        raise FileNotFoundError(f"the real PLNT22 rows are needed to build the workbook: {source}")
    cache_dir = cache_dir or default_cache_dir()
    name = f"egrid{YEAR}_synthetic_{VERSION}_{plants}p_{generators}g_{_file_hash(source)}.xlsx"
    path = cache_dir / name
    if path.is_file() and not rebuild:
        return BuildInfo(path, plants, generators, None)
    cache_dir.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.partial.xlsx")
    started = time.perf_counter()
    try:
        build_workbook(partial, plants, generators, source)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return BuildInfo(path, plants, generators, time.perf_counter() - started)
