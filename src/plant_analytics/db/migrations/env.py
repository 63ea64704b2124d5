"""Alembic environment: the engine comes from the caller (plant_analytics.db.migrate)."""

from __future__ import annotations

from alembic import context

from plant_analytics.db.engine import get_engine
from plant_analytics.db.schema import metadata

config = context.config
engine = config.attributes.get("engine") or get_engine()

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
