"""The README's API examples outside the recipes run as written (recipes: own test)."""

import re
from pathlib import Path

README = (Path(__file__).parent.parent / "README.md").read_text()


def examples():
    start = README.index("<!-- section: recipes (issue 3) -->")
    end = README.index("<!-- end section: recipes -->")
    return re.findall(r"```python\n(.*?)```", README[:start] + README[end:], re.S)


def test_the_api_examples_run_in_order():
    blocks = examples()
    assert len(blocks) >= 4  # the opening example, CORSPolicy, router default, Starlette
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, "README.md", "exec"), namespace)  # each continues the previous
    from fastapi import FastAPI

    from cors_routes import CORSPolicy

    assert isinstance(namespace["app"], FastAPI) or "Starlette" in type(namespace["app"]).__name__
    assert namespace["PartnerRoute"].cors_policy == CORSPolicy(
        allow_origins=["https://partner.example"]
    )


def test_the_config_error_example_shows_the_real_message():
    from cors_routes import CORSConfigError, CORSPolicy

    shown = re.search(r"```pycon\n>>> (.*?)\n(.*?)```", README, re.S)
    assert shown is not None
    call, output = shown.groups()
    try:
        eval(call, {"CORSPolicy": CORSPolicy})
    except CORSConfigError as error:
        assert output.strip() == f"CORSConfigError: {error}"
    else:
        raise AssertionError("the README's example policy was accepted")
