"""CORSPolicy: one endpoint's CORS rules, validated and turned into header bytes once."""

from __future__ import annotations

import difflib
import enum
import functools
import inspect
import logging
import re
import sys
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, TypedDict

from . import _fetch, _headers, _origin_probes
from ._callables import is_async_callable
from ._origins import (
    ANY,
    MAX_ORIGIN_LENGTH,
    NULL,
    OriginMatcher,
    OriginURL,
    ParsedOrigin,
    parse_configured_origin,
    parse_request_origin,
    several_origins_hint,
)
from ._text import escape
from .exceptions import CORSConfigError

if sys.version_info >= (3, 11):
    from typing import Unpack
else:
    try:  # read by type checkers (which always have it) and typing.get_type_hints only
        from typing_extensions import Unpack
    except ImportError:  # pragma: no cover - a plain Starlette app on Python 3.10
        pass

__all__ = ["CORSPolicy"]

logger = logging.getLogger("cors_routes")

# An ``allow_origin_func``: asked with the origin, or with the origin and the request (a
# starlette ``HTTPConnection``: a ``Request`` for HTTP requests and preflights, built from the
# scope without its body; an ``HTTPConnection`` for WebSocket handshakes). The request is
# ``Any`` because the core imports no framework, and so that a predicate annotated with
# ``Request`` or ``HTTPConnection`` type-checks.
OriginFunc = Callable[[str], bool | Awaitable[bool]] | Callable[[str, Any], bool | Awaitable[bool]]

# Methods whose case is normalised, as Fetch normalises DELETE GET HEAD OPTIONS POST PUT
# (plus PATCH, which everyone writes upper-case in a configuration). Others keep their case.
_STANDARD_METHODS = frozenset({"DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"})

_FIELDS = (
    "allow_origins",
    "allow_origin_regex",
    "allow_origin_func",
    "allow_methods",
    "allow_headers",
    "allow_credentials",
    "expose_headers",
    "max_age",
    "allow_private_network",
)


ANY_ORIGIN = b"*"

# What ``allow_methods`` left unset means to Starlette's CORSMiddleware, and so to the policy
# that replaces it, ``install()``'s default: ``allowed_methods_for(..., unset=...)``.
CORS_MIDDLEWARE_METHODS = ("GET",)


class _Keep(enum.Enum):
    """The default of every ``CORSPolicy.replace`` option: keep the policy's value."""

    KEEP = "keep"

    def __repr__(self) -> str:
        return "<keep>"


_KEEP = _Keep.KEEP


class _NoOtherOption(TypedDict):
    """What ``CORSPolicy(**unknown)`` and ``replace(**mistyped)`` admit for a type checker:
    nothing, so a misspelt option is an unexpected keyword there (and a ``CORSOptions``
    spreads into them); at run time it is reported with the fix."""


