"""Terminal output for the command line: aligned tables, and colour only on a terminal."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TextIO

_CODES = {"red": "31", "green": "32", "yellow": "33", "bold": "1", "dim": "2"}


class Style:
    """Colours text when ``stream`` is a terminal (and NO_COLOR is unset); plain otherwise."""

    def __init__(self, stream: TextIO) -> None:
        isatty = getattr(stream, "isatty", None)
        self.enabled = bool(isatty and isatty()) and not os.environ.get("NO_COLOR")

    def __call__(self, text: str, *styles: str) -> str:
        if not self.enabled or not styles:
            return text
        codes = ";".join(_CODES[style] for style in styles)
        return f"\x1b[{codes}m{text}\x1b[0m"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], style: Style | None = None) -> str:
    """Columns padded to their widest cell, separated by two spaces; the header in bold."""
    widths = [len(header) for header in headers]
    for row in rows:
        for index, cell in enumerate(row):
            widths[index] = max(widths[index], len(cell))

    def line(cells: Sequence[str]) -> str:
        padded = [cell.ljust(width) for cell, width in zip(cells, widths, strict=True)]
        return "  ".join(padded).rstrip()

    head = line(headers)
    lines = [style(head, "bold") if style else head]
    lines += [line(row) for row in rows]
    return "\n".join(lines)
