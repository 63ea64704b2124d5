"""The docs that are generated from code match the code."""

from __future__ import annotations

import importlib.util
from pathlib import Path

TOOL = Path(__file__).resolve().parents[1] / "tools" / "gen_docs.py"


def test_generated_doc_sections_are_current() -> None:
    spec = importlib.util.spec_from_file_location("gen_docs", TOOL)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(check=True) == 0, "docs out of date: run `make docs`"
