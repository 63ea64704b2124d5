"""From raw cells to validated records: level and year detection, mapping, row identity.

The rule on bad rows (docs/data-model.md): a problem with the file as a whole (unknown
level or year, no column for the level's natural key) rejects the file. An odd header (a
code twice, a column with values but no code) is loaded as published and reported. A
problem with a row (a cell that is not a number, an empty natural key) is reported with
file, sheet, row, column and reason; by default it rejects the file too, and with
``on_row_error="skip"`` only that row is rejected and kept, raw, in ``rejected_row``.

Row identity (docs/data-model.md#row-identity): within its release a row is identified by
the sheet's own sequence number (SEQPLTyy, SEQGENyy, SEQUNTyy) where the sheet has one for
every row, else by its row number in the file. Natural keys (ORISPL, ORISPL+GENID, a state
code, ...) are what the API looks rows up by; EPA has published files that list one twice
(two generators of a plant under one GENID, told apart by prime mover), so a repeated
natural key is loaded as published and reported as a quality note, never refused.
"""

from __future__ import annotations

import itertools
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

SEQUENCE_COLUMN = "sequence_number"
# Quality notes kept per release: a file that repeats thousands of keys says so in one note.
MAX_QUALITY_NOTES = 100


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
    # (record_key, source_row, extra_json, *values of columns); record_key is the row's
    # identity within the release: "seq:<sequence number>" or "row:<row in the file>".
    records: list[tuple[Any, ...]]
    unmapped: list[str] = field(default_factory=list)
    descriptions: dict[str, str] = field(default_factory=dict)
    share_codes: dict[str, Shares] = field(default_factory=dict)  # codes ruled unlike ``shares``
    # What the file holds as EPA published it and we report (docs/data-model.md#quality).
    quality: list[dict[str, Any]] = field(default_factory=list)


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
    if spec.kind is Kind.TEXT:
        return _fast_text
    if spec.kind is Kind.INTEGER:
        return _fast_integer
    in_percent = shares is Shares.PERCENT
    kind = spec.kind
    return lambda raw: parse_cell(raw, kind, shares_in_percent=in_percent)


def _fast_text(raw: Any) -> str | None:
    """``parse_cell(raw, Kind.TEXT)``, without the call for the common case: a string."""
    if type(raw) is str:
        return raw if raw and not raw.isspace() else None
    return parse_cell(raw, Kind.TEXT)  # type: ignore[no-any-return]


def _fast_integer(raw: Any) -> int | None:
    """``parse_cell(raw, Kind.INTEGER)``, without the call for a whole double or a blank."""
    if type(raw) is float and raw.is_integer():
        return int(raw)
    if raw == "" and type(raw) is str:
        return None
    return parse_cell(raw, Kind.INTEGER)  # type: ignore[no-any-return]


# Column-wise forms of the parsers above: the same values, one C-level pass per column
# where the column allows it. Each raises ValueProblem where its cell parser would.
ColumnParser = Callable[[tuple[Any, ...]], "list[Any] | tuple[Any, ...]"]


_BLANK_TO_NONE: dict[Any, None] = {"": None}
_blank_to_none = _BLANK_TO_NONE.get  # blank_to_none(v, v): None for "", else v itself
_FLOAT_OR_STR = frozenset({float, str})


def _number_column(column: tuple[Any, ...]) -> list[Any] | tuple[Any, ...]:
    try:
        kinds = set(map(type, column))
        if kinds == {float}:
            if math.isfinite(sum(column)):
                return column  # every cell a finite double: stored as it is
        elif kinds <= _FLOAT_OR_STR and math.isfinite(sum(filter(None, column))):
            # Doubles and blanks only, and finite: the sum skips the blanks (falsy), fails
            # on any other text (TypeError), and a NaN or infinity makes it non-finite.
            return list(map(_blank_to_none, column, column))
    except TypeError:  # text that is not blank, or an unhashable cell: the cell parser decides
        pass
    number = _fast_number
    # A finite double is kept (x - x is 0.0 only for finite x); an empty cell is NULL;
    # anything else goes through the cell parser, which refuses what it must.
    return [
        v if v.__class__ is float and v - v == 0.0 else None if v == "" else number(v)
        for v in column
    ]


def _text_column(column: tuple[Any, ...]) -> list[Any] | tuple[Any, ...]:
    if set(map(type, column)) == {str} and not any(map(str.isspace, column)):
        return list(map(_blank_to_none, column, column))  # "" is NULL, the rest verbatim
    return list(map(_fast_text, column))


def _integer_column(column: tuple[Any, ...]) -> list[Any] | tuple[Any, ...]:
    if set(map(type, column)) == {float} and all(map(float.is_integer, column)):
        return list(map(int, column))
    return list(map(_fast_integer, column))


