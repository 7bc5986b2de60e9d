#!/usr/bin/env bash
# Packaging proof: build the sdist and the wheel, check their metadata and contents, then
# install the wheel (not the checkout) into fresh venvs, with and without the fastapi extra,
# and use it from a directory where the checkout is not importable; last, an editable install
# (`pip install -e`) that mypy and pyright must see from code outside the checkout.
#
#   bash scripts/package_check.sh
#
# Needs only python3 (PYTHON to choose another) and pip reaching PyPI. Everything is built and
# installed under a temp dir (PACKAGE_CHECK_DIR to keep it); the repo is never written: the
# build runs on a copy of the files git sees, because setuptools writes *.egg-info and build/
# into the source tree, and .gitignore hides those from `git status`.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
python="${PYTHON:-python3}"
started=$SECONDS
if [ -n "${PACKAGE_CHECK_DIR:-}" ]; then
    work="$PACKAGE_CHECK_DIR"
    mkdir -p "$work"
else
    work="$(mktemp -d)"
    trap 'rm -rf "$work"' EXIT
fi
case "$work/" in
    "$root"/*) echo "package_check: FAIL: PACKAGE_CHECK_DIR must be outside the repo" >&2; exit 2 ;;
esac
pip_quiet=(--quiet --disable-pip-version-check)
# The installed package, never the checkout: no PYTHONPATH, no user site-packages.
unset PYTHONPATH
export PYTHONNOUSERSITE=1

passed=0
failed=0
log="$work/last.log"

ok() { passed=$((passed + 1)); echo "package_check: ok   $1"; }
fail() {
    failed=$((failed + 1))
    echo "package_check: FAIL $1" >&2
    if [ -s "$log" ]; then sed 's/^/    | /' "$log" | tail -n 40 >&2; fi
}
# check DESCRIPTION COMMAND...: run it (output to $log), one summary line either way.
check() {
    local description="$1"
    shift
    if "$@" >"$log" 2>&1; then ok "$description"; else fail "$description"; fi
}
# must DESCRIPTION COMMAND...: as check, but the later checks need it: stop on failure.
must() {
    local failed_before=$failed
    check "$@"
    if [ "$failed" -gt "$failed_before" ]; then
        echo "package_check: stopped: later checks need '$1'" >&2
        exit 1
    fi
}

# Artefacts setuptools would leave in the source tree (ignored by git, so listed by name).
artefacts() {
    find "$root" -maxdepth 2 \( -name build -o -name dist -o -name '*.egg-info' \) -prune \
        -not -path "$root/.git/*" -print | sort
}
status_before="$(git -C "$root" status --porcelain)"
artefacts_before="$(artefacts)"

# -- 1. build --------------------------------------------------------------------------------

copy_source() {  # the files git sees (tracked and untracked-not-ignored), as they are now
    mkdir -p "$work/src"
    git -C "$root" ls-files -z --cached --others --exclude-standard |
        (cd "$root" && while IFS= read -r -d '' file; do
            [ -e "$file" ] && printf '%s\0' "$file"
        done) |
        tar -C "$root" --null -T - -cf - | tar -C "$work/src" -xf -
}
must "copy the source (git ls-files) to a temp dir" copy_source
must "venv with build, twine and trove-classifiers" bash -c '
    "$1" -m venv "$2" && "$2/bin/python" -m pip install "${@:3}" build twine trove-classifiers' \
    _ "$python" "$work/tools" "${pip_quiet[@]}"
must "python -m build (sdist and wheel)" \
    "$work/tools/bin/python" -m build --outdir "$work/dist" "$work/src"
shopt -s nullglob
wheels=("$work"/dist/*.whl)
sdists=("$work"/dist/*.tar.gz)
shopt -u nullglob
: >"$log"
if [ "${#wheels[@]}" -ne 1 ] || [ "${#sdists[@]}" -ne 1 ]; then
    ls -l "$work/dist" >"$log" 2>&1 || true
    fail "exactly one wheel and one sdist built (got ${#wheels[@]} and ${#sdists[@]})"
    exit 1
fi
wheel="${wheels[0]}"
sdist="${sdists[0]}"
ok "built $(basename "$sdist") and $(basename "$wheel")"

# -- 2. metadata and contents ----------------------------------------------------------------

check "twine check --strict on both" "$work/tools/bin/twine" check --strict "$wheel" "$sdist"

# Every file of the package directory that is shipped: modules (any depth) and py.typed.
package_files() {
    (cd "$root" && find cors_routes -name __pycache__ -prune -o -type f \
        \( -name '*.py' -o -name py.typed \) -print) | sort
}
# The documentation the sdist ships (MANIFEST.in: graft docs), as git sees it.
doc_files() {
    git -C "$root" ls-files --cached --others --exclude-standard docs | sort
}
# ARCHIVE KIND: what the wheel/sdist must hold beyond the package, and what it must not.
check_archive() {
    "$python" - "$1" "$2" "$(package_files)" "$(doc_files)" <<'EOF'
import sys, tarfile, zipfile

archive, kind = sys.argv[1], sys.argv[2]
expected, docs = sys.argv[3].split(), sys.argv[4].split()
problems = []
if kind == "wheel":
    names = set(zipfile.ZipFile(archive).namelist())
    required = set(expected) | {"cors_routes/py.typed"}
    tops = {name.split("/")[0] for name in names}
    # Only the package and its .dist-info: no tests/, examples/, benchmarks/ at top level.
    extra = sorted(t for t in tops if t != "cors_routes" and not t.endswith(".dist-info"))

    def dist_info(file):  # the text of .dist-info/FILE, "" when the wheel has none
        found = [n for n in names if n.endswith(".dist-info/" + file)]
        return zipfile.ZipFile(archive).read(found[0]).decode() if found else ""

    problems += [f"unexpected top-level entry {t!r}" for t in extra]
    text = dist_info("METADATA")
    for line in ("Requires-Dist: starlette", "Provides-Extra: fastapi",
                 "Description-Content-Type: text/markdown", "License-Expression: MIT",
                 *(f"Project-URL: {label}, https://github.com/cors-routes/cors-routes"
                   for label in ("Homepage", "Source", "Changelog", "Issues")),
                 # every Python the CI runs (scripts/matrix.sh: 3.10 and 3.13; .ci/run: python3)
                 *(f"Classifier: Programming Language :: Python :: 3.{minor}"
                   for minor in (10, 11, 12, 13))):
        if line not in text:
            problems.append(f"METADATA lacks {line!r}")
    if not dist_info("licenses/LICENSE"):
        problems.append("no .dist-info/licenses/LICENSE")
    if "cors-routes = cors_routes.__main__:main" not in dist_info("entry_points.txt"):
        problems.append("entry_points.txt lacks the cors-routes console script")
else:
    with tarfile.open(archive) as tar:
        # strip the leading 'cors_routes-<version>/'
        names = {m.name.partition("/")[2] for m in tar.getmembers() if m.isfile()}
    required = set(expected) | set(docs) | {
        "README.md", "pyproject.toml", "CHANGELOG.md", "LICENSE", "cors_routes/py.typed"}
    if not docs:
        problems.append("no docs/ in the checkout to look for")
    # MANIFEST.in prunes these: the suite, benchmarks and tools live in the repository.
    problems += [f"unexpected {name}" for name in sorted(names)
                 if name.split("/")[0] in ("tests", "benchmarks", "fuzz", "scripts")]
missing = sorted(required - names)
problems += [f"missing {name}" for name in missing]
print(f"{kind}: {len(names)} files, {len(required)} required")
for problem in problems:
    print(problem)
sys.exit(1 if problems else 0)
EOF
}
count="$(package_files | wc -l)"
check "wheel: all $count package files, py.typed, LICENSE, URLs, classifiers, nothing else" \
    check_archive "$wheel" wheel
check "sdist: all $count package files, py.typed, docs/, CHANGELOG.md, LICENSE, README.md" \
    check_archive "$sdist" sdist
# Every classifier is one PyPI accepts (it refuses an upload with an unknown one), and none
# is deprecated. No License :: classifier, on purpose: the license expression
# (License-Expression: MIT) supersedes them, and setuptools refuses both together.
valid_classifiers() {
    "$work/tools/bin/python" - "$1" <<'EOF'
import sys, zipfile
from trove_classifiers import classifiers, deprecated_classifiers

wheel = zipfile.ZipFile(sys.argv[1])
metadata = next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))
given = [line.partition(": ")[2] for line in wheel.read(metadata).decode().splitlines()
         if line.startswith("Classifier: ")]
print(f"{len(given)} classifiers")
bad = [c for c in given if c not in classifiers or c in deprecated_classifiers]
for c in bad:
    print(f"not a valid classifier: {c!r}")
sys.exit(1 if bad or not given else 0)
EOF
}
check "every classifier is in trove-classifiers' list" valid_classifiers "$wheel"

# -- 3. install the wheel and use it ---------------------------------------------------------

outside="$work/outside"  # the working directory for every use: the checkout is not on sys.path
mkdir -p "$outside"
cd "$outside"
with_fastapi="$work/venv-fastapi"
must "fresh venv: pip install '<wheel>[fastapi]'" bash -c '
    "$1" -m venv "$2" && "$2/bin/python" -m pip install "${@:4}" "$3[fastapi]"' \
    _ "$python" "$with_fastapi" "$wheel" "${pip_quiet[@]}"
check "import cors_routes, CORSPolicy, cors, no_cors, cors_routes.starlette" \
    "$with_fastapi/bin/python" -c \
    "import cors_routes; from cors_routes import CORSPolicy, cors, no_cors; import cors_routes.starlette"
check "cors_routes.__file__ is inside the venv, not the repo" \
    "$with_fastapi/bin/python" -c '
import os, sys, cors_routes
where = os.path.realpath(cors_routes.__file__)
print(where)
sys.exit(0 if where.startswith(os.path.realpath(sys.prefix) + os.sep)
         and not where.startswith(os.path.realpath(sys.argv[1]) + os.sep) else 1)' "$root"
check "cors-routes --help (console script)" "$with_fastapi/bin/cors-routes" --help
check "python -m cors_routes --help" "$with_fastapi/bin/python" -m cors_routes --help

cat >"$outside/pkgcheck_app.py" <<'EOF'
from fastapi import FastAPI

from cors_routes import CORSRoute, cors

app = FastAPI()
app.router.route_class = CORSRoute


@app.get("/pkgcheck/items")
@cors(allow_origins=["https://pkgcheck.example"])
async def items() -> list[str]:
    return []
EOF
routes_lists_the_endpoint() {  # VENV
    "$1/bin/cors-routes" routes pkgcheck_app:app >"$work/routes.txt" || return 1
    cat "$work/routes.txt"
    grep -E '^/pkgcheck/items +GET +CORSRoute +@cors +https://pkgcheck\.example ' "$work/routes.txt"
}
check "cors-routes routes pkgcheck_app:app lists GET /pkgcheck/items with its policy" \
    routes_lists_the_endpoint "$with_fastapi"

without_fastapi="$work/venv-starlette"
must "second fresh venv: pip install <wheel> (no extra)" bash -c '
    "$1" -m venv "$2" && "$2/bin/python" -m pip install "${@:4}" "$3"' \
    _ "$python" "$without_fastapi" "$wheel" "${pip_quiet[@]}"
check "without FastAPI: fastapi absent, import cors_routes, cors_routes.starlette works" \
    "$without_fastapi/bin/python" -c '
import importlib.util, os, sys
assert importlib.util.find_spec("fastapi") is None, "fastapi is installed"
import cors_routes, cors_routes.starlette
assert os.path.realpath(cors_routes.__file__).startswith(os.path.realpath(sys.prefix) + os.sep)
try:
    cors_routes.CORSRoute
except ImportError as error:
    assert "cors-routes[fastapi]" in str(error), error
else:
    raise AssertionError("cors_routes.CORSRoute resolved without FastAPI")'

# The README's install before a release: from a checkout (a copy here, not a link to it).
from_checkout="$work/venv-checkout"
must "third fresh venv: pip install '<checkout>[fastapi]' (not editable)" bash -c '
    "$1" -m venv "$2" && "$2/bin/python" -m pip install "${@:4}" "$3[fastapi]"' \
    _ "$python" "$from_checkout" "$work/src" "${pip_quiet[@]}"
check "from a checkout: cors_routes is a copy inside the venv, fastapi is installed" \
    "$from_checkout/bin/python" -c '
import importlib.util, os, sys, cors_routes
assert importlib.util.find_spec("fastapi") is not None, "the [fastapi] extra was not installed"
where = os.path.realpath(cors_routes.__file__)
print(where)
sys.exit(0 if where.startswith(os.path.realpath(sys.prefix) + os.sep) else 1)'
check "from a checkout: cors-routes routes pkgcheck_app:app lists the endpoint" \
    routes_lists_the_endpoint "$from_checkout"

# -- 4. an editable install that type checkers see -------------------------------------------
# setuptools' default editable mode for a flat layout is an import hook, which mypy and pyright
# never run ("cannot find module"); pyproject's package-dir = {"" = "."} makes it a static
# .pth path. `pip install -e` of the copy, with no flags, then type-check code outside it.
# basedpyright is pyright with node in its wheel: nothing is fetched from npm at run time.

editable="$work/venv-editable"
must "fourth fresh venv: pip install -e <checkout> (no flags), mypy, pyright" bash -c '
    "$1" -m venv "$2" && "$2/bin/python" -m pip install "${@:4}" -e "$3" mypy basedpyright' \
    _ "$python" "$editable" "$work/src" "${pip_quiet[@]}"
static_pth() {  # one __editable__ .pth naming the checkout, and no import-hook finder
    "$editable/bin/python" - "$work/src" <<'EOF'
import os, pathlib, sys, sysconfig

site = pathlib.Path(sysconfig.get_paths()["purelib"])
pth = sorted(site.glob("__editable__*cors_routes*.pth"))
finders = sorted(site.glob("__editable__*cors_routes*finder.py"))
print("pth:", [p.name for p in pth], "finders:", [f.name for f in finders])
lines = [line for p in pth for line in p.read_text().splitlines() if line.strip()]
print("paths:", lines)
ok = (len(pth) == 1 and not finders
      and [os.path.realpath(line) for line in lines] == [os.path.realpath(sys.argv[1])])
sys.exit(0 if ok else 1)
EOF
}
check "the editable install is a static .pth path to the checkout, not an import hook" \
    static_pth
cat >"$outside/typed_use.py" <<'EOF'
from cors_routes import CORSPolicy, cors


@cors(CORSPolicy(allow_origins=["https://app.example"]))
async def items() -> list[str]:
    return []


POLICY: CORSPolicy = CORSPolicy(allow_origins=["https://app.example"]).replace(max_age=60)
EOF
# The same use with a type error: a checker that found the package reports it (one that did
# not would say "cannot find module", or nothing under ignore_missing_imports).
cat >"$outside/typed_misuse.py" <<'EOF'
from cors_routes import CORSPolicy

POLICY: int = CORSPolicy(allow_origins=["https://app.example"])
EOF
check "mypy --strict, outside the checkout: code using cors_routes type-checks" \
    "$editable/bin/python" -m mypy --strict --no-incremental "$outside/typed_use.py"
mypy_sees_types() {
    ! "$editable/bin/python" -m mypy --strict --no-incremental "$outside/typed_misuse.py" \
        >"$work/mypy.txt" 2>&1
    local status=$?
    cat "$work/mypy.txt"
    [ "$status" -eq 0 ] && grep -q 'has type "CORSPolicy", variable has type "int"' "$work/mypy.txt"
}
check "mypy, outside the checkout: a misuse is reported with cors_routes' own types" \
    mypy_sees_types
check "pyright, outside the checkout: code using cors_routes type-checks" \
    "$editable/bin/basedpyright" --pythonpath "$editable/bin/python" "$outside/typed_use.py"
pyright_sees_types() {
    ! "$editable/bin/basedpyright" --pythonpath "$editable/bin/python" "$outside/typed_misuse.py" \
        >"$work/pyright.txt" 2>&1
    local status=$?
    cat "$work/pyright.txt"
    [ "$status" -eq 0 ] && grep -q '"CORSPolicy" is not assignable to declared type "int"' \
        "$work/pyright.txt"
}
check "pyright, outside the checkout: a misuse is reported with cors_routes' own types" \
    pyright_sees_types

# -- the repo is as it was -------------------------------------------------------------------

cd "$root"
: >"$log"
status_after="$(git status --porcelain)"
artefacts_after="$(artefacts)"
if [ "$status_after" = "$status_before" ] && [ "$artefacts_after" = "$artefacts_before" ]; then
    ok "repo unchanged (git status --porcelain; no new build/, dist/, *.egg-info)"
else
    {
        echo "git status --porcelain, before then after:"
        diff <(echo "$status_before") <(echo "$status_after") || true
        echo "build/, dist/, *.egg-info, before then after:"
        diff <(echo "$artefacts_before") <(echo "$artefacts_after") || true
    } >"$log"
    fail "repo changed during the package check"
fi

elapsed=$((SECONDS - started))
if [ "$failed" -gt 0 ]; then
    echo "package_check: $failed of $((passed + failed)) checks FAILED (${elapsed}s)" >&2
    exit 1
fi
echo "package_check: all $passed checks passed (${elapsed}s)"
