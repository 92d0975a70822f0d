#!/usr/bin/env bash
# Install the Debian packages the tests and the demo need. Quick no-op when all are present.
set -euo pipefail

packages=(
  # OVSDB server and OVS userspace tools (the NB module tests run their own ovsdb-server)
  openvswitch-switch openvswitch-common
  # gateway agent: NAT backend, BFD responder, traffic tools for the namespace tests
  iptables frr iproute2 ethtool procps
  # gateway agent: the SNAT record (ulogd2's conntrack events as JSON); conntrack ends test flows
  ulogd2 ulogd2-json conntrack
  # kube-apiserver harness (built from Debian's source package, see hack/kube-build.sh)
  etcd-server etcd-client golang-go rsync make dpkg-dev golang-github-modern-go-reflect2-dev
  # the real node of the Kubernetes tests (kubelet/kube-scheduler are built like the apiserver),
  # the CNI plugins its pods' net1 uses (macvlan), and the gateway image's root filesystem
  containerd runc containernetworking-plugins mmdebstrap
  # fetching Debian packages for the OVN 25.03 private root, building the EE context
  openssl ca-certificates xz-utils zstd binutils python3-venv
  # ansible-test sanity runs shellcheck on the shell scripts
  shellcheck
  # benchmarks: a process's own peak RSS (/usr/bin/time -f %M; wait4 from a big parent over-counts)
  time
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages: all ${#packages[@]} present"
  exit 0
fi
echo "system packages: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# --no-upgrade: never upgrade what the machine already has
apt-get install -y -qq --no-install-recommends --no-upgrade "${missing[@]}" >/dev/null
echo "system packages: done"
