#!/usr/bin/env bash
# Version matrix (issue 6, part 6): the test suite against the oldest and the newest
# supported FastAPI/Starlette lines, each in its own virtual environment.
#
#   bash scripts/matrix.sh            # both lines
#   bash scripts/matrix.sh oldest     # one line
#
# oldest: the floors pyproject.toml declares (Python 3.10 where an interpreter is found,
#         FastAPI 0.115.0, Starlette 0.37.2); newest: the newest releases on PyPI.
# Extra pytest arguments: MATRIX_PYTEST_ARGS. Venvs go to MATRIX_DIR (default: a temp dir).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
work="${MATRIX_DIR:-$(mktemp -d)}"
mkdir -p "$work"

find_python() {  # the first interpreter of the given versions that exists, else python3
    for version in "$@"; do
        for candidate in /root/.pyenv/versions/"$version".*/bin/python "python$version"; do
            # a pyenv shim exists even where its version is not selected: try to run it
            if "$candidate" -c "import venv" >/dev/null 2>&1; then
                command -v "$candidate"
                return
            fi
        done
    done
    command -v python3
}

run_line() {
    local name="$1" python="$2"
    shift 2
    local venv="$work/$name"
    echo "== matrix: $name line on $("$python" --version 2>&1), pins: ${*:-none}"
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        -e "$root[dev]" "$@"
    "$venv/bin/python" -m pip list --disable-pip-version-check 2>/dev/null |
        grep -iE '^(fastapi|starlette|pydantic|uvicorn|httpx) ' | tr -s ' ' | paste -sd ',' -
    # The soak's short form runs in the main job; here a smaller one keeps the matrix quick.
    SOAK_REQUESTS="${SOAK_REQUESTS:-2000}" "$venv/bin/python" -m pytest "$root/tests" -q \
        -p no:cacheprovider --ignore="$root/tests/browser" ${MATRIX_PYTEST_ARGS:-}
}

lines=("${@:-oldest newest}")
for line in ${lines[*]}; do
    case "$line" in
        oldest) run_line oldest "$(find_python 3.10)" "fastapi==0.115.0" "starlette==0.37.2" ;;
        newest) run_line newest "$(command -v python3)" --upgrade fastapi starlette ;;
        *) echo "unknown line $line (oldest, newest)" >&2; exit 2 ;;
    esac
done
echo "== matrix: all lines passed"
