"""bench/BENCHMARKS.md holds one section per benchmark script; each run replaces only its own."""
from __future__ import annotations

import re
from pathlib import Path

FILE = Path(__file__).resolve().parent / "BENCHMARKS.md"
TITLE = "# Benchmarks\n"


def write_section(key: str, text: str) -> None:
    """Replace (or append) the section marked `key`, leaving the other sections as they are."""
    start, end = f"<!-- begin {key} -->", f"<!-- end {key} -->"
    block = f"{start}\n{text.strip()}\n{end}"
    current = FILE.read_text() if FILE.is_file() else TITLE
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.S)
    if pattern.search(current):
        current = pattern.sub(lambda _: block, current)
    elif start not in current and key == "finance" and "## Finance" in current:  # file from before sections
        current = TITLE + "\n" + block + "\n"
    else:
        current = current.rstrip() + "\n\n" + block + "\n"
    FILE.write_text(current)
