"""Every table of the platform, on one MetaData: what Alembic migrates."""

from __future__ import annotations

import importlib

from plant_analytics.db.tables import metadata

# Modules that define tables on ``metadata``; importing them registers their tables.
TABLE_MODULES = (
    "plant_analytics.db.tables",
    "plant_analytics.auth.models",
    "plant_analytics.db.derived",
)

for _module in TABLE_MODULES:
    try:
        importlib.import_module(_module)
    except ModuleNotFoundError as exc:  # a component not installed in this build
        if exc.name is None or not _module.startswith(exc.name):
            raise

__all__ = ["metadata"]
