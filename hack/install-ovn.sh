#!/usr/bin/env bash
# Provide OVN for the tests and the demo, without touching the system's packages:
#   $OVN_CACHE/schemas/ovn-nb-<version>.ovsschema   NB schemas of Debian 12 (OVN 23.03) and 13 (25.03)
#   $OVN_CACHE/25.03/bin/<tool>                      OVN 25.03 + OVS 3.5 runnable on Debian 12 and 13
# The 25.03 binaries come from Debian 13 packages unpacked into a private root and run through
# that root's own dynamic loader, so nothing resolves against the host's libraries.
# Prints the cache folder on its last line.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=hack/env.sh
source "$here/env.sh"
cache=$OVN_CACHE
mkdir -p "$cache/schemas"

bash "$here/debian-fetch.sh" bookworm "$cache/23.03" ovn-common ovn-central
bash "$here/debian-fetch.sh" trixie "$cache/25.03" \
  ovn-common ovn-central ovn-host openvswitch-common openvswitch-switch \
  libc6 libgcc-s1 libssl3t64 openssl-provider-legacy libunbound8 libevent-2.1-7t64 libcap-ng0 \
  libbpf1 libxdp1 libnuma1 libudev1 libcap2 libelf1t64 zlib1g libzstd1

for v in 23.03 25.03; do
  src=$(find "$cache/$v/root" -name ovn-nb.ovsschema | head -n1)
  ver=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["version"])' "$src")
  # write only what differs: a rerun changes nothing
  cmp -s "$src" "$cache/schemas/ovn-nb-$ver.ovsschema" || cp "$src" "$cache/schemas/ovn-nb-$ver.ovsschema"
  [ "$(readlink "$cache/schemas/ovn-nb-$v.ovsschema")" = "ovn-nb-$ver.ovsschema" ] \
    || ln -sfn "ovn-nb-$ver.ovsschema" "$cache/schemas/ovn-nb-$v.ovsschema"
done

root=$cache/25.03/root
loader=$root/usr/lib64/ld-linux-x86-64.so.2
[ -e "$loader" ] || loader=$root/lib64/ld-linux-x86-64.so.2
libs=$root/usr/lib/x86_64-linux-gnu:$root/lib/x86_64-linux-gnu
mkdir -p "$cache/25.03/bin"
for binary in "$root"/usr/bin/ovn-* "$root"/usr/bin/ovs-* "$root"/usr/bin/ovsdb-* \
              "$root"/usr/sbin/ovsdb-server "$root"/usr/lib/openvswitch-switch/ovs-vswitchd; do
  if [ ! -f "$binary" ] || [ ! -x "$binary" ]; then continue; fi
  head -c4 "$binary" | grep -q ELF || continue
  name=$(basename "$binary")
  wrapper=$(printf '#!/bin/sh\nexec %s --library-path %s %s "$@"' "$loader" "$libs" "$binary")
  if [ "$(cat "$cache/25.03/bin/$name" 2>/dev/null)" != "$wrapper" ]; then
    printf '%s\n' "$wrapper" > "$cache/25.03/bin/$name"
    chmod +x "$cache/25.03/bin/$name"
  fi
done
# Fail early if anything would resolve outside the private root.
if "$loader" --library-path "$libs" --list "$root/usr/bin/ovn-nbctl" | grep -v "$root" | grep -q '=> /'; then
  echo "install-ovn: ovn-nbctl resolves libraries outside $root" >&2
  exit 1
fi
echo "ovn: schemas $(cd "$cache/schemas" && printf '%s ' ovn-nb-[0-9]*.[0-9]*.[0-9]*.ovsschema)and OVN $("$cache/25.03/bin/ovn-nbctl" --version | head -n1 | awk '{print $NF}') in"
echo "$cache"
