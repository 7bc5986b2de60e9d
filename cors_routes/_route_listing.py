"""What ``cors-routes routes`` prints: a table, one line per route, when it fits the width;
else each route as a line of its own followed by its policy on indented lines.

A WebSocket route has no methods, headers or max-age: its policy is the handshake's Origin
check, so its row says "origin check" and which origins pass it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ._inventory import RouteInfo
from ._terminal import KEEP, Style, fill, table

HEADERS = (
    "PATH",
    "METHODS",
    "ROUTE CLASS",
    "POLICY FROM",
    "CORS ORIGINS",
    "ALLOW METHODS",
    "ALLOW HEADERS",
    "CREDENTIALS",
    "MAX-AGE",
)
_ORIGINS = HEADERS.index("CORS ORIGINS")
_INDENT = "    "
ORIGIN_CHECK = "origin check"


@dataclass(frozen=True)
class _Row:
    path: str
    methods: str
    route_class: str
    source: str
    origins: str
    """The policy's origins; without a policy, what the route has instead ("opted out")."""
    allow_methods: str = ""
    allow_headers: str = ""
    credentials: str = ""
    max_age: str = ""
    has_policy: bool = False
    websocket: bool = False

    @property
    def cells(self) -> list[str]:
        return [
            self.path,
            self.methods,
            self.route_class,
            self.source,
            self.origins,
            self.allow_methods,
            self.allow_headers,
            self.credentials,
            self.max_age,
        ]


def listing(routes: Sequence[RouteInfo], style: Style, width: int | None) -> str:
    """The table when ``width`` is None (unknown: a pipe) or when it fits, long origin lists
    wrapped in their column; else the narrow layout. Either way, every route, where its
    policy comes from and every origin is shown."""
    rows = [_row(info) for info in routes]
    cells = [row.cells for row in rows]
    if width is None:
        return table(HEADERS, cells, style).replace(KEEP, " ")
    wide = table(HEADERS, cells, None, width=width, fold=_ORIGINS)
    if max(len(line) for line in wide.splitlines()) <= width:
        return table(HEADERS, cells, style, width=width, fold=_ORIGINS).replace(KEEP, " ")
    return "\n".join(line for row in rows for line in _record(row, style, width))


def _record(row: _Row, style: Style, width: int) -> list[str]:
    """One route in the narrow layout: its path, methods, route class and policy source on
    a first line, its policy on lines indented under it."""
    head = f"{row.path}  {row.methods}  {row.route_class}".replace(", ", f",{KEEP}")
    if row.source and row.source != "-":
        head += f"  from{KEEP}{row.source}"
    first, *rest = fill(head, width, hang=_INDENT)
    lines = [style(first, "bold"), *rest]
    if not row.has_policy:
        return lines + fill(row.origins, width, _INDENT)
    if row.websocket:
        label = f"{ORIGIN_CHECK}: "
        return lines + fill(label + row.origins, width, _INDENT, _INDENT + " " * len(label))
    label = "origins: "
    lines += fill(label + row.origins, width, _INDENT, _INDENT + " " * len(label))
    # A name stays on the line of its value's first word.
    details = (
        f"allow-methods:{KEEP}{row.allow_methods}; allow-headers:{KEEP}{row.allow_headers}; "
        f"credentials:{KEEP}{row.credentials}; max-age:{KEEP}{row.max_age}"
    )
    return lines + fill(details, width, _INDENT, _INDENT * 2)


def _row(info: RouteInfo) -> _Row:
    route_class = info.route_class
    if info.kind == "mount":
        inner = getattr(info.route, "app", None)
        route_class = f"Mount ({type(inner).__name__})"
    websocket = info.kind == "websocket"
    methods = "WebSocket" if websocket else info.method_list
    policy = info.policy
    if policy is None:
        if info.opted_out:
            what = "opted out"
        elif info.ignored_policy is not None:
            what = "IGNORED @cors (see check)"
        elif info.policy_name is not None and not info.installed:
            what = "UNRESOLVED name (see check)"
        else:
            what = "no origin check" if websocket else "no CORS"
        return _Row(info.path, methods, route_class, info.source or "-", what)
    origins: list[str] = list(policy.allow_origins)
    if policy.allow_origin_regex is not None:
        origins.append(f"regex{KEEP}{policy.allow_origin_regex}")
    if policy.allow_origin_func is not None:
        origins.append(f"func{KEEP}{_name(policy.allow_origin_func)}()")
    shown = ", ".join(origins) or "(none)"
    if websocket:
        # Only the handshake's Origin is checked: no method, header or max-age applies.
        return _Row(
            info.path,
            methods,
            route_class,
            info.source,
            shown,
            ORIGIN_CHECK,
            has_policy=True,
            websocket=True,
        )
    allowed = info.allowed_methods()
    return _Row(
        info.path,
        methods,
        route_class,
        info.source,
        shown,
        "*" if allowed is None else ", ".join(sorted(allowed)) or "(none)",
        ", ".join(policy.allow_headers) or "(safelisted)",
        "yes" if policy.allow_credentials else "no",
        str(policy.max_age),
        has_policy=True,
    )


def _name(function: Any) -> str:
    return str(getattr(function, "__name__", "?"))
