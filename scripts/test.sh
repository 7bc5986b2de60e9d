#!/usr/bin/env bash
# The test command: installs what the tests need, then runs them.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install --quiet --disable-pip-version-check -e '.[dev]'
# The browser tests drive Debian's Chromium through playwright (never `playwright install`).
# Install it when it is missing and we can (root with apt); otherwise they skip (fail in CI).
if [ ! -x "${CORS_ROUTES_CHROMIUM:-/usr/bin/chromium}" ] && [ "$(id -u)" = 0 ] \
    && command -v apt-get >/dev/null; then
    echo "scripts/test.sh: installing Chromium for the browser tests (apt-get)" >&2
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } \
        >/dev/null || echo "scripts/test.sh: could not install Chromium" >&2
fi
python3 -m pytest "$@"
