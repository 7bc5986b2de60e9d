"""The ``x-cors`` OpenAPI extension: each CORS operation's policy, for consumers and gateways.

Key names follow the ``x-amazon-apigateway-cors`` extension (camelCase), which gateways
already read. ``allowMethods`` is what a preflight can be granted for on that route (the
route's methods, narrowed by ``allow_methods``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .policy import CORSPolicy


def cors_extension(
    policy: CORSPolicy,
    route_methods: Iterable[str] | None,
    with_origins: bool = True,
    *,
    unset_methods: Iterable[str] | None = None,
) -> dict[str, Any]:
    """The ``x-cors`` value for one operation; ``with_origins=False`` leaves out which
    origins are allowed (``allowOrigins``, ``allowOriginRegex``). ``unset_methods``: what
    an unset ``allow_methods`` means there (``CORSPolicy.allowed_methods_for``)."""
    methods = policy.allowed_methods_for(
        None if route_methods is None else set(route_methods), unset=unset_methods
    )
    extension: dict[str, Any] = {}
    if with_origins:
        extension["allowOrigins"] = list(policy.allow_origins)
    extension |= {
        "allowMethods": ["*"] if methods is None else sorted(methods),
        "allowHeaders": list(policy.allow_headers),
        "allowCredentials": policy.allow_credentials,
        "exposeHeaders": list(policy.expose_headers),
        "maxAge": policy.max_age,
    }
    if policy.allow_origin_regex is not None and with_origins:
        extension["allowOriginRegex"] = policy.allow_origin_regex
    if policy.allow_origin_func is not None:
        # A predicate cannot be published: say that other origins may be allowed at run time.
        extension["allowOriginFunc"] = True
    if policy.allow_private_network:
        extension["allowPrivateNetwork"] = True
    return extension


def with_cors_extension(
    openapi_extra: dict[str, Any] | None,
    policy: CORSPolicy,
    route_methods: Iterable[str] | None,
    x_cors: bool | str = True,
    *,
    unset_methods: Iterable[str] | None = None,
) -> dict[str, Any] | None:
    """``openapi_extra`` with ``x-cors`` added (unless ``x_cors`` is False); the user's own
    keys are kept (and win). ``x_cors="without-origins"`` publishes the policy without the
    allowed origins, which may name internal hosts."""
    if x_cors is False:
        return openapi_extra
    extension = cors_extension(
        policy, route_methods, with_origins=x_cors is True, unset_methods=unset_methods
    )
    return {"x-cors": extension, **(openapi_extra or {})}
