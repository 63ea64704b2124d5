"""The schema: one table per eGRID level, generated from the column maps, plus provenance.

Every numeric eGRID value is stored as a double precision float (REAL in SQLite). eGRID's
own master copy is an Excel workbook, whose cells are IEEE-754 doubles: a double column
holds each value exactly as published, where NUMERIC would only pretend to more precision
and cost speed in aggregates. Text stays text (FIPS codes keep their leading zeros).
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from plant_analytics.egrid.catalog import Kind, canonical_columns
from plant_analytics.egrid.levels import Level

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

JSONType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


class Timestamp(sa.types.TypeDecorator[datetime]):
    """A moment in time, stored in UTC and always read back time zone-aware (UTC).

    PostgreSQL's ``timestamptz`` keeps the zone; SQLite has no date type and hands back the
    stored text as a naive datetime. Every stored moment is UTC, so a naive one read back is
    UTC: it gets the zone here, once, for every caller (API, auth, CLI), rather than in each
    of them. A moment written with another offset is converted to UTC first (SQLite would
    otherwise store its local wall time); a naive one written is taken as UTC.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


ingestion_run = sa.Table(
    "ingestion_run",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("file_name", sa.Text, nullable=False),
    sa.Column("sha256", sa.String(64)),
    sa.Column("size_bytes", sa.BigInteger),
    sa.Column("storage_key", sa.Text),
    sa.Column("requested_by", sa.Text),
    sa.Column("options", JSONType),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("started_at", Timestamp),
    sa.Column("finished_at", Timestamp),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("progress", sa.Float, nullable=False, server_default="0"),
    sa.Column("rows_read", sa.Integer, nullable=False, server_default="0"),
    sa.Column("rows_loaded", sa.Integer, nullable=False, server_default="0"),
    sa.Column("rows_rejected", sa.Integer, nullable=False, server_default="0"),
    sa.Column("counts", JSONType),
    sa.Column("errors", JSONType),
    sa.Column("warnings", JSONType),
    sa.Column("checks", JSONType),
    sa.Column("message", sa.Text),
)

release = sa.Table(
    "release",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("level", sa.String(16), nullable=False),
    sa.Column("data_year", sa.Integer, nullable=False),
    sa.Column("revision", sa.Text),
    sa.Column("file_name", sa.Text, nullable=False),
    sa.Column("sheet", sa.Text),
    sa.Column("sha256", sa.String(64), nullable=False, index=True),
    sa.Column("size_bytes", sa.BigInteger, nullable=False),
    sa.Column("source_profile", sa.String(32), nullable=False),
    sa.Column("share_convention", sa.String(16), nullable=False),
    sa.Column("source_codes", JSONType, nullable=False),
    sa.Column("descriptions", JSONType),
    sa.Column("row_count", sa.Integer, nullable=False),
    sa.Column("loaded_at", Timestamp, nullable=False),
    sa.Column("loaded_by", sa.Text),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("ingestion_run.id")),
    sa.Column("storage_key", sa.Text),
    sa.Column("superseded_at", Timestamp),
    sa.Column("superseded_by", sa.Integer, sa.ForeignKey("release.id")),
    # Notes on what the file holds as EPA published it (a natural key listed twice, ...):
    # loaded exactly and reported, never refused (migration 0006, docs/data-model.md).
    sa.Column("quality", JSONType),
    sa.Index("ix_release_level_year", "level", "data_year"),
)

rejected_row = sa.Table(
    "rejected_row",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("ingestion_run.id"), nullable=False, index=True),
    sa.Column("file_name", sa.Text, nullable=False),
    sa.Column("sheet", sa.Text),
    sa.Column("row_number", sa.Integer),
    sa.Column("column_code", sa.Text),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("raw", JSONType),
)

BASE_COLUMNS = ("data_year", "record_key", "release_id", "source_row", "extra")
_TYPES = {
    Kind.TEXT: sa.Text,
    Kind.INTEGER: sa.BigInteger,
    Kind.NUMBER: sa.Double,
    Kind.SHARE: sa.Double,
}
# The filters and sorts the API serves, per level (docs/data-model.md#indexes).
INDEXED: dict[Level, tuple[str, ...]] = {
    Level.PLANT: (
        "state",
        "fuel_category",
        "subregion",
        "ba_code",
        "nerc_region",
        "net_generation_mwh",
        "plant_id_eia",
    ),
    Level.GENERATOR: ("state", "plant_id_eia", "net_generation_mwh"),
    Level.UNIT: ("state", "plant_id_eia"),
    Level.BOILER: ("plant_id_eia",),
    Level.LOCATION: ("zip_code",),
}


def _level_table(level: Level) -> sa.Table:
    name = level.info.table
    columns: list[sa.Column[object]] = [
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("data_year", sa.Integer, nullable=False),
        sa.Column("record_key", sa.Text, nullable=False),
        # The release the row came from. Not a declared foreign key: see migration
        # 0005_release_references and docs/data-model.md#provenance.
        sa.Column("release_id", sa.Integer, nullable=False),
        sa.Column("source_row", sa.Integer, nullable=False),
        sa.Column("extra", JSONType),
    ]
    specs = canonical_columns(level)
    for column, spec in specs.items():
        if column in BASE_COLUMNS or column == "id":
            continue
        columns.append(
            sa.Column(column, _TYPES[spec.kind](), comment=spec.description[:250] or None)
        )
    table = sa.Table(
        name,
        metadata,
        *columns,
        sa.UniqueConstraint("data_year", "record_key", name=f"uq_{name}_year_key"),
        comment=level.info.description,
    )
    for column in INDEXED.get(level, ()):
        if column in table.c:
            sa.Index(f"ix_{name}_year_{column}", table.c.data_year, table.c[column])
    return table


LEVEL_TABLES: dict[Level, sa.Table] = {level: _level_table(level) for level in Level}


def level_table(level: Level | str) -> sa.Table:
    return LEVEL_TABLES[Level(level)]


def data_columns(level: Level | str) -> list[str]:
    """The canonical columns of a level's table, in table order."""
    table = level_table(level)
    return [c.name for c in table.columns if c.name not in ("id", *BASE_COLUMNS)]


# What each file of the release catalogue (egrid/data/releases.csv) was fetched as: the
# validators EPA's server gave (ETag, Last-Modified), the file's size and SHA-256, where the
# raw file is kept, and what the watch for new revisions last saw (migration 0009).
release_fetch = sa.Table(
    "release_fetch",
    metadata,
    sa.Column("file_id", sa.String(128), primary_key=True),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("etag", sa.Text),
    sa.Column("last_modified", sa.Text),
    sa.Column("sha256", sa.String(64)),
    sa.Column("size_bytes", sa.BigInteger),
    sa.Column("storage_key", sa.Text),
    sa.Column("fetched_at", Timestamp),
    sa.Column("run_id", sa.Integer),
    sa.Column("checked_at", Timestamp),
    sa.Column("seen_etag", sa.Text),
    sa.Column("seen_last_modified", sa.Text),
    sa.Column("seen_size_bytes", sa.BigInteger),
    sa.Column("message", sa.Text),
)
