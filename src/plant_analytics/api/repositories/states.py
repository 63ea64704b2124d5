"""Which states appear in which levels and years."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from plant_analytics.db.tables import level_table
from plant_analytics.egrid.levels import Level

STATE_LEVELS = (Level.STATE, Level.PLANT, Level.GENERATOR, Level.UNIT)


def state_years(engine: Engine) -> dict[str, dict[str, set[int]]]:
    """State code -> level -> data years with rows for that state."""
    out: dict[str, dict[str, set[int]]] = {}
    with engine.connect() as conn:
        for level in STATE_LEVELS:
            table = level_table(level)
            query = sa.select(table.c.state, table.c.data_year).distinct()
            for state, year in conn.execute(query):
                if state:
                    out.setdefault(state, {}).setdefault(level.value, set()).add(int(year))
    return out
