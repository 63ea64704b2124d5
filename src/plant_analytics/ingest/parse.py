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
from plant_analytics.egrid.conventions import Shares, share_convention, share_conventions
from plant_analytics.egrid.levels import Level, two_digit_year
from plant_analytics.egrid.values import ValueProblem, parse_cell, raw_for_json
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
    share_codes: dict[str, Shares] = field(default_factory=dict)  # codes ruled unlike ``shares``


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
        return float(parse_cell(raw, Kind.NUMBER))
    if raw == "" or raw is None:
        return None
    if kind is str and "_" not in raw and raw.isascii():
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


def parse_sheet(
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

    codes = [c.strip() for c in sheet.codes]
    norm_codes = [normalize_code(c) for c in sheet.codes]
    _check_header(sheet, codes, norm_codes, fail, header_row)
    if not sheet.rows:
        raise fail(
            "the file has a header but no data rows"
            if sheet_name is None
            else f"sheet {sheet_name} has a header but no data rows"
        )
    year_index = norm_codes.index("YEAR") if "YEAR" in norm_codes else None
    fixed_year = sheet.year_hint or _sequence_year(sheet.codes)
    if fixed_year and year and fixed_year != year:
        where = f"sheet {sheet_name}" if sheet_name else "its sequence-number column"
        raise fail(f"wrong year: the file holds {fixed_year} data ({where}), not {year} as asked")

    rejected: list[tuple[Problem, dict[str, Any]]] = []

    def raw_map(index: int) -> dict[str, Any]:
        raw = sheet.rows[index]
        return {
            code: raw_for_json(raw[i]) if i < len(raw) else None for i, code in enumerate(codes)
        }

    def reject(index: int, row_problems: list[Problem]) -> None:
        problems.extend(row_problems)
        first = row_problems[0]
        reason = (
            first.reason
            if len(row_problems) == 1
            else "; ".join(
                f"{p.column}: {p.reason}" if p.column else p.reason for p in row_problems
            )
        )
        rejected.append(
            (Problem(first.file, reason, first.sheet, first.row, first.column), raw_map(index))
        )

    # Group rows by data year (several years may be stacked in one CSV).
    by_year: dict[int, list[int]] = defaultdict(list)
    for index, row in enumerate(sheet.rows):
        row_year: int | None = None
        if year_index is not None and year_index < len(row):
            try:
                row_year = parse_cell(row[year_index], Kind.INTEGER)
            except ValueProblem as exc:
                reject(
                    index,
                    [
                        Problem(
                            file, str(exc), sheet_name, sheet.row_number(index), codes[year_index]
                        )
                    ],
                )
                continue
        row_year = row_year or fixed_year or year
        if row_year is None:
            if year_index is not None:
                reject(
                    index,
                    [
                        Problem(
                            file,
                            "the row has no YEAR (and the file does not say "
                            "its year otherwise; pass --year)",
                            sheet_name,
                            sheet.row_number(index),
                            codes[year_index],
                        )
                    ],
                )
                continue
            raise fail(
                "cannot tell the data year: no YEAR column, no year in the sheet name or "
                "sequence-number code; pass --year"
            )
        if fixed_year and row_year != fixed_year:
            raise fail(
                f"wrong year: row says {row_year} but the file holds {fixed_year} data",
                column=codes[year_index] if year_index is not None else None,
                row=sheet.row_number(index),
            )
        by_year[row_year].append(index)
    if year and by_year and set(by_year) != {year}:
        held = sorted(by_year)
        if year in held:
            raise fail(
                f"the file holds data of {', '.join(map(str, held))} (stacked years); "
                f"--year {year} cannot pick one of them: leave --year out to load them all"
            )
        first = min(i for rows in by_year.values() for i in rows)
        raise fail(
            f"wrong year: the file holds {' and '.join(map(str, held))} data, not {year} as asked",
            column=codes[year_index] if year_index is not None else None,
            row=sheet.row_number(first),
        )

    datasets: list[Dataset] = []
    for data_year in sorted(by_year):
        rule_shares = shares or share_convention(sheet.profile, data_year).shares
        share_codes = {} if shares else share_conventions(sheet.profile, data_year, codes)
        mapping: list[ColumnSpec | None] = []
        seen: dict[str, str] = {}
        for code, norm in zip(codes, norm_codes, strict=True):
            spec = next(
                (
                    s
                    for s in column_specs(resolved_level)
                    if s.code == norm and s.applies_to(data_year)
                ),
                None,
            )
            if spec is not None and spec.column in seen:
                raise fail(
                    f"columns {seen[spec.column]} and {code} both hold "
                    f"{spec.column} for {data_year}; keep one",
                    column=code,
                    row=header_row,
                )
            if spec is not None:
                seen[spec.column] = code
            mapping.append(spec)
        share_codes = {
            c: v
            for c, v in share_codes.items()
            if (s := mapping[codes.index(c)]) is not None and s.kind is Kind.SHARE
        }
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
        parsers = [
            _parser(s, share_codes.get(code, rule_shares)) if s is not None else None
            for s, code in zip(mapping, codes, strict=True)
        ]
        mapped_idx = [i for i, s in enumerate(mapping) if s is not None and s.column != "data_year"]
        extra_idx = [i for i, s in enumerate(mapping) if s is None and codes[i]]
        col_pos = {c: n for n, c in enumerate(columns)}
        key_codes = list(resolved_level.info.key_codes)
        if resolved_level is Level.GENERATOR and "plant_id_eia" not in columns:
            key_codes = [
                codes[mapping.index(s)]
                for s in mapping
                if s is not None and s.column in ("state", "plant_name", "generator_id")
            ]
        key_code = "+".join(key_codes) or "key"
        key_column = key_codes[0] if key_codes else None
        records: list[tuple[Any, ...]] = []
        record_index: list[int] = []
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
                    row_problems.append(Problem(file, str(exc), sheet_name, row_number, codes[i]))
            key = _record_key(resolved_level, values, col_pos)
            if key is None:
                row_problems.append(
                    Problem(
                        file,
                        f"the row has no {key_code}: every {resolved_level} row needs it",
                        sheet_name,
                        row_number,
                        key_column,
                    )
                )
            if row_problems:
                reject(index, row_problems)
                continue
            extra_values = {
                codes[i]: raw_for_json(raw[i])
                for i in extra_idx
                if raw[i] is not None and raw[i] != ""
            }
            extra = json.dumps(extra_values) if extra_values else None
            records.append((key, row_number, extra, *values))
            record_index.append(index)
        records = _disambiguate(
            resolved_level, records, record_index, col_pos, reject, file, sheet_name
        )
        if not records:
            # Every row of this year was rejected: loading "the rest" would wipe the year.
            raise InputError(problems or [Problem(file, "no valid rows", sheet_name)])
        descriptions = (
            {c: d.strip() for c, d in zip(codes, sheet.descriptions, strict=False) if c}
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
                source_codes=[c for c in codes if c],
                columns=columns,
                records=records,
                unmapped=[codes[i] for i in extra_idx],
                descriptions=descriptions,
                share_codes=share_codes,
            )
        )
    if problems and on_row_error != "skip":
        return ParseResult(datasets=[], problems=problems, rejected=rejected)
    if not datasets:
        raise InputError(problems or [Problem(file, "no valid rows", sheet_name)])
    return ParseResult(datasets=datasets, problems=problems, rejected=rejected)


