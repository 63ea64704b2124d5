"""Finding the header among a sheet's first rows, in every layout EPA has used.

- descriptions in one row, codes such as ORISPL, PLNGENAN in the next (EPA's usual layout);
- codes only (one header row, as in CSV extracts and the eGRID Explorer);
- code and description in one cell, ``"PSTATABB\\nState abbreviation"`` (eGRID2002), or
  ``"Plant state abbreviation (PSTATABB)"``;
- descriptions only: each mapped to its code through the column maps, where unambiguous;
- any of these below banner rows (titles, notes, blank rows): the first
  :data:`HEADER_SEARCH_ROWS` rows are searched, no further, so data rows are never scanned.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from plant_analytics.egrid.catalog import column_specs, known_share, normalize_code
from plant_analytics.egrid.levels import Level
from plant_analytics.readers.model import InputError, Problem

HEADER_THRESHOLD = 0.5
HEADER_SEARCH_ROWS = 10  # banner rows above the header: a title, notes, blank rows
# "Plant state abbreviation (PSTATABB)": a description, then its code in parentheses.
_TRAILING_CODE = re.compile(r"^(?P<description>.*\S)\s*\((?P<code>[A-Za-z0-9_]+)\)\s*$", re.S)
DESCRIPTIONS_FILL = 0.75  # a row above the codes holds their descriptions if it fills as many
# How EPA's regional sheets begin the descriptions that the column maps hold without a level.
LEVEL_WORDS: dict[Level, tuple[str, ...]] = {
    Level.STATE: ("State",),
    Level.BA: ("Balancing Authority", "BA"),
    Level.SUBREGION: ("eGRID subregion", "Subregion"),
    Level.NERC: ("NERC region", "NERC"),
    Level.US: ("U.S.", "US"),
}


class NotEgridError(InputError):
    """The file (or sheet) has nothing that reads as eGRID data: not an eGRID table.

    ``summary`` says why in a few words, for a note where such a file is passed over.
    """

    def __init__(self, problems: list[Problem], summary: str = "not an eGRID table") -> None:
        super().__init__(problems)
        self.summary = summary


def as_text(cell: Any) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell)


def normalize_description(text: str) -> str:
    """Descriptions as compared: runs of whitespace (line breaks too) as one space, no case."""
    return " ".join(text.split()).casefold()


def _is_code(text: str) -> bool:
    norm = normalize_code(text)
    return bool(norm) and known_share([norm]) == 1.0


def split_cell(text: str) -> tuple[str, str | None]:
    """A header cell as (code, description): ``"ORISPL\\r\\nDOE/EIA ORIS ..."`` gives
    ``("ORISPL", "DOE/EIA ORIS ...")``; a cell that is not a code with its description
    comes back whole, with None."""
    if not text or _is_code(text):  # a code, even one broken by a line break ("GENNT\nAN")
        return text, None
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) >= 2:
        if _is_code(lines[0]):
            return lines[0], " ".join(lines[1:])
        if _is_code(lines[-1]):
            return lines[-1], " ".join(lines[:-1])
    match = _TRAILING_CODE.match(text)
    if match and _is_code(match["code"]):
        return match["code"].strip(), " ".join(match["description"].split())
    return text, None


@dataclass
class Header:
    """Where the header is and what it says.

    ``index`` is the position, in the rows searched, of the last header row (the codes
    row, or the one row of combined cells or of descriptions); data follows it.
    ``first_index`` is that of the first header row (the descriptions row, if separate).
    """

    index: int
    first_index: int
    codes: list[str]
    descriptions: list[str] | None
    layout: str
    notes: list[str] = field(default_factory=list)


def _filled(row: Sequence[Any]) -> int:
    return sum(1 for c in row if as_text(c).strip())


# What an eGRID code looks like (ORISPL, PLNGENAN, SEQPLT00): for a row of codes that the
# maps know only in part, as an old edition's plant sheet with codes since renamed.
_CODE_LIKE = re.compile(r"^[A-Z][A-Z0-9_]{2,11}$")
CODE_LIKE_SHARE = 0.9  # of the row's filled cells
MIN_KNOWN_CODES = 3  # known to the maps, in such a row


def _code_score(row: Sequence[Any]) -> tuple[float, list[tuple[str, str | None]]]:
    """How much a row reads as a row of codes (0-1), and its cells as (code, description).

    Mostly codes the column maps know scores their share. A row whose cells all look like
    codes (upper-case words such as PLNGENAN, each perhaps with its description below a
    line break), with at least a few known ones, also passes: an old edition's header holds
    codes renamed since, which are kept as published in 'extra'.
    """
    cells = [split_cell(as_text(c)) for c in row]
    codes = [code for code, _ in cells]
    score = known_share(codes)
    filled = [c.strip() for c in codes if c.strip()]
    heads = [c.splitlines()[0].strip() for c in filled]
    if score < HEADER_THRESHOLD:
        code_like = sum(1 for h in heads if _CODE_LIKE.match(h))
        known = round(score * len(filled))
        if not filled or code_like < CODE_LIKE_SHARE * len(filled) or known < MIN_KNOWN_CODES:
            return score, cells
        score = HEADER_THRESHOLD
    # A header row: an unknown code with its description below it is split like a known one.
    return score, [
        (lines[0].strip(), " ".join(lines[1:]).strip() or None)
        if description is None
        and len(lines := text.strip().splitlines()) > 1
        and _CODE_LIKE.match(lines[0].strip())
        and not _is_code(text)  # a known code broken by a line break stays whole
        else (text, description)
        for text, description in cells
    ]


def header_score(cells: Sequence[str]) -> float:
    """How much a row reads as a header: the share of eGRID codes (alone or with their
    descriptions), or else of known descriptions. Used to tell a CSV's separator."""
    score, _ = _code_score(cells)
    if score >= HEADER_THRESHOLD:
        return score
    filled = [c for c in cells if c.strip()]
    if not filled:
        return 0.0
    index = _description_index(None, None)
    return max(score, sum(1 for c in filled if normalize_description(c) in index) / len(filled))


