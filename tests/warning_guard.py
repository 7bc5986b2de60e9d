"""A CORS lint finding that a test does not expect fails that test.

pyproject's ``filterwarnings`` turns every other warning raised from cors_routes' own modules
into an error (``error:::cors_routes``). That cannot work for ``CORSLintWarning``: the start-up
lint reports a finding it cannot warn about (warnings are errors) to the ``cors_routes``
logger instead, so that a user's request never fails, and the test would pass in silence.
So the lint's warnings are recorded (``always``), and this fixture, autouse through
``tests/conftest.py``, fails the test that raised one at its teardown, naming the finding.

A test whose app is broken on purpose says so where the warning is produced: it asserts the
finding (``pytest.warns(CORSLintWarning, match=...)``) or filters it
(``@pytest.mark.filterwarnings("ignore::cors_routes.lint.CORSLintWarning")`` on the test, or
``pytestmark`` on a module of such apps); neither reaches this fixture.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest

from cors_routes.lint import CORSLintWarning


@pytest.fixture(autouse=True)
def lint_warnings_fail_the_test() -> Iterator[None]:
    # record=True keeps the filters in force (pyproject's, then the test's marks): a filtered
    # warning is never recorded, an asserted one is taken by pytest.warns first.
    with warnings.catch_warnings(record=True) as caught:
        yield
    unexpected = [w for w in caught if issubclass(w.category, CORSLintWarning)]
    for w in caught:  # every other warning goes on to pytest's summary, as it would have
        if not issubclass(w.category, CORSLintWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno, source=w.source)
    if unexpected:
        findings = "\n".join(f"  {w.filename}:{w.lineno}: {w.message}" for w in unexpected)
        pytest.fail(
            f"{len(unexpected)} unexpected CORSLintWarning(s):\n{findings}\n"
            "assert them (pytest.warns) or filter them on the test "
            '(@pytest.mark.filterwarnings("ignore::cors_routes.lint.CORSLintWarning"))',
            pytrace=False,
        )


_LINT = "cors_routes.lint.CORSLintWarning"


def expected_finding(code: str, where: str = "") -> pytest.MarkDecorator:
    """On a test whose app has this lint finding on purpose: filter that finding only (and
    only where it is about the places starting ``where``, a regex), nothing else."""
    return pytest.mark.filterwarnings(rf"ignore:\w+ \[{code}\] {where}:{_LINT}")


# A route-class app without install() leaves FastAPI's docs and OpenAPI routes without CORS,
# and the lint says so once; for the tests of such apps that are about something else.
FASTAPI_DOCS_WITHOUT_CORS = pytest.mark.filterwarnings(
    rf"ignore:warning \[uncovered-route\] .*FastAPI's docs and OpenAPI routes:{_LINT}"
)