def _check_header(
    sheet: RawSheet,
    codes: list[str],
    norm_codes: list[str],
    fail: Callable[..., InputError],
    header_row: int,
) -> None:
    """File-level header problems: a code twice, or values under a column without a code."""
    counts = Counter(c for c in norm_codes if c)
    twice = [c for c in codes if c and counts[normalize_code(c)] > 1]
    if twice:
        raise fail(
            f"column {twice[0]} appears {counts[normalize_code(twice[0])]} times in the header; "
            "a value could not be told from the other: keep one",
            column=twice[0],
            row=header_row,
        )
    blank = [i for i, c in enumerate(norm_codes) if not c]
    for i in blank:
        for index, row in enumerate(sheet.rows):
            if i < len(row) and row[i] is not None and str(row[i]).strip():
                raise fail(
                    f"column {i + 1} has values but no code in the header (row {header_row}); "
                    "name it or remove it",
                    row=sheet.row_number(index),
                )


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
    record_index: list[int],
    pos: dict[str, int],
    reject: Callable[[int, list[Problem]], None],
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
    for record, index in zip(records, record_index, strict=True):
        key = record[0]
        if counts[key] == 1:
            out.append(record)
        elif by_name and seq is not None and record[3 + seq] is not None:
            out.append((f"{key}#{record[3 + seq]}", *record[1:]))
        else:
            reject(
                index,
                [
                    Problem(
                        file,
                        f"duplicate key {key!r}: another row of this year has it too",
                        sheet,
                        record[1],
                    )
                ],
            )
    return out
