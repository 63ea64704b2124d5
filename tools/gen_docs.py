"""Regenerate the generated sections of the docs from the code (``make docs``)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from plant_analytics.settings import Settings

DOCS = Path(__file__).resolve().parents[1] / "docs"
SECTIONS = {"operations.md": {"settings": Settings.documentation}}


def render(text: str, name: str, body: str) -> str:
    pattern = re.compile(rf"(<!-- {name}:start -->\n).*?(<!-- {name}:end -->)", re.S)
    if not pattern.search(text):
        raise SystemExit(f"no <!-- {name}:start --> marker")
    return pattern.sub(lambda m: m.group(1) + body + m.group(2), text)


def main(check: bool = False) -> int:
    stale = []
    for file, sections in SECTIONS.items():
        path = DOCS / file
        text = path.read_text()
        new = text
        for name, make in sections.items():
            new = render(new, name, make())
        if new != text:
            stale.append(file)
            if not check:
                path.write_text(new)
    if check and stale:
        print(f"stale generated docs: {', '.join(stale)}; run: make docs")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(check="--check" in sys.argv))
