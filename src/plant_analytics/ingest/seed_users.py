"""Users created by ``seed``: the demo admin in development, the configured admin elsewhere."""

from __future__ import annotations

from sqlalchemy.engine import Engine


def seed_users(engine: Engine) -> list[str]:
    try:
        from plant_analytics.auth.service import ensure_admin
    except ModuleNotFoundError:
        return []
    return ensure_admin(engine)
