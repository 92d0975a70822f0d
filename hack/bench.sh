#!/usr/bin/env bash
# Benchmarks, one section per area; each writes build/bench/<section>.json (and its own figures).
#   bash hack/bench.sh              every section
#   bash hack/bench.sh agent        only the named sections, in the order given
# A section is a function bench_<name> below; add yours the same way.
set -euo pipefail
cd "$(dirname "$0")/.."
source hack/env.sh
mkdir -p build/bench

# Gateway agent: module apply / no-op vs the same work as a shell script (tests/bench/bench_agent.py).
bench_agent() { .venv/bin/python tests/bench/bench_agent.py --runs "${BENCH_AGENT_RUNS:-10}"; }

# Gateway reconciler: playbook wall time vs idempotent ovn-nbctl command tasks (1 and 20 gateways),
# module time vs a bare read (+ one raw transaction), and 100..50,000 selected pods
# (tests/bench/bench_reconciler.py; build/bench/reconciler.json and reconciler.md).
bench_reconciler() {
  .venv/bin/python tests/bench/bench_reconciler.py --repeat "${BENCH_RECONCILER_RUNS:-3}" \
    --sizes "${BENCH_RECONCILER_SIZES:-100,1000,10000,50000}"
}

# OVN data plane: traffic lost when a gateway instance dies, BFD 100 ms x 3 and 1000 ms x 3, and the
# time until a returning instance carries traffic again (tests/bench/bench_failover.py; + PNG plot).
bench_failover() {
  .venv/bin/python tests/bench/bench_failover.py --runs "${BENCH_FAILOVER_RUNS:-10}" --stability 20
}

# Kubernetes mode on real pods (the cluster of `make demo`): loss window when a gateway pod is
# deleted, loses its link or its bfdd, at each BFD setting; deploy to the first flow through a
# gateway; each gateway pod's memory (tests/bench/bench_kube.py; build/bench/kube.json, .md, .png).
bench_kube() {
  local bfd=() spec
  for spec in ${BENCH_KUBE_BFD:-100x3 50x3}; do bfd+=(--bfd "$spec"); done
  .venv/bin/python tests/bench/bench_kube.py --runs "${BENCH_KUBE_RUNS:-5}" "${bfd[@]}" \
    --stability "${BENCH_KUBE_STABILITY:-300}"
}

# NB modules: module runs against Python start-up and ovn-nbctl, at 0 and 50,000 switch ports
# (tests/bench/bench_nb.py).
bench_nb() { .venv/bin/python tests/bench/bench_nb.py --runs "${BENCH_NB_RUNS:-5}"; }

# SNAT record: CPU and memory of gateway_snat_log's recorder (+ ulogd2) at 1,000 new SNAT'd flows/s
# against ulogd2 alone (tests/bench/bench_snat_log.py; build/bench/snat_log.json and snat_log.md).
bench_snat_log() {
  .venv/bin/python tests/bench/bench_snat_log.py --rate "${BENCH_SNAT_RATE:-1000}" \
    --seconds "${BENCH_SNAT_SECONDS:-10}" --runs "${BENCH_SNAT_RUNS:-3}"
}

# Event-Driven Ansible: a new selected pod's LSP -> port-group membership through ansible-rulebook
# (p50/p95 and breakdown), a burst, repair after kube-ovn-controller v1.14's port-group GC, memory
# and latency at BENCH_EDA_PODS pods over BENCH_EDA_GATEWAYS gateways, and rerunning deploy instead
# (tests/bench/bench_eda.py; build/bench/eda.json).
bench_eda() {
  .venv/bin/python tests/bench/bench_eda.py --samples "${BENCH_EDA_SAMPLES:-20}" \
    --scale-pods "${BENCH_EDA_PODS:-10000}" --scale-gateways "${BENCH_EDA_GATEWAYS:-20}"
}

mapfile -t all_sections < <(declare -F | awk '$3 ~ /^bench_/ {sub(/^bench_/, "", $3); print $3}')
sections=("$@")
[ ${#sections[@]} -gt 0 ] || sections=("${all_sections[@]}")
for section in "${sections[@]}"; do
  printf '\n=== bench: %s ===\n' "$section"
  "bench_$section"
done

# docs/benchmarks.md from what the sections wrote (every figure there comes from build/bench/)
.venv/bin/python hack/bench_report.py
