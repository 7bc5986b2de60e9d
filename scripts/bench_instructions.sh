#!/usr/bin/env bash
# Instructions per request under valgrind (benchmarks/instructions.py): the checkable form of
# the 1 % targets on a noisy machine. Markdown tables on stdout, progress on stderr.
#
#   bash scripts/bench_instructions.sh                 # everything, ~10-15 min on 2 cores
#   bash scripts/bench_instructions.sh --quick         # smaller N: indicative only
#   bash scripts/bench_instructions.sh --only simple-get,routing-tax --code HEAD
#
# Installs valgrind with apt-get when it is missing and we are root; otherwise says that the
# instruction mode is skipped, and why, and exits 0.
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 -m benchmarks --instructions "$@"
