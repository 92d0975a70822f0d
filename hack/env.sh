# shellcheck shell=bash
# Sourced by the hack/ scripts: the environment every tool here runs in.
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH="$repo/.venv/bin:$PATH"
export ANSIBLE_COLLECTIONS_PATH="$repo/build/collections"
export ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false
export ANSIBLE_NOCOLOR=${ANSIBLE_NOCOLOR:-1}
export KUBEOVN_EGRESS_CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/kubeovn-egress-gateway"
export OVN_CACHE="$KUBEOVN_EGRESS_CACHE/ovn"