class CORSPolicy:
    """The CORS rules of one endpoint (or of a router, as a route class default).

    Keyword names and meanings follow Starlette's ``CORSMiddleware``, so its arguments move
    over unchanged. Every problem is reported at construction as one ``CORSConfigError``.
    """

    __slots__ = (
        *_FIELDS,
        "allows_any_origin",
        "_matcher",
        "_func_is_async",
        "_func_takes_request",
        "_methods",
        "_any_header",
        "_headers",
    )

    allow_origins: tuple[str, ...]
    allow_origin_regex: str | None
    allow_origin_func: OriginFunc | None
    allow_methods: tuple[str, ...] | None
    allow_headers: tuple[str, ...]
    allow_credentials: bool
    expose_headers: tuple[str, ...]
    max_age: int
    allow_private_network: bool
    allows_any_origin: bool
    _matcher: OriginMatcher
    _func_is_async: bool
    _func_takes_request: bool
    _methods: frozenset[str] | None
    _any_header: bool
    _headers: frozenset[str]

    def __init__(
        self,
        allow_origins: Iterable[str | OriginURL] = (),
        allow_origin_regex: str | None = None,
        allow_origin_func: OriginFunc | None = None,
        allow_methods: Iterable[str] | None = None,
        allow_headers: Iterable[str] = (),
        allow_credentials: bool = False,
        expose_headers: Iterable[str] = (),
        max_age: int = 600,
        allow_private_network: bool = False,
        **unknown: Unpack[_NoOtherOption],
    ) -> None:
        unknown_error = unknown_option_error(unknown)
        problems: list[str] = [] if unknown_error is None else unknown_error.problems
        if isinstance(allow_origin_regex, str) and allow_origin_regex == "":
            allow_origin_regex = None  # what an unset setting gives: no regex, not a regex of ""
        origins = _origins(allow_origins, problems)
        regex = _regex(allow_origin_regex, problems)
        if allow_origin_func is not None:
            _origin_func_problem(allow_origin_func, problems)
        methods = None if allow_methods is None else _methods(allow_methods, problems)
        headers = _header_names(allow_headers, "allow_headers", problems, request=True)
        exposed = _header_names(expose_headers, "expose_headers", problems, request=False)
        for name, flag in (
            ("allow_credentials", allow_credentials),
            ("allow_private_network", allow_private_network),
        ):
            if not isinstance(flag, bool):
                problems.append(f"{name}={flag!r} is not a bool: pass True or False")
        # What allow_credentials="true" (a setting read as text) surely meant, so that what
        # credentials make unsafe is reported with it.
        credentials = _meant_as_bool(allow_credentials)
        if isinstance(max_age, bool) or not isinstance(max_age, int) or max_age < 0:
            problems.append(
                f"max_age={max_age!r} is not a number of seconds: pass an int >= 0 "
                "(browsers cap it: Chromium at 7200, Firefox at 86400)"
            )
        allows_any = any(origin == ANY for origin in origins if isinstance(origin, str))
        if credentials:
            if allows_any:
                problems.append(
                    "allow_credentials=True with allow_origins=['*'] would let every site on "
                    "the web make credentialed requests as your users: list the origins "
                    "instead, e.g. allow_origins=['https://app.example'], or keep '*' with "
                    "allow_credentials=False for a public API that needs no cookies"
                )
            if regex is not None and allow_origin_regex is not None:
                problem = _regex_with_credentials(allow_origin_regex, regex)
                if problem is not None:
                    problems.append(problem)
            if ANY in exposed:
                problems.append(
                    "expose_headers=['*'] does not work with allow_credentials=True "
                    "(browsers read '*' as a header name there): list the headers to expose"
                )
        if problems:
            raise CORSConfigError(problems)

        parsed = [origin for origin in origins if isinstance(origin, ParsedOrigin)]
        put = object.__setattr__
        put(
            self,
            "allow_origins",
            tuple(_unique([ANY] * allows_any + [origin.normalized for origin in parsed])),
        )
        put(self, "allow_origin_regex", allow_origin_regex)
        put(self, "allow_origin_func", allow_origin_func)
        put(self, "allow_methods", methods)
        put(self, "allow_headers", headers)
        put(self, "allow_credentials", allow_credentials)
        put(self, "expose_headers", exposed)
        put(self, "max_age", max_age)
        put(self, "allow_private_network", allow_private_network)
        put(self, "allows_any_origin", allows_any)
        self._precompute(parsed, regex)

    def _precompute(self, parsed: list[ParsedOrigin], regex: re.Pattern[str] | None) -> None:
        put = object.__setattr__
        put(self, "_matcher", OriginMatcher(parsed, regex))
        func = self.allow_origin_func
        put(self, "_func_is_async", func is not None and is_async_callable(func))
        put(self, "_func_takes_request", func is not None and origin_func_takes_request(func))
        methods = self.allow_methods
        put(self, "_methods", None if methods is None or ANY in methods else frozenset(methods))
        put(self, "_any_header", ANY in self.allow_headers)
        put(self, "_headers", _headers.SAFELISTED_REQUEST_HEADERS | frozenset(self.allow_headers))

    # -- the per-request questions, asked by the dispatcher ------------------------------

    def origin_value(self, origin: bytes) -> bytes | None:
        """The Access-Control-Allow-Origin value for ``origin``, without the predicate."""
        if self.allows_any_origin:
            return ANY_ORIGIN  # the same for every request: nothing about the origin is read
        if len(origin) > MAX_ORIGIN_LENGTH:
            return None  # no browser sends it: refused before any work that grows with it
        matcher = self._matcher
        if matcher.matches_exact(origin):
            return origin
        if matcher.needs_parsing:
            text = origin.decode("latin-1")
            if matcher.matches_parsed(text, parse_request_origin(text)):
                return origin
        return None

    @property
    def has_origin_func(self) -> bool:
        return self.allow_origin_func is not None

    @property
    def origin_func_takes_request(self) -> bool:
        """Whether ``allow_origin_func`` is asked with the request too (two arguments)."""
        return self._func_takes_request

    async def ask_origin_func(self, origin: bytes, request: Any = None) -> bytes | None:
        """Ask ``allow_origin_func``: the Access-Control-Allow-Origin value if it allows
        ``origin``; a predicate that raises denies (and is logged).

        ``request`` is what a two-argument predicate receives (the caller builds it: the core
        knows no framework); without one, such a predicate is not asked and the origin is
        refused, since what it would answer depends on a request there is none of.
        """
        answer = self.origin_func_answer(origin, request)
        if answer is None or isinstance(answer, bytes):
            return answer
        return await answer

    def origin_func_answer(
        self, origin: bytes, request: Any = None, checked: str | None = None
    ) -> bytes | Awaitable[bytes | None] | None:
        """``ask_origin_func``'s answer now when the predicate gives it at once (a sync
        predicate, a cache hit of ``cached_origins``), else an awaitable of it: no coroutine
        on the path where none is needed. ``checked``: ``origin`` decoded, by a caller that
        knows a browser can send it (it was asked about it before)."""
        func = self.allow_origin_func
        assert func is not None
        if checked is not None:
            text = checked
        else:
            if len(origin) > MAX_ORIGIN_LENGTH:
                return None
            text = origin.decode("latin-1")
            if not _sent_by_browsers(text):
                return None  # no browser sends it: the predicate is never asked about it
        takes_request = self._func_takes_request
        if takes_request and request is None:
            return None
        try:
            result = func(text, request) if takes_request else func(text)  # type: ignore[call-arg]
        except Exception:
            _log_raised(text)
            return None
        if result is True:
            return origin
        if self._func_is_async or inspect.isawaitable(result):
            return _awaited_answer(origin, text, result)  # type: ignore[arg-type]
        return None

    def allowed_methods_for(
        self, route_methods: Iterable[str] | None, *, unset: Iterable[str] | None = None
    ) -> frozenset[str] | None:
        """The methods a preflight may be granted for on a route serving ``route_methods``.

        A route's own methods bound everything: "*" never grants a method it does not serve.
        None means "any method" (a route that serves every method and a policy that agrees).

        ``unset`` is what an unset ``allow_methods`` means here; None: the route's own
        methods, right for an endpoint's own policy (``@cors``, a route class's
        ``cors_policy``), written for that endpoint. ``install()``'s default stands in for
        ``CORSMiddleware`` and passes ``CORS_MIDDLEWARE_METHODS`` (the middleware's
        ``("GET",)``), so that moving the middleware's arguments over grants no method the
        middleware refused. It is bounded by the route's methods all the same, and ignored
        when ``allow_methods`` is set.
        """
        limit = self._methods
        if unset is not None and self.allow_methods is None:
            problems: list[str] = []
            methods = _methods(unset, problems)
            if problems:
                raise CORSConfigError([f"allowed_methods_for(unset=...): {p}" for p in problems])
            limit = None if ANY in methods else frozenset(methods)
        if route_methods is None:
            return limit
        served = frozenset(route_methods)
        return served if limit is None else served & limit

    def allowed_request_headers(self, names: list[str]) -> bool:
        # issuperset loops in C: a long Access-Control-Request-Headers costs little more.
        return self._any_header or self._headers.issuperset(names)

    # -- deriving a policy --------------------------------------------------------------------

    def replace(
        self,
        *,
        allow_origins: Iterable[str | OriginURL] | _Keep = _KEEP,
        allow_origin_regex: str | _Keep | None = _KEEP,
        allow_origin_func: OriginFunc | _Keep | None = _KEEP,
        allow_methods: Iterable[str] | _Keep | None = _KEEP,
        allow_headers: Iterable[str] | _Keep = _KEEP,
        allow_credentials: bool | _Keep = _KEEP,
        expose_headers: Iterable[str] | _Keep = _KEEP,
        max_age: int | _Keep = _KEEP,
        allow_private_network: bool | _Keep = _KEEP,
        **mistyped: Unpack[_NoOtherOption],
    ) -> CORSPolicy:
        """A new policy with the given options changed and the others kept, validated anew.

        ``SHARED.replace(allow_origins=["https://a.example"])``. A problem in the result is
        a ``CORSConfigError``, as from the constructor.
        """
        if mistyped:
            unknown = unknown_option_error(mistyped)
            assert unknown is not None
            raise TypeError(f"CORSPolicy.replace() got {'; '.join(unknown.problems)}")
        given: dict[str, Any] = {
            "allow_origins": allow_origins,
            "allow_origin_regex": allow_origin_regex,
            "allow_origin_func": allow_origin_func,
            "allow_methods": allow_methods,
            "allow_headers": allow_headers,
            "allow_credentials": allow_credentials,
            "expose_headers": expose_headers,
            "max_age": max_age,
            "allow_private_network": allow_private_network,
        }
        # The stored values are normalised, and normalising them again changes nothing.
        options = {
            name: getattr(self, name) if value is _KEEP else value for name, value in given.items()
        }
        return CORSPolicy(**options)

    # -- value semantics ---------------------------------------------------------------------

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"CORSPolicy is immutable: make a new one instead of setting {name}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("CORSPolicy is immutable")

    def _key(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in _FIELDS)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CORSPolicy):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        defaults = CORSPolicy.__init__.__defaults__ or ()
        shown = [
            f"{name}={getattr(self, name)!r}"
            for name, default in zip(_FIELDS, defaults, strict=True)
            if getattr(self, name) != (tuple(default) if isinstance(default, tuple) else default)
        ]
        return f"CORSPolicy({', '.join(shown)})"


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _as_list(value: object, name: str, problems: list[str]) -> list[Any]:
    """``value`` as a list; a string is refused, and read as the list it surely meant
    (its comma-separated parts) so that the problems of its entries are reported too."""
    if isinstance(value, str):
        meant = _comma_separated(value)
        problems.append(f"{name}={value!r} is a string, not a list: write {name}={meant!r}")
        return meant
    if isinstance(value, bytes):
        problems.append(f"{name}={value!r} is a string, not a list: write {name}=[{value!r}]")
        return []
    try:
        return list(value)  # type: ignore[call-overload, no-any-return]
    except TypeError:
        problems.append(f"{name}={value!r} is not a list: write {name}=[...]")
        return []


