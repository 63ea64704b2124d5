"""The sample eGRID files shipped with the project, and loading them."""

from __future__ import annotations

import os
from pathlib import Path


def sample_dir() -> Path:
    """``PA_SAMPLE_DIR``, or the repository's ``data/egrid``."""
    configured = os.environ.get("PA_SAMPLE_DIR")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[3] / "data" / "egrid"


def sample_files() -> list[Path]:
    """The eGRID sheets among the samples (the crosswalks are reference tables, not sheets)."""
    return sorted(p for p in sample_dir().glob("*.csv") if p.is_file())
