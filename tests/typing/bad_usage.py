"""Mistakes a type checker must refuse, each on its own line with the error it must give.

Checked by tests/test_typing.py, never imported or run. mypy --strict (warn_unused_ignores)
and pyright (reportUnnecessaryTypeIgnoreComment, type: ignore comments disabled) fail if a
line below stops being an error, or gives another one: each comment names the codes expected.
"""

from __future__ import annotations

from fastapi import FastAPI

from cors_routes import CORSOptions, CORSPolicy, StarletteCORSRoute, cors, install, no_cors


async def endpoint() -> None: ...


# As a decorator, a refused call also makes the function untyped.
@cors(allow_origin=["https://app.example"])  # type: ignore[call-overload, untyped-decorator]  # pyright: ignore[reportCallIssue, reportUntypedFunctionDecorator]
def misspelt_option() -> None: ...


cors(allow_origin=["https://app.example"])  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue]
cors(allow_credentials="yes")  # type: ignore[call-overload]  # pyright: ignore[reportArgumentType]
cors(max_age="600")  # type: ignore[call-overload]  # pyright: ignore[reportArgumentType]
cors(allow_origin_func=lambda: True)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
cors(CORSPolicy(), allow_origins=["*"])  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue]
cors("account", allow_origins=["*"])  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue]
cors(["https://app.example"])  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue, reportArgumentType]

CORSPolicy(allow_origin=["https://app.example"])  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
CORSPolicy(allow_credentials="yes")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
CORSPolicy(max_age="600")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
CORSPolicy(allow_origin_func=lambda: True)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
CORSPolicy().replace(allow_origin=["https://app.example"])  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
CORSPolicy().replace(max_age="600")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]

options: CORSOptions = {"allow_origin": ["https://app.example"]}  # type: ignore[typeddict-unknown-key]  # pyright: ignore[reportAssignmentType]

install(object())  # type: ignore[type-var]  # pyright: ignore[reportArgumentType]
install(FastAPI(), default={"allow_origins": ["*"]})  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
install(FastAPI(), x_cors="no")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]

StarletteCORSRoute("/", endpoint, method=["GET"])  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
no_cors(42)  # type: ignore[type-var]  # pyright: ignore[reportArgumentType]