def _origins(value: Iterable[str | OriginURL], problems: list[str]) -> list[ParsedOrigin | str]:
    result: list[ParsedOrigin | str] = []
    if isinstance(value, str) and not value.strip():
        problems.append(
            f"allow_origins={value!r} is an empty string, not a list (is an environment "
            "variable unset?): write allow_origins=[] to allow no origin, or list the origins"
        )
        return result
    several = several_origins_hint(value) if isinstance(value, str) else None
    if isinstance(value, str) and several is not None:
        problems.append(
            f"allow_origins={value!r} is a string holding several origins, not a list: "
            f"write allow_origins={several}"
        )
        entries: list[Any] = _comma_separated(value)  # read as meant, to check each origin
    else:
        entries = _as_list(value, "allow_origins", problems)
    for entry in entries:
        if entry == ANY:
            result.append(ANY)
            continue
        parsed = parse_configured_origin(entry)
        if isinstance(parsed, str):
            problems.append(parsed)
        else:
            result.append(parsed)
    return result


@functools.lru_cache(maxsize=4096)
def _sent_by_browsers(text: str) -> bool:
    """Whether a browser can send ``text`` as an Origin (a pure function of the text, so
    remembered: the predicate's callers ask about the same few origins again and again;
    bounded, and the length is checked before)."""
    return text == NULL or parse_request_origin(text) is not None


