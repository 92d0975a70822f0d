#!/usr/bin/env bash
# `make demo`: a one-machine OVN 25.03, a 2-instance egress gateway with BFD deployed by
# playbooks/standalone.yml, its traffic, one instance failed, then everything removed.
# Needs root (network namespaces). Cleans up on failure and Ctrl-C. See hack/demo.py.
set -euo pipefail
cd "$(dirname "$0")/.."
source hack/env.sh
if [ "$(id -u)" != 0 ]; then
  echo "make demo needs root (it creates network namespaces)" >&2
  exit 1
fi
exec .venv/bin/python hack/demo.py "$@"
