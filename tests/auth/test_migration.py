"""Migration 0002_auth creates exactly the tables of auth/models.py."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Engine

from plant_analytics.db.migrate import current_revision
from plant_analytics.db.schema import metadata


def test_migrated_schema_matches_the_models(engine: Engine) -> None:
    assert current_revision(engine) is not None
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = [
            d
            for d in compare_metadata(context, metadata)
            if "app_user" in str(d) or "refresh_token" in str(d)
        ]
    assert diff == []
