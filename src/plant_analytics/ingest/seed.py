"""The sample eGRID files shipped with the project, and loading them."""

from __future__ import annotations

from pathlib import Path

from plant_analytics.settings import Settings, get_settings

REPOSITORY_SAMPLES = Path(__file__).resolve().parents[3] / "data" / "egrid"


def sample_dir(settings: Settings | None = None) -> Path:
    """``PA_SAMPLE_DIR``, or the repository's ``data/egrid``."""
    configured = (settings or get_settings()).sample_dir
    return configured if configured is not None else REPOSITORY_SAMPLES


def sample_files(settings: Settings | None = None) -> list[Path]:
    """The eGRID sheets among the samples (the crosswalks are reference tables, not sheets)."""
    return sorted(p for p in sample_dir(settings).glob("*.csv") if p.is_file())