@cache
def _description_index(level: Level | None, year: int | None) -> dict[str, frozenset[str]]:
    """Normalised description -> the codes it describes (of ``level``, or of every level)."""
    out: dict[str, set[str]] = {}
    for lv in Level if level is None else (level,):
        for spec in column_specs(lv):
            if not spec.applies_to(year) or not spec.description:
                continue
            keys = {normalize_description(spec.description)}
            prefix = lv.info.code_prefix
            words = LEVEL_WORDS.get(lv, ())
            if words and prefix and spec.code.startswith(prefix):
                keys |= {normalize_description(f"{w} {spec.description}") for w in words}
            for key in keys:
                out.setdefault(key, set()).add(spec.code)
    return {key: frozenset(codes) for key, codes in out.items()}


def _best_level(descriptions: list[str], year: int | None) -> Level | None:
    """The level whose column maps know the most of these descriptions; None on a tie."""
    scores = sorted(
        ((sum(1 for d in descriptions if d in _description_index(lv, year)), lv) for lv in Level),
        key=lambda item: -item[0],
    )
    (best, level), (second, _) = scores[0], scores[1]
    return level if best > second else None


def _describe(cells: Sequence[str], limit: int = 6) -> str:
    shown = list(cells[:limit])
    return ", ".join(shown) + (f" and {len(cells) - limit} more" if len(cells) > limit else "")


def _from_descriptions(
    row: Sequence[Any], level: Level | None, year: int | None
) -> tuple[list[str], list[str], list[str]] | None:
    """Codes for a row of descriptions: (codes, descriptions, notes), or None when too few
    cells are descriptions the column maps know."""
    texts = [as_text(c) for c in row]
    filled = [t for t in texts if t.strip()]
    if level is None:
        level = _best_level([normalize_description(t) for t in filled], year)
    index = _description_index(level, year)
    matches = [index.get(normalize_description(t), frozenset()) for t in texts]
    known = sum(1 for t, m in zip(texts, matches, strict=True) if t.strip() and m)
    if not filled or known < 2 or known / len(filled) < HEADER_THRESHOLD:
        return None
    codes: list[str] = []
    taken: set[str] = set()
    ambiguous: list[str] = []
    unknown: list[str] = []
    twice: list[str] = []
    for text, found in zip(texts, matches, strict=True):
        if not text.strip():
            codes.append("")
        elif len(found) == 1 and next(iter(found)) not in taken:
            code = next(iter(found))
            taken.add(code)
            codes.append(code)
        else:
            # Not mapped: the description itself names the column (kept verbatim in 'extra').
            codes.append(text.strip())
            if len(found) > 1:
                ambiguous.append(f"{text.strip()!r} ({' or '.join(sorted(found))})")
            elif found:
                twice.append(f"{text.strip()!r} ({next(iter(found))})")
            else:
                unknown.append(repr(text.strip()))
    mapped = len(taken)
    notes = [
        f"header of descriptions only, no codes: {mapped} of {len(filled)} columns named "
        "by the code whose description the column maps give"
    ]
    if ambiguous:
        notes.append(
            f"not mapped, the description fits several codes: {_describe(ambiguous)}; "
            "kept under the description"
        )
    if twice:
        notes.append(
            f"not mapped, a second column with the description of one code: {_describe(twice)}; "
            "kept under the description"
        )
    if unknown:
        notes.append(
            f"not mapped, no code has the description: {_describe(unknown)}; "
            "kept under the description"
        )
    return codes, texts, notes