_COLUMN_PARSERS: dict[Callable[[Any], Any], ColumnParser] = {
    _fast_number: _number_column,
    _fast_text: _text_column,
    _fast_integer: _integer_column,
}


def _column_parser(parser: Callable[[Any], Any]) -> ColumnParser:
    return _COLUMN_PARSERS.get(parser) or (lambda column: list(map(parser, column)))


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
            tied = [level for level, score in ranked if score == best_score]
            shown = [c.strip() for c in codes if c.strip()][:8]
            reason = (
                f"the columns ({', '.join(shown)}{', ...' if len(codes) > 8 else ''}) fit "
                f"{' and '.join(map(str, tied))} sheets alike: pass "
                + " or ".join(f"--level {level}" for level in tied)
            )
            measures = {
                s.code
                for level in tied
                for s in column_specs(level)
                if s.kind in (Kind.NUMBER, Kind.SHARE)
            }
            if not any(normalize_code(code) in measures for code in codes):
                reason += (
                    "; they are names and codes only, with no eGRID measure, as in a lookup "
                    "table such as a crosswalk, which is not an eGRID sheet"
                )
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

    codes, header_quality = _header_codes(sheet, header_row)
    norm_codes = [normalize_code(c) for c in codes]
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
    one_year = _single_year(sheet.rows, year_index, fixed_year or year)
    if one_year is not None:  # the common case: every row of one (right) year
        by_year[one_year] = list(range(len(sheet.rows)))
    for index, row in enumerate(sheet.rows if one_year is None else ()):
        row_year: int | None = None
        if year_index is not None and year_index < len(row):
            try:
                row_year = _fast_integer(row[year_index])
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
        year_quality = list(header_quality)  # the header's notes, and this year's mapping
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
                year_quality.append(
                    _header_note(
                        file,
                        sheet_name,
                        header_row,
                        [seen[spec.column], code],
                        f"columns {seen[spec.column]} and {code} both hold {spec.column} for "
                        f"{data_year}: {seen[spec.column]} is read as {spec.column}, {code} is "
                        "kept as published in 'extra'",
                    )
                )
                spec = None
            if spec is not None:
                seen[spec.column] = code
            mapping.append(spec)
        share_codes = {
            c: v
            for c, v in share_codes.items()
            if (s := mapping[codes.index(c)]) is not None and s.kind is Kind.SHARE
        }
        columns = [s.column for s in mapping if s is not None and s.column != "data_year"]
        key_columns = _natural_key_columns(resolved_level, columns)
        if key_columns is None:
            info = resolved_level.info
            wanted = [c for c in info.key_columns if c not in columns]
            alternative = [c for c in info.name_key_columns if c not in columns]
            reason = ", ".join(wanted)
            if info.name_key_columns:
                reason += f" (or {', '.join(alternative)})"
            raise fail(
                f"no column for {reason} (row {header_row} holds the codes); "
                f"a {resolved_level} sheet needs it to identify its rows. Is this an eGRID file?"
            )
        parsers = [
            _parser(s, share_codes.get(code, rule_shares)) if s is not None else None
            for s, code in zip(mapping, codes, strict=True)
        ]
        mapped_idx = [i for i, s in enumerate(mapping) if s is not None and s.column != "data_year"]
        extra_idx = [i for i, s in enumerate(mapping) if s is None and codes[i]]
        col_pos = {c: n for n, c in enumerate(columns)}
        key_codes = [
            codes[i]
            for column in key_columns
            for i, s in enumerate(mapping)
            if s is not None and s.column == column
        ]
        key_code = "+".join(key_codes) or "key"
        key_column = key_codes[0] if key_codes else None
        key_pos = [col_pos[c] for c in key_columns]
        records: list[tuple[Any, ...]] = []
        record_index: list[int] = []
        fast = _parse_columns(
            sheet,
            by_year[data_year],
            len(norm_codes),
            parsers,
            mapped_idx,
            extra_idx,
            codes,
            key_pos,
            col_pos.get(SEQUENCE_COLUMN),
        )
        natural_keys: list[str] = []
        quality: list[dict[str, Any]] = []
        if fast is not None:
            records, record_index, natural_keys, seq_note = fast
            quality += seq_note
        # The row-wise loop runs when some row has a problem: it finds and reports each one.
        for index in by_year[data_year] if fast is None else ():
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
            key = _natural_key(values, key_pos)
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
            records.append(("", row_number, extra, *values))
            natural_keys.append(key or "")  # a row without its key was rejected above
            record_index.append(index)
        if fast is None:
            seq = col_pos.get(SEQUENCE_COLUMN)
            identities, seq_note = _identities(
                None if seq is None else [r[3 + seq] for r in records], [r[1] for r in records]
            )
            records = [(i, *r[1:]) for i, r in zip(identities, records, strict=True)]
            quality += seq_note
        quality = (
            year_quality
            + _duplicate_notes(natural_keys, [r[1] for r in records], key_codes, file, sheet_name)
            + [{"file": file, "sheet": sheet_name, **note} for note in quality]
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
                quality=quality,
            )
        )
    if problems and on_row_error != "skip":
        return ParseResult(datasets=[], problems=problems, rejected=rejected)
    if not datasets:
        raise InputError(problems or [Problem(file, "no valid rows", sheet_name)])
    return ParseResult(datasets=datasets, problems=problems, rejected=rejected)


