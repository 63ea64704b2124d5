"""The sample eGRID files shipped with the project, and loading them."""

from __future__ import annotations

from pathlib import Path

from plant_analytics.readers.files import files_in
from plant_analytics.settings import Settings, get_settings

REPOSITORY_SAMPLES = Path(__file__).resolve().parents[3] / "data" / "egrid"


def sample_dir(settings: Settings | None = None) -> Path:
    """``PA_SAMPLE_DIR``, or the repository's ``data/egrid``."""
    configured = (settings or get_settings()).sample_dir
    return configured if configured is not None else REPOSITORY_SAMPLES


def sample_files(settings: Settings | None = None) -> list[Path]:
    """The eGRID files of the sample folder (its crosswalks, in a sub-folder, are reference
    tables, not eGRID sheets); none if the folder does not exist."""
    folder = sample_dir(settings)
    return files_in(folder) if folder.is_dir() else []
