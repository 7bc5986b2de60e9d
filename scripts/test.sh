#!/usr/bin/env bash
# The test command: installs what the tests need, then runs them.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install --quiet --disable-pip-version-check -e '.[dev]'
# The browser tests drive Debian's Chromium through playwright (never `playwright install`);
# the instruction-count smoke test (CORS_ROUTES_BENCH_SMOKE=1) needs valgrind. Install what
# is missing when we can (root with apt); otherwise those tests skip (the browser's fail in CI).
missing=()
[ -x "${CORS_ROUTES_CHROMIUM:-/usr/bin/chromium}" ] || missing+=(chromium)
command -v valgrind >/dev/null || missing+=(valgrind)
if [ "${#missing[@]}" -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "scripts/test.sh: installing ${missing[*]} for the tests (apt-get)" >&2
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"; } \
        >/dev/null || echo "scripts/test.sh: could not install ${missing[*]}" >&2
fi
# The origin store's tests start a throwaway PostgreSQL (scripts/postgres.sh): install Debian's
# package when we can; without it they skip (and fail in CI).
bash scripts/postgres.sh install || echo "scripts/test.sh: no PostgreSQL for the tests" >&2
python3 -m pytest "$@"