async def _awaited_answer(origin: bytes, text: str, result: Awaitable[object]) -> bytes | None:
    try:
        allowed = await result
    except Exception:
        _log_raised(text)
        return None
    return origin if allowed is True else None


def _log_raised(text: str) -> None:
    logger.exception("allow_origin_func raised for origin %s; the origin is denied", escape(text))


def _origin_func_problem(func: object, problems: list[str]) -> None:
    """What is wrong with ``func`` as an ``allow_origin_func``: not callable, or a signature
    that cannot take ``(origin)`` nor ``(origin, request)``. Checked here so a wrong arity is
    one error at definition, not a logged error on every request."""
    fix = (
        "pass a function taking the origin, def allow(origin: str) -> bool, or the origin "
        "and the request, def allow(origin: str, request: Request) -> bool (either may be "
        "async)"
    )
    if not callable(func):
        problems.append(f"allow_origin_func={func!r} is not callable: {fix}")
        return
    shape = _origin_func_shape(func)
    if shape is None:
        return  # no signature to read (some builtins): asked with the origin alone
    required, keyword_only = shape
    name = getattr(func, "__qualname__", None) or repr(func)
    if keyword_only:
        problems.append(
            f"allow_origin_func {name} has required keyword-only parameters "
            f"({', '.join(keyword_only)}), which are never passed: give them defaults or "
            f"bind them with functools.partial; {fix}"
        )
    elif required > 2:
        problems.append(
            f"allow_origin_func {name} takes {required} required positional arguments, but it "
            f"is asked with one or two: bind the others with functools.partial; {fix}"
        )
    elif required == 0 and not _accepts_positional(func):
        problems.append(f"allow_origin_func {name} takes no positional argument: {fix}")


