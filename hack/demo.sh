#!/usr/bin/env bash
# `make demo` (kubernetes, the default) and `make demo-standalone` (standalone): see hack/demo.py.
# First makes what the demo needs (cached after the first run) and says how long that took.
# Needs root (network namespaces, kubelets). Cleans up on failure and Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-kubernetes}
if [ "$(id -u)" != 0 ]; then
  echo "make demo needs root (it creates network namespaces and runs kubelets)" >&2
  exit 1
fi
needs=(install)
[ "$mode" = standalone ] || needs+=(install-kube image)
started=$SECONDS
make --no-print-directory "${needs[@]}"
echo "what the demo needs (make ${needs[*]}): ready in $((SECONDS - started)) s"
source hack/env.sh
exec .venv/bin/python hack/demo.py "$mode"