def _single_year(rows: list[list[Any]], year_index: int | None, given: int | None) -> int | None:
    """The data year when every row has the same, valid one (None: let the row loop decide).

    ``given`` is the year the file states otherwise (sheet name, sequence code, --year);
    the loop in :func:`parse_sheet` handles every other case and reports the problems.
    """
    if year_index is None:
        return given or None
    try:
        cells = [row[year_index] for row in rows]
        years = set(_integer_column(tuple(cells)))
    except (IndexError, ValueProblem):
        return None
    if len(years) != 1:
        return None
    (found,) = years
    if not found or (given and found != given):
        return None
    return found  # type: ignore[no-any-return]


def _header_codes(sheet: RawSheet, header_row: int) -> tuple[list[str], list[dict[str, Any]]]:
    """The header's codes, each column named once, and a quality note for each oddity.

    EPA's files are loaded as published, odd headers included: a code that appears twice
    is read once, its other columns kept in ``extra`` as ``CODE (2)``, ...; a column with
    values but no code is kept as ``column N``. Nothing is refused and no value is lost.
    """
    file, sheet_name = sheet.file, sheet.sheet
    codes = [c.strip() for c in sheet.codes]
    notes: list[dict[str, Any]] = []
    counts = Counter(normalize_code(c) for c in codes if c)
    if any(n > 1 for n in counts.values()):
        seen: Counter[str] = Counter()
        places: dict[str, list[int]] = defaultdict(list)
        for i, code in enumerate(list(codes)):
            norm = normalize_code(code)
            if not norm or counts[norm] == 1:
                continue
            seen[norm] += 1
            places[norm].append(i + 1)
            if seen[norm] > 1:
                codes[i] = f"{code} ({seen[norm]})"
        for columns in places.values():
            first = codes[columns[0] - 1]
            renamed = ", ".join(repr(codes[c - 1]) for c in columns[1:])
            notes.append(
                _header_note(
                    file,
                    sheet_name,
                    header_row,
                    [codes[c - 1] for c in columns],
                    f"header code {first} appears {len(columns)} times (columns "
                    f"{', '.join(map(str, columns))}): the first is read as {first}, the "
                    f"others are kept as published in 'extra' as {renamed}",
                )
            )
    for i, code in enumerate(codes):
        if code:
            continue
        if any(i < len(row) and row[i] is not None and str(row[i]).strip() for row in sheet.rows):
            codes[i] = f"column {i + 1}"
            notes.append(
                _header_note(
                    file,
                    sheet_name,
                    header_row,
                    [codes[i]],
                    f"column {i + 1} has values but no code in the header: kept as published "
                    f"in 'extra' as 'column {i + 1}'",
                )
            )
    return codes, notes


def _header_note(
    file: str, sheet: str | None, header_row: int, columns: list[str], note: str
) -> dict[str, Any]:
    return {
        "kind": "header",
        "file": file,
        "sheet": sheet,
        "columns": columns,
        "key": None,
        "rows": [header_row],
        "note": note,
    }


def _parse_columns(
    sheet: RawSheet,
    indexes: list[int],
    width: int,
    parsers: list[Callable[[Any], Any] | None],
    mapped_idx: list[int],
    extra_idx: list[int],
    codes: list[str],
    key_pos: list[int],
    seq_pos: int | None,
) -> tuple[list[tuple[Any, ...]], list[int], list[str], list[dict[str, Any]]] | None:
    """All rows of one year, parsed column by column; None when any row has a problem.

    The common case (no bad cell, no missing key) costs one C-level pass per column
    instead of a Python call per cell; on None the row-wise loop of :func:`parse_sheet`
    runs and reports every problem with its row and column, exactly as before.
    """
    all_rows = sheet.rows
    rows = all_rows if len(indexes) == len(all_rows) else [all_rows[i] for i in indexes]
    if not rows:
        return [], [], [], []
    if any(len(r) < width for r in rows):
        rows = [list(r) + [None] * (width - len(r)) if len(r) < width else r for r in rows]
    columns = list(zip(*rows, strict=False))
    try:
        values = [
            _column_parser(parsers[i])(columns[i])  # type: ignore[arg-type]
            for i in mapped_idx
        ]
    except ValueProblem:
        return None
    keys = _natural_keys(values, key_pos, len(rows))
    if None in keys:
        return None
    if sheet.row_numbers is None:
        first = sheet.first_data_row
        numbers: list[int] = [first + i for i in indexes]
    else:
        row_numbers = sheet.row_numbers
        numbers = [row_numbers[i] for i in indexes]
    extras: list[str | None] | itertools.repeat[None]
    if extra_idx:
        extras = []
        for raw in rows:
            extra = {
                codes[i]: raw_for_json(raw[i])
                for i in extra_idx
                if raw[i] is not None and raw[i] != ""
            }
            extras.append(json.dumps(extra) if extra else None)
    else:
        extras = itertools.repeat(None)
    identities, seq_note = _identities(None if seq_pos is None else values[seq_pos], numbers)
    records = list(zip(identities, numbers, extras, *values, strict=False))
    return records, list(indexes), keys, seq_note  # type: ignore[return-value]


