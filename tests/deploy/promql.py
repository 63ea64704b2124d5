"""The metric names a PromQL expression reads, for checking dashboards and rules against
deploy/metrics.txt. A small lexer, not a parser: good enough for the queries we write."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
METRICS_FILE = ROOT / "deploy" / "metrics.txt"

# Series a family exposes besides its own name: histograms' _bucket, _sum and _count, and the
# _total (and _created) that prometheus_client appends to a Counter named without _total.
FAMILY_SUFFIXES = ("_bucket", "_sum", "_count", "_total", "_created")

# Words that look like identifiers but are not metrics: aggregation operators and their
# modifiers, set and comparison keywords, offsets, and literals.
KEYWORDS = {
    "and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right",
    "bool", "offset", "inf", "nan", "sum", "min", "max", "avg", "count", "stddev", "stdvar",
    "topk", "bottomk", "quantile", "count_values", "group", "limitk", "limit_ratio",
}  # fmt: skip

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"' + r"|'(?:[^'\\]|\\.)*'")
_MATCHERS = re.compile(r"\{[^}]*\}")
_RANGE = re.compile(r"\[[^\]]*\]")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_VARIABLE = re.compile(r"\$\{?\w+\}?")
_NUMBER = re.compile(r"(?<![\w:])\d+(?:\.\d+)?(?:e[+-]?\d+)?", re.IGNORECASE)
_IDENTIFIER = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL_VALUES = re.compile(r"^\s*label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*,")


def exported_metrics() -> set[str]:
    return {line.strip() for line in METRICS_FILE.read_text().splitlines() if line.strip()}


def series_names(expr: str) -> set[str]:
    """Names of the series an expression selects (before histogram suffixes are folded)."""
    label_values = _LABEL_VALUES.match(expr)
    if label_values:
        return {label_values.group(1)}
    for pattern in (_STRING, _MATCHERS, _RANGE, _GROUPING, _VARIABLE, _NUMBER):
        expr = pattern.sub(" ", expr)
    names = set()
    for match in _IDENTIFIER.finditer(expr):
        word = match.group()
        if word.lower() in KEYWORDS or expr[match.end() :].lstrip().startswith("("):
            continue
        names.add(word)
    return names


def metric_names(expr: str, known: set[str]) -> set[str]:
    """Metric families an expression reads: `x_bucket` or `x_total` count as `x` when `x` is
    known."""
    names = set()
    for name in series_names(expr):
        if name in known:
            names.add(name)
            continue
        for suffix in FAMILY_SUFFIXES:
            if name.endswith(suffix) and name.removesuffix(suffix) in known:
                name = name.removesuffix(suffix)
                break
        names.add(name)
    return names
