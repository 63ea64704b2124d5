"""The sample eGRID files shipped with the project, and loading them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from plant_analytics.readers.files import files_in
from plant_analytics.settings import Settings, get_settings

REPOSITORY_SAMPLES = Path(__file__).resolve().parents[3] / "data" / "egrid"

# Files of the sample folder's sub-folders that are datasets too, with the data year their
# source states (data/egrid/SOURCES.md) where the file has no YEAR column of its own.
SAMPLE_LOOKUPS: tuple[tuple[str, int | None], ...] = (
    ("power-profiler/subregion_2023rev2.json", None),  # dataYear 2023 in every feature
    ("crosswalks/power_profiler_zip_subregion_2023.csv", 2023),  # the eGRID2023 Power Profiler
)


@dataclass(frozen=True)
class SampleLoad:
    path: Path
    year: int | None = None


def sample_dir(settings: Settings | None = None) -> Path:
    """``PA_SAMPLE_DIR``, or the repository's ``data/egrid``."""
    configured = (settings or get_settings()).sample_dir
    return configured if configured is not None else REPOSITORY_SAMPLES


def sample_files(settings: Settings | None = None) -> list[Path]:
    """The eGRID files of the sample folder (its crosswalks, in a sub-folder, are reference
    tables, not eGRID sheets); none if the folder does not exist."""
    folder = sample_dir(settings)
    return files_in(folder) if folder.is_dir() else []


def sample_loads(settings: Settings | None = None) -> list[SampleLoad]:
    """What ``seed`` loads: the sample folder's eGRID files, then the Power Profiler's
    subregion table and its ZIP -> utility -> subregion lookup (a level of its own,
    ``location``), each with the year its source gives."""
    folder = sample_dir(settings)
    loads = [SampleLoad(path) for path in sample_files(settings)]
    for relative, year in SAMPLE_LOOKUPS:
        path = folder / relative
        if path.is_file():
            loads.append(SampleLoad(path, year))
    return loads
