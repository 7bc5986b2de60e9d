"""``CORSOptions``: the keyword arguments of ``CORSPolicy``, as a type.

``@cors(**options)`` takes them as ``Unpack[CORSOptions]``, so a type checker refuses a
misspelt option (``allow_origin=``) or a value of the wrong type where the decorator is
written, as it does for ``CORSPolicy(...)`` itself. A settings object can build them too:
``options: CORSOptions = {"allow_origins": settings.origins}``, then ``CORSPolicy(**options)``.

Each key is a keyword parameter of ``CORSPolicy.__init__`` with the same type (the predicate's
is ``policy.OriginFunc`` itself); ``tests/test_typing.py`` fails if the two drift apart.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypedDict

from ._origins import OriginURL
from .policy import OriginFunc

__all__ = ["CORSOptions"]


class CORSOptions(TypedDict, total=False):
    """The options of a ``CORSPolicy``, every one optional, as ``CORSPolicy(...)`` takes them."""

    allow_origins: Iterable[str | OriginURL]
    allow_origin_regex: str | None
    allow_origin_func: OriginFunc | None
    allow_methods: Iterable[str] | None
    allow_headers: Iterable[str]
    allow_credentials: bool
    expose_headers: Iterable[str]
    max_age: int
    allow_private_network: bool
