"""Every table of the platform, on one MetaData: what Alembic migrates."""

from __future__ import annotations

import importlib

from plant_analytics.db.tables import metadata

# Modules that define tables on ``metadata``; importing them registers their tables.
TABLE_MODULES = ("plant_analytics.db.tables", "plant_analytics.auth.models")

for _module in TABLE_MODULES:
    importlib.import_module(_module)

__all__ = ["metadata"]
