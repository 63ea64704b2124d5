"""Migrations 0002_auth and 0004_api_keys create exactly the tables of auth/models.py, and
0004 downgrades and upgrades again."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Engine

from plant_analytics.db.migrate import alembic_config, current_revision, upgrade
from plant_analytics.db.schema import metadata

AUTH_TABLES = ("app_user", "refresh_token", "api_key")


def _auth_diff(engine: Engine) -> list[object]:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return [
            d
            for d in compare_metadata(context, metadata)
            if any(table in str(d) for table in AUTH_TABLES)
        ]


def test_migrated_schema_matches_the_models(engine: Engine) -> None:
    assert current_revision(engine) is not None
    assert _auth_diff(engine) == []


def test_api_keys_migration_downgrades_and_upgrades(engine: Engine) -> None:
    head = current_revision(engine)  # 0004_api_keys or a later migration
    assert head not in (None, "0003_api_speed")
    command.downgrade(alembic_config(engine), "0003_api_speed")
    assert current_revision(engine) == "0003_api_speed"
    tables = set(sa.inspect(engine).get_table_names())
    assert "api_key" not in tables
    assert {"app_user", "refresh_token"} <= tables
    upgrade(engine)
    assert current_revision(engine) == head
    assert "api_key" in sa.inspect(engine).get_table_names()
    assert _auth_diff(engine) == []
