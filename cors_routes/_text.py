"""Request values made safe to put in a log line (no framework imports: every layer uses it).

A value from a request may hold a newline, an ANSI escape or megabytes of text; shown
through :func:`escape` it is one quoted, printable, short line (no log injection, cf.
CVE-2024-1681 in Flask-CORS).
"""

from __future__ import annotations

_MAX_SHOWN = 200


def escape(value: bytes | str | None) -> str:
    """A request value as a quoted, single-line, printable string, at most ~200 characters."""
    if value is None:
        return "(none)"
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    if len(text) > _MAX_SHOWN:
        text = f"{text[:_MAX_SHOWN]}...({len(text)} chars)"
    # repr() escapes control characters, line and paragraph separators and non-printables.
    return repr(text)
