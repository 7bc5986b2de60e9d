#!/usr/bin/env bash
# CI wrapper: fuzz the parsers for a bounded time (default 60 s) and report executions.
# Usage: bash fuzz/run.sh [seconds]. Fails if the target finds a crash or a slow input.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-${FUZZ_SECONDS:-60}}"
python3 -c "import atheris" 2>/dev/null ||
    python3 -m pip install --quiet --disable-pip-version-check 'atheris>=2.3'
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp fuzz/corpus/* "$work/"
# -timeout: one input taking over 5 s is a finding (the target counts its Python calls).
python3 fuzz/run_atheris.py -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$work/" "$work" 2>"$work/log" || {
    tail -40 "$work/log"
    echo "fuzz: FAILED (artifacts above)" >&2
    exit 1
}
executions="$(grep -o 'number_of_executed_units: [0-9]*' "$work/log" | grep -o '[0-9]*$')"
per_second="$(grep -o 'average_exec_per_sec: *[0-9]*' "$work/log" | grep -o '[0-9]*$')"
echo "fuzz: ${seconds}s, ${executions} executions (${per_second}/s), no crash"
