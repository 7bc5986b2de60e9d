#!/usr/bin/env bash
# Version matrix (issue 6, part 6): the test suite against the oldest and the newest
# supported FastAPI/Starlette lines, each in its own virtual environment.
#
#   bash scripts/matrix.sh            # both lines
#   bash scripts/matrix.sh oldest     # one line
#
# oldest: the floors pyproject.toml declares (Python 3.10 where an interpreter is found,
#         FastAPI 0.115.0, Starlette 0.37.2); newest: the newest Python found (3.13, else
#         3.12, else python3) with the newest releases on PyPI. Each line prints the
#         interpreter it used, and the last lines sum them up.
# Both run the whole tests/ directory (minus tests/browser), so both run the grid of endpoint
# signatures (tests/test_endpoint_signatures.py) that once failed on 3.10 only (issue 14).
# For a quick check of some tests only: MATRIX_TESTS="tests/test_endpoint_signatures.py"
# (paths from the repository root; default: tests). Extra pytest arguments:
# MATRIX_PYTEST_ARGS. Venvs go to MATRIX_DIR (default: a temp dir).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
work="${MATRIX_DIR:-$(mktemp -d)}"
mkdir -p "$work"

find_python() {  # the first interpreter of the given versions that exists, else python3
    local version candidate
    for version in "$@"; do
        # the highest patch release first (a glob alone would put 3.13.10 before 3.13.9)
        for candidate in $(printf '%s\n' /root/.pyenv/versions/"$version".*/bin/python |
            sort -rV) "python$version"; do
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
    local used
    used="$("$python" --version 2>&1) ($python)"
    used_by+=("$name line: $used")
    echo "== matrix: $name line on $used, pins: ${*:-none}"
    "$python" -m venv "$venv"
    "$venv/bin/python" -c 'import sys; print("== matrix: venv python", sys.version.split()[0])'
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        -e "$root[dev]" "$@"
    "$venv/bin/python" -m pip list --disable-pip-version-check 2>/dev/null |
        grep -iE '^(fastapi|starlette|pydantic|uvicorn|httpx) ' | tr -s ' ' | paste -sd ',' -
    # The soak's short form runs in the main job; here a smaller one keeps the matrix quick.
    local tests=()
    read -r -a tests <<<"${MATRIX_TESTS:-tests}"
    SOAK_REQUESTS="${SOAK_REQUESTS:-2000}" "$venv/bin/python" -m pytest "${tests[@]}" -q \
        -p no:cacheprovider --ignore="$root/tests/browser" ${MATRIX_PYTEST_ARGS:-}
}

used_by=()
summary() {  # on every exit, a failed line's included: which interpreter each line used
    local status=$?
    if ((${#used_by[@]})); then
        printf '== matrix: %s\n' "${used_by[@]}"
    fi
    if ((status == 0)); then
        echo "== matrix: all lines passed${MATRIX_TESTS:+ (only $MATRIX_TESTS)}"
    fi
}
trap summary EXIT

lines=("${@:-oldest newest}")
for line in ${lines[*]}; do
    case "$line" in
        oldest) run_line oldest "$(find_python 3.10)" "fastapi==0.115.0" "starlette==0.37.2" ;;
        newest) run_line newest "$(find_python 3.13 3.12)" --upgrade fastapi starlette ;;
        *) echo "unknown line $line (oldest, newest)" >&2; exit 2 ;;
    esac
done
