"""A CORS contract: what browsers may do with an app, pinned in a file and compared in CI.

``snapshot(app)`` probes the app in process (preflights and actual requests, from the
origins its configuration names and from origins no policy should allow) and writes what a
browser lets each origin do on each route and method, and on the router's 404, 405 and
slash redirects and mounted apps. It works on any ASGI app with routes: one using
``CORSMiddleware`` or hand-written ``OPTIONS`` handlers too, so the snapshot of an app
before a migration can be compared with the snapshot after it.

``diff(old, new)`` lists every change in words, classified widened, narrowed or changed;
``assert_cors_contract(app, path)`` fails a test with those words when the app no longer
matches its committed contract (and rewrites the file when asked). See docs/contract.md.

The probes run the endpoints (as a browser's requests would): point it at a test
configuration, as your tests do.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ._contract_diff import Change, compare, summary
from ._contract_model import ContractError, build, parse, render

__all__ = ["Change", "ContractError", "assert_cors_contract", "diff", "snapshot"]

UPDATE_VARIABLE = "CORS_ROUTES_UPDATE_CONTRACT"
_YES = frozenset({"1", "true", "yes", "on"})


def snapshot(
    app: Any,
    *,
    origins: Iterable[str] = (),
    lifespan: bool = False,
    contract: str | Mapping[str, Any] | None = None,
) -> str:
    """The contract of ``app`` as JSON text (what ``cors-routes snapshot`` prints).

    ``origins`` are probed besides those the app's configuration names and the synthetic
    ones; ``contract`` (an earlier contract, as text or parsed) adds its origins and request
    headers, so the result compares with it question for question. ``lifespan`` runs the
    app's start-up before the probes and its shutdown after them.
    """
    carried = _parsed(contract, "the contract") if contract is not None else None
    return render(build(app, origins=origins, carried=carried, lifespan=lifespan))


def diff(old: str | Mapping[str, Any], new: str | Mapping[str, Any]) -> list[Change]:
    """Every change from the contract ``old`` to ``new`` (text or parsed), widened first.

    Raises :class:`ContractError` for text that is not a contract.
    """
    return compare(_parsed(old, "the old contract"), _parsed(new, "the new contract"))


def assert_cors_contract(
    app: Any,
    path: str | os.PathLike[str],
    *,
    update: bool | None = None,
    origins: Iterable[str] = (),
    lifespan: bool = False,
) -> None:
    """Fail (``AssertionError``) when what browsers may do with ``app`` differs from the
    contract in ``path``, with every change in words.

    With ``update=True``, or the environment variable ``CORS_ROUTES_UPDATE_CONTRACT=1`` when
    ``update`` is not given, the file is written instead (created if missing).
    """
    file = Path(path)
    if update is None:
        update = os.environ.get(UPDATE_VARIABLE, "").strip().lower() in _YES
    if not file.exists():
        if update:
            file.write_text(snapshot(app, origins=origins, lifespan=lifespan))
            return
        raise AssertionError(
            f"the CORS contract {file} does not exist: create it by running the test with "
            f"{UPDATE_VARIABLE}=1 (or update=True), or with "
            f"`cors-routes snapshot module:app > {file}`, then review and commit it"
        )
    committed = file.read_text()
    try:
        carried = parse(committed, str(file))
    except ContractError:
        if update:
            file.write_text(snapshot(app, origins=origins, lifespan=lifespan))
            return
        raise
    current = snapshot(app, origins=origins, lifespan=lifespan, contract=carried)
    if current == committed:
        return
    if update:
        file.write_text(current)
        return
    changes = compare(carried, parse(current, "the app's contract"))
    how = (
        f"if the change is meant, rewrite the file: run the test with {UPDATE_VARIABLE}=1 "
        "(or update=True), review the file's diff and commit it"
    )
    if not changes:
        raise AssertionError(
            f"the CORS contract {file} is out of date, though browsers may do the same as "
            f"it says (what was probed changed: origins, request headers or routes' sample "
            f"paths): {how}"
        )
    lines = "\n".join(f"  {change.kind}: {change.text}" for change in changes)
    raise AssertionError(
        f"the app's CORS differs from the contract {file} ({summary(changes)}):\n{lines}\n{how}"
    )


def _parsed(value: str | Mapping[str, Any], source: str) -> dict[str, Any]:
    if isinstance(value, str):
        return parse(value, source)
    return parse(render(value), source)
