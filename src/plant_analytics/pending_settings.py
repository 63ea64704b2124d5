"""Settings that await a field in ``settings.py``: read here, in one place, until then.

Each name is looked up on the Settings object first (once the field exists there, that wins),
then in the environment as ``PA_<NAME>``, then the default below. Delete an entry when
``Settings`` gains the field.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from plant_analytics.settings import Settings

DEFAULTS: dict[str, Any] = {
    "ops_port": 9100,
    "redis_key_prefix": "pa",
    "rate_limit_ip_per_minute": 1200,
    "gateway_signature_max_age_seconds": 30,
    "login_max_failures": 5,
    "login_lockout_seconds": 900,
    "jwks_cache_seconds": 300,
    "startup_timeout_seconds": 30,
    "dashboard_dir": Path(__file__).resolve().parents[2] / "web" / "dist",
}


def setting(settings: Settings, name: str, default: Any = None) -> Any:
    """The value of ``name``: the Settings field, else ``PA_<NAME>``, else the default."""
    fallback = DEFAULTS[name] if default is None else default
    if name in type(settings).model_fields:
        return getattr(settings, name)
    raw = os.environ.get(f"PA_{name.upper()}")
    if raw is None or raw == "":
        return fallback
    return type(fallback)(raw)