def _origin_func_shape(func: Any) -> tuple[int, list[str]] | None:
    """The number of required positional parameters of ``func`` and the names of its
    required keyword-only ones; None when Python cannot tell (a builtin without a signature).
    """
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError):
        return None
    required = 0
    keyword_only = []
    for parameter in signature.parameters.values():
        if parameter.default is not inspect.Parameter.empty:
            continue
        if parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD):
            required += 1
        elif parameter.kind is parameter.KEYWORD_ONLY:
            keyword_only.append(parameter.name)
    return required, keyword_only


def _accepts_positional(func: Any) -> bool:
    signature = inspect.signature(func)
    return any(
        parameter.kind
        in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD, parameter.VAR_POSITIONAL)
        for parameter in signature.parameters.values()
    )


def origin_func_takes_request(func: Any) -> bool:
    """Whether a valid ``allow_origin_func`` is asked with ``(origin, request)``: it
    requires two positional arguments. One required (``def allow(origin, request=None)``,
    ``def allow(*args)``, a builtin without a signature): the origin alone, so optional
    parameters of a builtin (``pattern.fullmatch``'s ``pos``) never receive a request."""
    shape = _origin_func_shape(func)
    return shape is not None and shape[0] == 2


def _comma_separated(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _meant_as_bool(value: object) -> bool:
    """What a flag that is not a bool surely meant: ``"true"``/``"yes"``/``1`` are True."""
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on", "y", "t"}
    return bool(value)


def _regex(value: str | None, problems: list[str]) -> re.Pattern[str] | None:
    if value is None:
        return None
    if not isinstance(value, str):
        problems.append(f"allow_origin_regex={value!r} is not a string: pass a pattern")
        return None
    try:
        return re.compile(value)
    except re.error as error:
        problems.append(f"allow_origin_regex={value!r} is not a valid regular expression: {error}")
        return None


def _regex_with_credentials(text: str, regex: re.Pattern[str]) -> str | None:
    """What is wrong with ``regex`` as the origins that may send credentials, if anything:
    asked about made-up origins, it accepts any site, ``null``, or names anyone can register.
    """

    def accepts(origin: str) -> bool:
        return regex.fullmatch(origin) is not None

    option = f"allow_origin_regex={text!r} with allow_credentials=True"
    anywhere = _origin_probes.any_host(accepts)
    if anywhere is not None:
        first, second = anywhere.accepted
        return (
            f"{option} accepts {anywhere.which()} (it accepts {first} and {second}), as "
            "allow_origins=['*'] would: every such site on the web could make credentialed "
            "requests as your users. Match only your own origins, like "
            r"r'https://app\.example\.com' or r'https://[a-z0-9-]+\.example\.com', or keep "
            "the regex with allow_credentials=False for a public API that needs no cookies"
        )
    if accepts(NULL):
        return (
            f"{option} matches the origin 'null', which every sandboxed iframe, file: page and "
            "data: URL sends, so any site could make credentialed requests as your users from "
            "one: require a scheme, like r'https://...'. If you really mean it, opt in on its "
            "own with allow_origin_func=lambda origin: origin == 'null'"
        )
    found = _origin_probes.public_suffix_origin(text, accepts)
    if found is not None:
        origin, suffix = found
        yours = "myapp." + suffix.replace("*", "x")
        escaped = yours.replace(".", "\\.")
        return (
            f"{option} accepts {origin}, a made-up name under {suffix!r}, a public suffix "
            "(Public Suffix List): anyone can register a name there and make credentialed "
            f"requests as your users. Match only your own names, like r'https://{escaped}', "
            f"or list the origins: allow_origins=['https://{yours}']"
        )
    return None


def _methods(value: Iterable[str], problems: list[str]) -> tuple[str, ...]:
    methods = []
    for method in _as_list(value, "allow_methods", problems):
        if method == ANY:
            methods.append(ANY)
        elif not isinstance(method, str) or not _headers.TOKEN.fullmatch(method):
            problems.append(
                f"method {method!r} is not a valid HTTP method name (an RFC 9110 token): "
                "write a name like 'GET' or 'PURGE', without spaces or separators"
            )
        elif method.upper() in _fetch.FORBIDDEN_METHODS:
            problems.append(
                f"method {method!r} is forbidden by the Fetch standard: browsers never send it, "
                "remove it"
            )
        else:
            methods.append(method.upper() if method.upper() in _STANDARD_METHODS else method)
    return tuple(_unique(methods))


def _header_names(
    value: Iterable[str], name: str, problems: list[str], *, request: bool
) -> tuple[str, ...]:
    names = []
    for header in _as_list(value, name, problems):
        if header == ANY:
            names.append(ANY)
            continue
        if not isinstance(header, str) or not _headers.TOKEN.fullmatch(header):
            problems.append(
                f"{name} entry {header!r} is not a valid header name (an RFC 9110 token): "
                "write a name like 'X-Request-Id', without spaces, colons or separators"
            )
            continue
        lowered = header.lower()
        if lowered.startswith(_fetch.CORS_PROTOCOL_HEADER_PREFIX):
            problems.append(f"{name} entry {header!r} {_cors_header_hint(request)}")
            continue
        if not request and lowered in _fetch.FORBIDDEN_RESPONSE_HEADERS:
            problems.append(
                f"{name} entry {header!r} is a forbidden response header: browsers never let a "
                "script read it, exposed or not (cookies are never readable by scripts from a "
                "response; the browser stores them itself); remove it"
            )
            continue
        if request and _headers.is_forbidden_request_header(lowered):
            problems.append(
                f"{name} entry {header!r} is a forbidden request header: browsers never let a "
                "script set it, so allowing it has no effect; remove it"
                + (" (cookies are sent with allow_credentials=True)" if lowered == "cookie" else "")
            )
            continue
        names.append(lowered)
    return tuple(_unique(names))


def _cors_header_hint(request: bool) -> str:
    if request:
        return (
            "is a header of the CORS protocol itself, which means nothing in allow_headers: "
            "the browser sends Access-Control-Request-* on a preflight by itself, and the "
            "other Access-Control-* headers are the server's answer (a script that sets one "
            "on its request is mistaken: remove it there too); remove it, and list the "
            "headers your scripts set, like 'X-Request-Id'"
        )
    return (
        "is a CORS response header: it is addressed to the browser, which applies it "
        "whether or not scripts may read it, so exposing it changes nothing that is "
        "allowed; remove it (expose_headers lists your own response headers that scripts "
        "read, like 'X-Total-Count')"
    )


def unknown_option_error(kwargs: Mapping[str, object]) -> CORSConfigError | None:
    """An error naming unknown keyword arguments (with the likely intended name), if any."""
    problems = []
    for key in kwargs:
        if key not in _FIELDS:
            close = difflib.get_close_matches(key, _FIELDS, n=1)
            options = ", ".join(_FIELDS)
            hint = f": did you mean {close[0]}?" if close else f": the options are {options}"
            problems.append(f"unknown CORS option {key!r}{hint}")
    return CORSConfigError(problems) if problems else None