def _natural_key_columns(level: Level, columns: list[str]) -> tuple[str, ...] | None:
    """The natural key this file's columns give: ``levels.csv``'s key, or its name key
    (state and plant name) where the file has no ORISPL; None when it has neither."""
    info = level.info
    for candidate in (info.key_columns, info.name_key_columns):
        if candidate and all(c in columns for c in candidate):
            return candidate
    if not info.key_columns:
        return ()
    return None


def _natural_keys(values: list[Any], key_pos: list[int], n: int) -> list[str | None]:
    """:func:`_natural_key` of every row, column by column."""
    if not key_pos:
        return [""] * n
    parts = [_key_texts(values[p]) for p in key_pos]
    if len(parts) == 1:
        return parts[0]
    return [None if None in row else "/".join(row) for row in zip(*parts, strict=True)]


def _key_texts(cells: list[Any] | tuple[Any, ...]) -> list[str | None]:
    kinds = set(map(type, cells))
    if kinds == {int}:
        return list(map(str, cells))
    if kinds == {str}:
        stripped = list(map(str.strip, cells))
        return list(map(_blank_to_none, stripped, stripped))
    return list(map(_text_key, cells))


def _text_key(value: Any) -> str | None:
    if type(value) is int:
        return str(value)
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text or None


def _natural_key(values: list[Any], key_pos: list[int]) -> str | None:
    """The row's natural key as text ("3/1" for ORISPL 3, GENID 1); None if a part is blank."""
    parts = [_text_key(values[p]) for p in key_pos]
    if None in parts:
        return None
    return "/".join(parts)  # type: ignore[arg-type]


def _identities(
    sequence: list[Any] | tuple[Any, ...] | None, numbers: list[int]
) -> tuple[list[str], list[dict[str, Any]]]:
    """Each row's identity in its release, and a note when the sequence numbers cannot serve.

    ``seq:<n>``, the sheet's own sequence number, when every row has one and no two are
    alike; otherwise ``row:<n>``, the row's number in the file, unique by construction.
    """
    if sequence is not None:
        if None not in sequence and len(set(sequence)) == len(sequence):
            return [f"seq:{n}" for n in sequence], []
        note: dict[str, Any] = {
            "kind": "sequence_not_unique",
            "columns": [],
            "key": None,
            "rows": [],
            "note": "the sequence-number column is blank or repeated on some rows; "
            "rows are identified by their row number in the file",
        }
        return [f"row:{n}" for n in numbers], [note]
    return [f"row:{n}" for n in numbers], []


def _duplicate_notes(
    keys: list[str], numbers: list[int], key_codes: list[str], file: str, sheet: str | None
) -> list[dict[str, Any]]:
    """A note for each natural key that several rows share (EPA published it so)."""
    if not keys or len(set(keys)) == len(keys):
        return []
    counts = Counter(keys)
    rows: dict[str, list[int]] = defaultdict(list)
    for key, number in zip(keys, numbers, strict=True):
        if counts[key] > 1 and key:
            rows[key].append(number)
    notes = [
        {
            "kind": "duplicate_key",
            "file": file,
            "sheet": sheet,
            "columns": key_codes,
            "key": key,
            "rows": found,
            "note": f"{'+'.join(key_codes)} {key!r} is on {len(found)} rows "
            f"({', '.join(map(str, found))}); each is loaded as published",
        }
        for key, found in itertools.islice(rows.items(), MAX_QUALITY_NOTES)
    ]
    if len(rows) > MAX_QUALITY_NOTES:
        notes.append(_more_note(len(rows) - MAX_QUALITY_NOTES, key_codes, file, sheet))
    return notes


def _more_note(more: int, key_codes: list[str], file: str, sheet: str | None) -> dict[str, Any]:
    return {
        "kind": "duplicate_key",
        "file": file,
        "sheet": sheet,
        "columns": key_codes,
        "key": None,
        "rows": [],
        "note": f"and {more:,} more {'+'.join(key_codes)} values on several rows, "
        "each loaded as published",
    }