def find_header(
    rows: Sequence[Sequence[Any]],
    file: str,
    sheet: str | None,
    *,
    level: Level | None = None,
    year: int | None = None,
    row_numbers: Sequence[int] | None = None,
) -> Header:
    """The header among the first :data:`HEADER_SEARCH_ROWS` of ``rows``.

    The first row whose cells are mostly eGRID codes (alone or with their descriptions)
    is the header; the row above it, when it fills as many columns, holds the descriptions.
    Without such a row, the first row whose cells are mostly descriptions that the column
    maps know is read as the header, each description mapped to its code where only one
    code has it (of ``level`` and ``year`` when known; else of the level whose maps know
    the most of them). ``row_numbers`` are the rows'
    numbers in the file, for the notes and the problem.
    """
    searched = list(rows[:HEADER_SEARCH_ROWS])
    numbers = list(row_numbers[: len(searched)]) if row_numbers else None

    def number(i: int) -> int:
        return numbers[i] if numbers else i + 1

    best: tuple[float, int, list[tuple[str, str | None]]] | None = None
    for i, row in enumerate(searched):
        if not _filled(row):
            continue
        score, cells = _code_score(row)
        if score >= HEADER_THRESHOLD and (best is None or score > best[0]):
            best = (score, i, cells)
            if score == 1.0:
                break
    if best is not None:
        _, i, cells = best
        codes = [code for code, _ in cells]
        if any(description is not None for _, description in cells):
            return Header(
                index=i,
                first_index=i,
                codes=codes,
                descriptions=[description or "" for _, description in cells],
                layout="code-and-description cells",
            )
        above = i - 1
        while above >= 0 and not _filled(searched[above]):
            above -= 1
        if above >= 0 and _filled(searched[above]) >= DESCRIPTIONS_FILL * _filled(searched[i]):
            return Header(
                index=i,
                first_index=above,
                codes=codes,
                descriptions=[as_text(c) for c in searched[above]],
                layout="descriptions, then codes",
            )
        return Header(index=i, first_index=i, codes=codes, descriptions=None, layout="codes")

    for i, row in enumerate(searched):
        if not _filled(row):
            continue
        mapped = _from_descriptions(row, level, year)
        if mapped is not None:
            codes, descriptions, notes = mapped
            return Header(
                index=i,
                first_index=i,
                codes=codes,
                descriptions=descriptions,
                layout="descriptions",
                notes=[f"row {number(i)}: {n}" for n in notes],
            )

    first_filled = next((r for r in searched if _filled(r)), [])
    first = ", ".join(as_text(c) for c in first_filled[:6])
    raise NotEgridError(
        [
            Problem(
                file=file,
                sheet=sheet,
                row=number(0) if searched else 1,
                reason=(
                    f"no header row of eGRID codes in the first {HEADER_SEARCH_ROWS} rows (EPA's "
                    "layout has descriptions in row 1 and codes such as ORISPL, PLNGENAN in "
                    "row 2), nor a row of descriptions that the column maps know; the first "
                    f"row starts with: {first!r}. Is this an eGRID file?"
                ),
            )
        ],
        summary=f"not an eGRID table (no eGRID codes or descriptions in its first "
        f"{HEADER_SEARCH_ROWS} rows)",
    )


def locate_header(rows: list[list[Any]], file: str, sheet: str | None) -> int:
    """Index of the row of codes among ``rows`` (see :func:`find_header`)."""
    return find_header(rows, file, sheet).index
