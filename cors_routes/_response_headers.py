"""Putting a policy's CORS headers on a response's start message.

The policy owns every ``Access-Control-*`` response header: an endpoint that still sets its
own (left over from hand-written CORS) would otherwise send a second
``Access-Control-Allow-Origin`` line, and browsers fail a response with two. ``Vary`` is
merged into the endpoint's own, never duplicated.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.types import Message

from ._headers import add_vary

_ACCESS_CONTROL = b"access-control-"
_VARY_ORIGIN = b"Origin"


def cors_start_message(
    message: Message, extra: Sequence[tuple[bytes, bytes]], varies: bool
) -> tuple[Message, bool]:
    """A copy of ``message`` with ``extra`` added, the app's own ``Access-Control-*``
    headers removed, and ``Vary: Origin`` merged in when ``varies``.

    Returns the new message and whether the app had ``Access-Control-*`` headers of its own.
    The app's message and header list are left untouched: an endpoint may send the same
    start message for several requests.
    """
    headers = []
    replaced = False
    has_vary = False
    # One pass over the app's headers (usually two or three). Names are compared
    # lower-cased: Starlette sends them so, but ASGI does not require it.
    for item in message.get("headers", ()):
        key = item[0]
        size = len(key)
        if size > 14 and key[:15].lower() == _ACCESS_CONTROL:
            replaced = True
            continue
        if size == 4 and key.lower() == b"vary":
            has_vary = True
        headers.append(item)
    headers += extra
    if varies:
        if has_vary:
            add_vary(headers, _VARY_ORIGIN)
        else:
            headers.append((b"vary", _VARY_ORIGIN))
    start = dict(message)
    start["headers"] = headers
    return start, replaced
