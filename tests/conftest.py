"""Shared set-up for the behaviour tests.

`starlette.testclient` warns at import time when it runs on `httpx` instead of
`httpx2`; import it once here with that warning silenced so no test module
triggers it during collection.

A CORS lint warning a test does not assert or filter fails that test (``warning_guard``).
"""

import warnings

from warning_guard import lint_warnings_fail_the_test  # noqa: F401 (an autouse fixture)

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=r".*httpx.*", category=DeprecationWarning)
    # Starlette 0.37 (the oldest supported line) annotates with anyio's old alias, which
    # anyio now deprecates at that import; later Starlette lines no longer do.
    warnings.filterwarnings(
        "ignore", message=r"The anyio\.abc\.BlockingPortal alias", category=DeprecationWarning
    )
    try:
        from starlette.exceptions import StarletteDeprecationWarning
    except ImportError:  # older Starlette lines have no such class
        pass
    else:
        warnings.filterwarnings("ignore", category=StarletteDeprecationWarning)
    import starlette.testclient  # noqa: F401
