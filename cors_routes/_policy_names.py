"""Named policies: ``@cors("account")`` on an endpoint, resolved by ``install(policies=...)``.

An endpoint's policy must exist when its module is imported; a name need not. The app
factory, which has the settings, gives each name its policy when it calls ``install()``, so
two apps built from different settings in one process answer differently for the same
endpoint. Only ``install()`` resolves names: a route class is built before any app exists.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .exceptions import CORSConfigError
from .policy import CORSPolicy

# Whether any ``@cors("name")`` was written in this process: until one is, no app has a
# name to check, and install() walks no routes for them.
_named: list[bool] = [False]


def names_in_use() -> bool:
    return _named[0]


class PolicyName:
    """The mark ``@cors("account")`` puts on an endpoint: the name to resolve."""

    __slots__ = ("name",)
    name: str

    def __init__(self, name: str) -> None:
        object.__setattr__(self, "name", name)

    def __setattr__(self, key: str, value: Any) -> None:
        raise AttributeError("PolicyName is immutable")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PolicyName) and other.name == self.name

    def __hash__(self) -> int:
        return hash((PolicyName, self.name))

    def __repr__(self) -> str:
        return f"@cors({self.name!r})"


def checked_name(name: str) -> PolicyName:
    """The mark for ``@cors(name)``; a name that cannot be a key someone writes is refused."""
    if not name.strip():
        raise CORSConfigError(
            "@cors('') names no policy: write the name install(policies=...) gives it, "
            "e.g. @cors('account') with install(app, policies={'account': CORSPolicy(...)})"
        )
    if name != name.strip():
        raise CORSConfigError(
            f"@cors({name!r}): the name has spaces around it, which a key in "
            f"install(policies=...) would have to repeat: write @cors({name.strip()!r})"
        )
    _named[0] = True
    return PolicyName(name)


def checked_policies(policies: object) -> dict[str, CORSPolicy | None]:
    """``install(policies=...)`` as a plain dict; every problem in one error."""
    if policies is None:
        return {}
    if not isinstance(policies, Mapping):
        raise CORSConfigError(
            "install(policies=...) takes a mapping from names to policies, not "
            f"{type(policies).__name__}: write policies={{'account': CORSPolicy(...)}}"
        )
    problems = []
    for name, policy in policies.items():
        if not isinstance(name, str) or not name.strip() or name != name.strip():
            problems.append(
                f"install(policies=...): {name!r} is not a name an endpoint can use: "
                "write the name given to @cors, e.g. 'account'"
            )
        if policy is not None and not isinstance(policy, CORSPolicy):
            hint = "CORSPolicy(**settings)" if isinstance(policy, Mapping) else "CORSPolicy(...)"
            problems.append(
                f"install(policies=...): the policy of {name!r} is {type(policy).__name__}, "
                f"not a CORSPolicy (or None for no CORS): write {name!r}: {hint}"
            )
    if problems:
        raise CORSConfigError(problems)
    return dict(policies)


def endpoint_label(endpoint: object) -> str:
    """``app.accounts:update_account``: where a user finds the endpoint."""
    module = getattr(endpoint, "__module__", None) or "?"
    qualname = getattr(endpoint, "__qualname__", None) or repr(endpoint)
    return f"{module}:{qualname}"


def unresolved(name: str, endpoint: object, where: str, known: Mapping[str, Any]) -> str:
    """The message for a ``@cors(name)`` that ``install(policies=...)`` does not resolve."""
    names = ", ".join(repr(key) for key in sorted(known)) or "none"
    return (
        f"@cors({name!r}) on {endpoint_label(endpoint)} ({where}) names a policy that "
        f"install() was not given (known names: {names}): add {name!r}: CORSPolicy(...) to "
        "install(app, policies={...}), or correct the name"
    )


def needs_install(name: str, endpoint: object) -> str:
    """The message for a named endpoint served where no ``install()`` resolves names."""
    return (
        f"@cors({name!r}) on {endpoint_label(endpoint)} names a policy, and only install() "
        f"resolves names: call install(app, policies={{{name!r}: CORSPolicy(...)}}) on the "
        f"app (route classes cannot resolve them), or write the policy itself, @cors(POLICY)"
    )
