"""Putting a policy's CORS headers on a response's start message.

The policy owns every ``Access-Control-*`` response header: an endpoint that still sets its
own (left over from hand-written CORS) would otherwise send a second
``Access-Control-Allow-Origin`` line, and browsers fail a response with two. ``Vary`` is
merged into the endpoint's own, never duplicated.

The common case costs a length lookup per header of the app and one list concatenation:
this runs for every response.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.types import Message

from ._headers import add_vary

_ACCESS_CONTROL = b"access-control-"
_VARY = b"vary"
VARY_ORIGIN = (_VARY, b"Origin")
_NAMES = (
    "vary",
    "access-control-allow-origin",
    "access-control-allow-credentials",
    "access-control-allow-methods",
    "access-control-allow-headers",
    "access-control-allow-private-network",
    "access-control-expose-headers",
    "access-control-max-age",
)
# The names that send a response down the careful path, lower case. Header names are
# case-insensitive, and an endpoint may write "Access-control-allow-origin": every spelling
# must be caught, or it reaches a refused origin, or doubles an allowed one's header.
_WATCHED = frozenset(name.encode() for name in _NAMES)
# Only a name of one of these lengths is lowered to be looked up: most are not (content-type,
# content-length), and a length costs less than a lower-case copy. Counted by valgrind for
# FastAPI's two headers: 90 instructions more than looking the names up as sent, where
# lowering every name costs 590 (eight headers with date and etag: 2,000 against 3,700).
_WATCHED_LENGTHS = frozenset(len(name) for name in _NAMES)


def cors_start_message(message: Message, extra: list[tuple[bytes, bytes]]) -> Message | None:
    """A copy of ``message`` with ``extra`` (the policy's headers, ``Vary`` included)
    appended; None when the app sent a ``Vary`` or CORS header of its own, which
    :func:`merged_start_message` handles.

    The app's message and header list are left untouched: an endpoint may send the same
    start message for several requests.
    """
    raw = message.get("headers", ())
    for key, _ in raw:
        if len(key) in _WATCHED_LENGTHS and key.lower() in _WATCHED:
            return None
    start = dict(message)
    start["headers"] = (raw if type(raw) is list else list(raw)) + extra
    return start


def merged_start_message(
    message: Message, extra: Iterable[tuple[bytes, bytes]]
) -> tuple[Message, bool]:
    """``message`` with the app's own ``Access-Control-*`` headers replaced by ``extra``
    and ``Vary: Origin`` merged into its ``Vary``; also whether it had CORS headers."""
    headers = []
    replaced = has_vary = False
    for item in message.get("headers", ()):
        key = item[0].lower()
        if key.startswith(_ACCESS_CONTROL):
            replaced = True
            continue
        has_vary |= key == _VARY
        headers.append(item)
    for item in extra:
        if item is VARY_ORIGIN and has_vary:
            add_vary(headers, VARY_ORIGIN[1])
        else:
            headers.append(item)
    start = dict(message)
    start["headers"] = headers
    return start, replaced
