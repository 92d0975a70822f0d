#!/usr/bin/env bash
# Every test suite, in order; stops at the first failing suite and exits non-zero.
set -euo pipefail
cd "$(dirname "$0")/.."
source hack/env.sh

stage() { printf '\n=== %s ===\n' "$*"; }

stage "pytest: unit and functional suites"
.venv/bin/python -m pytest -q -p no:cacheprovider tests/unit tests/functional
