"""Terminal output for the command line: aligned tables, and colour only on a terminal."""

from __future__ import annotations

import os
import textwrap
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


def table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    style: Style | None = None,
    *,
    width: int = 0,
    fold: int | None = None,
) -> str:
    """Columns padded to their widest cell, separated by two spaces; the header in bold.

    With a ``width`` (the terminal's) and a column to ``fold``, that column's cells, lists
    of items separated by ", ", are wrapped over several lines so that the table fits, the
    other columns staying aligned; an item is never split.
    """
    lines_of_cells = [list(row) for row in rows]
    if fold is not None and width > 0:
        lines_of_cells = _folded(headers, lines_of_cells, fold, width)
    widths = [len(header) for header in headers]
    for row in lines_of_cells:
        for index, cell in enumerate(row):
            widths[index] = max(widths[index], len(cell))

    def line(cells: Sequence[str]) -> str:
        padded = [cell.ljust(width) for cell, width in zip(cells, widths, strict=True)]
        return "  ".join(padded).rstrip()

    head = line(headers)
    lines = [style(head, "bold") if style else head]
    lines += [line(row) for row in lines_of_cells]
    return "\n".join(lines)


def _folded(
    headers: Sequence[str], rows: list[list[str]], fold: int, width: int
) -> list[list[str]]:
    """The rows with the cells of column ``fold`` wrapped, continuation lines as rows of
    their own (every other cell empty)."""
    others = [
        max([len(headers[index]), *(len(row[index]) for row in rows)])
        for index in range(len(headers))
        if index != fold
    ]
    items = [row[fold].split(", ") for row in rows]
    longest_item = max([len(headers[fold]), *(len(item) for row in items for item in row)])
    budget = max(width - sum(others) - 2 * len(others), longest_item)
    result = []
    for row, row_items in zip(rows, items, strict=True):
        pieces = _wrap(row_items, budget)
        result.append([*row[:fold], pieces[0], *row[fold + 1 :]])
        result += [[""] * fold + [piece] + [""] * (len(row) - fold - 1) for piece in pieces[1:]]
    return result


def _wrap(items: list[str], budget: int) -> list[str]:
    """Items joined by ", " on lines of at most ``budget`` characters (a line ends with ","
    when the list goes on)."""
    lines: list[str] = []
    current = ""
    for item in items:
        candidate = f"{current}, {item}" if current else item
        if current and len(candidate) + 1 > budget:  # +1: the comma that ends the line
            lines.append(current + ",")
            current = item
        else:
            current = candidate
    lines.append(current)
    return lines


PROSE_WIDTH = 100
"""The widest line of prose (``check``, ``explain``): wider text is hard to read, and it is
the width used when the output's is unknown (a pipe, a file)."""


def width(stream: TextIO) -> int | None:
    """The number of columns to fit: ``COLUMNS`` when set (as ``shutil.get_terminal_size``
    honours it), else the terminal's when ``stream`` is one, else None (a pipe or a file)."""
    columns = os.environ.get("COLUMNS", "").strip()
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    try:
        if stream.isatty():
            return os.get_terminal_size(stream.fileno()).columns or None
    except (AttributeError, ValueError, OSError):  # no file descriptor (a StringIO), or closed
        pass
    return None


def prose_width(stream: TextIO) -> int:
    """The width prose is wrapped to: the terminal's, at most :data:`PROSE_WIDTH`."""
    known = width(stream)
    return PROSE_WIDTH if known is None else min(known, PROSE_WIDTH)


KEEP = "\x00"
"""A space :func:`fill` never breaks a line at (``f"credentials:{KEEP}yes"``)."""


def fill(text: str, width: int, indent: str = "", hang: str | None = None) -> list[str]:
    """``text`` word-wrapped to ``width``: the first line starts with ``indent``, the others
    with ``hang`` (``indent`` by default). Words are never split, not even at hyphens: a URL,
    an origin or a path longer than the line stays whole, on a line of its own."""
    lines = textwrap.wrap(
        text,
        width=max(width, 1),
        initial_indent=indent,
        subsequent_indent=indent if hang is None else hang,
        break_long_words=False,
        break_on_hyphens=False,
    ) or [indent.rstrip()]
    return [line.replace(KEEP, " ") for line in lines]
