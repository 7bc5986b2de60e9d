"""Helpers the core behaviour tests share: reading CORS response headers, sending a preflight."""


def acx(response):
    """All Access-Control-* response headers, names lower-cased."""
    return {
        k.lower(): v for k, v in response.headers.items() if k.lower().startswith("access-control-")
    }


def vary(response):
    """The names in the response's Vary lines, lower-cased, in order."""
    return [
        t.strip().lower()
        for line in response.headers.get_list("vary")
        for t in line.split(",")
        if t.strip()
    ]


def names(value):
    """The names of a comma-separated header value, sorted."""
    return sorted(t.strip() for t in value.split(",") if t.strip())


def preflight(client, path, origin, method, headers=None, **extra):
    """A preflight (OPTIONS) for ``method``; ``headers`` is Access-Control-Request-Headers."""
    h = {"Origin": origin, "Access-Control-Request-Method": method}
    if headers is not None:
        h["Access-Control-Request-Headers"] = headers
    h.update(extra)
    return client.options(path, headers=h)
