"""From raw cells to validated records: level and year detection, mapping, keys.

The rule on bad rows (docs/data-model.md): a problem with the file as a whole (unknown
level or year, a missing key column, a header code mapped twice) rejects the file. A
problem with a row (a cell that is not a number, an empty or duplicate key) is reported
with file, sheet, row, column and reason; by default it rejects the file too, and with
``on_row_error="skip"`` only that row is rejected and kept, raw, in ``rejected_row``.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from plant_analytics.egrid.catalog import ColumnSpec, Kind, column_specs, normalize_code
from plant_analytics.egrid.conventions import Shares, share_convention
from plant_analytics.egrid.levels import Level, two_digit_year
from plant_analytics.egrid.values import ValueProblem, parse_cell, raw_for_json
from plant_analytics.readers.headers import as_text
from plant_analytics.readers.model import InputError, Problem, RawSheet

KEY_COLUMNS: dict[Level, tuple[str, ...]] = {
    Level.PLANT: ("plant_id_eia",),
    Level.UNIT: ("plant_id_eia", "unit_id"),
    Level.GENERATOR: ("generator_id",),
    Level.STATE: ("state",),
    Level.BA: ("ba_code",),
    Level.SUBREGION: ("subregion",),
    Level.NERC: ("nerc_region",),
    Level.US: (),
    Level.GGL: ("region",),
}
REGION_KEY: dict[Level, str] = {
    Level.STATE: "state",
    Level.BA: "ba_code",
    Level.SUBREGION: "subregion",
    Level.NERC: "nerc_region",
    Level.GGL: "region",
}


@dataclass
class Dataset:
    """The validated rows of one level and data year from one file."""

    level: Level
    year: int
    file: str
    sheet: str | None
    profile: str
    shares: Shares
    source_codes: list[str]
    columns: list[str]
    records: list[tuple[Any, ...]]  # (record_key, source_row, extra_json, *values of columns)
    unmapped: list[str] = field(default_factory=list)
    descriptions: dict[str, str] = field(default_factory=dict)


@dataclass
class ParseResult:
    datasets: list[Dataset]
    problems: list[Problem]
    rejected: list[tuple[Problem, dict[str, Any]]]


def _fast_number(raw: Any) -> float | None:
    kind = type(raw)
    if kind is float:
        if math.isfinite(raw):
            return raw  # type: ignore[no-any-return]
        raise ValueProblem(f"not a finite number: {raw!r}")
    if kind is int:
        return float(raw)
    if raw == "" or raw is None:
        return None
    if kind is str and "_" not in raw:
        try:
            value = float(raw)
        except ValueError:
            pass
        else:
            if math.isfinite(value):
                return value
    result = parse_cell(raw, Kind.NUMBER)
    return None if result is None else float(result)


def _parser(spec: ColumnSpec, shares: Shares) -> Callable[[Any], Any]:
    if spec.kind is Kind.NUMBER:
        return _fast_number
    if spec.kind is Kind.SHARE and shares is Shares.FRACTION:
        return _fast_number
    in_percent = shares is Shares.PERCENT
    kind = spec.kind
    return lambda raw: parse_cell(raw, kind, shares_in_percent=in_percent)


def detect_level(codes: list[str], file: str, sheet: str | None) -> Level:
    scores: dict[Level, int] = {}
    for level in Level:
        known = {s.code for s in column_specs(level)}
        scores[level] = sum(1 for code in codes if normalize_code(code) in known)
    ranked = sorted(scores.items(), key=lambda item: -item[1])
    (best, best_score), (_, second_score) = ranked[0], ranked[1]
    if best_score < 2 or best_score == second_score:
        unknown = [c for c in codes if c.strip()][:8]
        reason = (
            "cannot tell which eGRID level this is: its columns "
            f"({', '.join(unknown)}{', ...' if len(codes) > 8 else ''}) are not eGRID codes of "
            "one level; pass --level (unit, generator, plant, state, ba, subregion, nerc, us, ggl)"
        )
        if best_score >= 2:
            reason = f"the columns fit both {ranked[0][0]} and {ranked[1][0]}: pass --level"
        raise InputError([Problem(file=file, sheet=sheet, row=None, reason=reason)])
    return best


def _sequence_year(codes: list[str]) -> int | None:
    for code in codes:
        norm = normalize_code(code)
        if norm[:6] in {"SEQPLT", "SEQGEN", "SEQUNT"} and norm[6:].isdigit() and len(norm) == 8:
            return two_digit_year(int(norm[6:]))
    return None


def parse_sheet(  # noqa: C901, PLR0912, PLR0915 - one pass over a sheet, kept in one place
    sheet: RawSheet,
    *,
    level: Level | None = None,
    year: int | None = None,
    shares: Shares | None = None,
    on_row_error: str = "fail",
) -> ParseResult:
    file, sheet_name = sheet.file, sheet.sheet
    header_row = sheet.first_data_row - 1
    problems: list[Problem] = []

    def fail(reason: str, column: str | None = None, row: int | None = None) -> InputError:
        return InputError(
            [Problem(file=file, sheet=sheet_name, row=row, column=column, reason=reason)]
        )

    hinted = Level(sheet.level_hint) if sheet.level_hint else None
    if hinted and level and hinted is not level:
        raise fail(f"sheet {sheet_name} holds {hinted} data, not {level} as asked")
    resolved_level = level or hinted or detect_level(sheet.codes, file, sheet_name)

    norm_codes = [normalize_code(c) for c in sheet.codes]
    year_index = norm_codes.index("YEAR") if "YEAR" in norm_codes else None
    fixed_year = sheet.year_hint or _sequence_year(sheet.codes)
    if fixed_year and year and fixed_year != year:
        where = f"sheet {sheet_name}" if sheet_name else "its sequence-number column"
        raise fail(f"wrong year: the file holds {fixed_year} data ({where}), not {year} as asked")

    # Group rows by data year (several years may be stacked in one CSV).
    by_year: dict[int, list[int]] = defaultdict(list)
    for index, row in enumerate(sheet.rows):
        row_year: int | None = None
        if year_index is not None and year_index < len(row):
            cell = row[year_index]
            try:
                parsed = parse_cell(cell, Kind.INTEGER)
            except ValueProblem as exc:
                problems.append(
                    Problem(file, str(exc), sheet_name, sheet.row_number(index), sheet.codes[year_index].strip())
                )
                continue
            row_year = parsed
        row_year = row_year or fixed_year or year
        if row_year is None:
            raise fail(
                "cannot tell the data year: no YEAR column, no year in the sheet name or "
                "sequence-number code; pass --year"
            )
        if fixed_year and row_year != fixed_year:
            raise fail(
                f"wrong year: row says {row_year} but the file holds {fixed_year} data",
                column="YEAR",
                row=sheet.row_number(index),
            )
        if year and row_year != year:
            raise fail(
                f"wrong year: the file holds {row_year} data, not {year} as asked",
                column="YEAR",
                row=sheet.row_number(index),
            )
        by_year[row_year].append(index)
    if not by_year and not problems:
        if year or fixed_year:
            by_year[year or fixed_year or 0] = []
        else:
            raise fail("the file has a header but no data rows")

    datasets: list[Dataset] = []
    rejected: list[tuple[Problem, dict[str, Any]]] = []
    for data_year in sorted(by_year):
        rule_shares = shares or share_convention(sheet.profile, data_year).shares
        mapping: list[ColumnSpec | None] = []
        seen: dict[str, str] = {}
        for code, norm in zip(sheet.codes, norm_codes, strict=True):
            spec = next(
                (s for s in column_specs(resolved_level) if s.code == norm and s.applies_to(data_year)),
                None,
            )
            if spec is not None and spec.column in seen:
                raise fail(
                    f"columns {seen[spec.column]} and {code.strip()} both hold "
                    f"{spec.column} for {data_year}; keep one",
                    column=code.strip(),
                    row=header_row,
                )
            if spec is not None:
                seen[spec.column] = code.strip()
            mapping.append(spec)
        columns = [s.column for s in mapping if s is not None and s.column != "data_year"]
        missing = [c for c in KEY_COLUMNS[resolved_level] if c not in columns]
        if resolved_level is Level.GENERATOR and "plant_id_eia" not in columns:
            missing += [c for c in ("state", "plant_name") if c not in columns]
        if missing:
            wanted = ", ".join(missing)
            raise fail(
                f"no column for {wanted} (row {header_row} holds the codes); "
                f"a {resolved_level} sheet needs it to key its rows. Is this an eGRID file?"
            )
        parsers = [_parser(s, rule_shares) if s is not None else None for s in mapping]
        mapped_idx = [
            i for i, s in enumerate(mapping) if s is not None and s.column != "data_year"
        ]
        extra_idx = [i for i, s in enumerate(mapping) if s is None]
        col_pos = {c: n for n, c in enumerate(columns)}
        records: list[tuple[Any, ...]] = []
        keys: list[str | None] = []
        for index in by_year[data_year]:
            raw = sheet.rows[index]
            if len(raw) < len(norm_codes):
                raw = list(raw) + [None] * (len(norm_codes) - len(raw))
            row_number = sheet.row_number(index)
            values: list[Any] = []
            row_problems: list[Problem] = []
            for i in mapped_idx:
                try:
                    values.append(parsers[i](raw[i]))  # type: ignore[misc]
                except ValueProblem as exc:
                    values.append(None)
                    row_problems.append(
                        Problem(file, str(exc), sheet_name, row_number, sheet.codes[i].strip())
                    )
            key = _record_key(resolved_level, values, col_pos)
            if key is None:
                key_codes = "+".join(resolved_level.info.key_codes) or "key"
                row_problems.append(
                    Problem(file, f"the row has no {key_codes}: every {resolved_level} row needs it",
                            sheet_name, row_number, resolved_level.info.key_codes[0] if resolved_level.info.key_codes else None)
                )
            if row_problems:
                problems.extend(row_problems)
                raw_map = {sheet.codes[i].strip(): raw_for_json(raw[i]) for i in range(len(norm_codes))}
                rejected.extend((p, raw_map) for p in row_problems[:1])
                continue
            extra = (
                json.dumps({sheet.codes[i].strip(): raw_for_json(raw[i]) for i in extra_idx if raw[i] not in (None, "")})
                if extra_idx
                else None
            )
            if extra == "{}":
                extra = None
            records.append((key, row_number, extra, *values))
            keys.append(key)
        records = _disambiguate(resolved_level, records, col_pos, problems, rejected, file, sheet_name)
        descriptions = (
            {c.strip(): d.strip() for c, d in zip(sheet.codes, sheet.descriptions, strict=False)}
            if sheet.descriptions
            else {}
        )
        datasets.append(
            Dataset(
                level=resolved_level,
                year=data_year,
                file=file,
                sheet=sheet_name,
                profile=sheet.profile,
                shares=rule_shares,
                source_codes=[c.strip() for c in sheet.codes],
                columns=columns,
                records=records,
                unmapped=[sheet.codes[i].strip() for i in extra_idx],
                descriptions=descriptions,
            )
        )
    if problems and on_row_error != "skip":
        return ParseResult(datasets=[], problems=problems, rejected=rejected)
    return ParseResult(datasets=datasets, problems=problems, rejected=rejected)


def _text_key(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text or None


def _record_key(level: Level, values: list[Any], pos: dict[str, int]) -> str | None:
    def get(column: str) -> str | None:
        return _text_key(values[pos[column]]) if column in pos else None

    if level is Level.US:
        return "US"
    if level in REGION_KEY:
        return get(REGION_KEY[level])
    plant = get("plant_id_eia")
    if level is Level.PLANT:
        return plant
    if level is Level.UNIT:
        unit = get("unit_id")
        return f"{plant}/{unit}" if plant and unit else None
    generator = get("generator_id")
    if not generator:
        return None
    if plant:
        return f"{plant}/{generator}"
    state, name = get("state"), get("plant_name")
    if state and name:
        return f"{state}/{name}/{generator}"
    return None


def _disambiguate(
    level: Level,
    records: list[tuple[Any, ...]],
    pos: dict[str, int],
    problems: list[Problem],
    rejected: list[tuple[Problem, dict[str, Any]]],
    file: str,
    sheet: str | None,
) -> list[tuple[Any, ...]]:
    """Duplicate keys are errors, except generators keyed by name, told apart by sequence."""
    counts = Counter(r[0] for r in records)
    if all(n == 1 for n in counts.values()):
        return records
    by_name = level is Level.GENERATOR and "plant_id_eia" not in pos
    seq = pos.get("sequence_number")
    out = []
    for record in records:
        key = record[0]
        if counts[key] == 1:
            out.append(record)
        elif by_name and seq is not None and record[3 + seq] is not None:
            out.append((f"{key}#{record[3 + seq]}", *record[1:]))
        else:
            problem = Problem(
                file, f"duplicate key {key!r}: another row of this year has it too", sheet, record[1]
            )
            problems.append(problem)
            rejected.append((problem, {"record_key": key}))
    return out
