#!/usr/bin/env bash
# Build the gateway image as an OCI archive (`make image`), with no container engine and no registry:
#   layer 1  Debian bookworm root filesystem made by mmdebstrap (python3, iptables, iproute2, FRR,
#            tini, procps; ulogd2 + ulogd2-json for the snat-log container) and a venv /opt/agent
#            with ansible-core, pyroute2 and netaddr (requirements.txt pins; the agent's address parser needs netaddr)
#   layer 2  this collection, installed from its own `ansible-galaxy collection build` tarball
# Each layer is cached in ${XDG_CACHE_HOME:-~/.cache}/kubeovn-egress-gateway/image/ by a key of its
# inputs (layer 1: this script's package list and pins; layer 2: the tarball's file contents), so a
# change of the collection repacks only layer 2. Timestamps are fixed (SOURCE_DATE_EPOCH) and tar
# entries sorted: the same inputs give the same layer digests.
# Output: build/image/kubeovn-egress-gateway-<version>.oci.tar, image name on the last line of stdout.
set -euo pipefail
cd "$(dirname "$0")/../.."
source hack/env.sh
# shellcheck source=hack/debian-mirror.sh
source hack/debian-mirror.sh

export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1735689600}  # 2025-01-01, fixed for reproducible layers
suite=bookworm
# the agent's system dependencies: NAT backend, routing tools, bfdd + vtysh, PID 1, pgrep (probes)
packages=(python3 python3-venv iptables iproute2 frr tini procps ulogd2 ulogd2-json)  # ulogd2: the snat-log container
pins=$(grep -E '^(ansible-core|pyroute2|netaddr)==' requirements.txt | sort)
version=$(.venv/bin/python -c 'import yaml; print(yaml.safe_load(open("galaxy.yml"))["version"])')
image=localhost/kubeovn-egress-gateway:$version
cache=$KUBEOVN_EGRESS_CACHE/image
mkdir -p "$cache" build/image
started=$SECONDS
work=$(mktemp -d "$cache/work.XXXXXX")
trap 'rm -rf "$work"' EXIT

# --- layer 1: Debian + the agent's Python packages ------------------------------------------------
base_key=$( (echo "$suite ${packages[*]}"; echo "$pins"; sed -n '/^# --- layer 1/,/^# --- layer 2/p' "$0") \
            | sha256sum | cut -c1-16)
base=$cache/base-$base_key
if [ ! -f "$base/layer.json" ]; then
  echo "image: building the base layer (Debian $suite + ${pins//$'\n'/ }; a few minutes)" >&2
  wheels=$work/wheels
  # the host is the same Debian release (same Python), so its pip resolves the wheels the image needs
  # shellcheck disable=SC2086
  .venv/bin/pip download -q --disable-pip-version-check --only-binary=:all: -d "$wheels" $pins 2>&1 \
    | grep -v "^WARNING: Location" >&2 || true
  rootfs=$work/rootfs
  # shellcheck disable=SC2016  # the hooks are shell run by mmdebstrap, which passes the root as $1
  nice mmdebstrap --quiet --variant=minbase --include="$(IFS=,; echo "${packages[*]}")" \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/info/*' \
    --customize-hook='mkdir -p "$1/wheels" && cp '"$wheels"'/*.whl "$1/wheels/"' \
    --customize-hook='chroot "$1" python3 -m venv /opt/agent' \
    --customize-hook='chroot "$1" /opt/agent/bin/pip install -q --no-index --find-links /wheels --disable-pip-version-check '"${pins//$'\n'/ }" \
    "$suite" "$rootfs" "$(debian_mirror)" >&2
  # cleaned once mmdebstrap has unmounted everything (it mounts /dev, /proc, /sys for its hooks):
  # the runtime mounts /dev itself; apt lists, logs, the machine id and caches differ per build
  if findmnt -rn -o TARGET | grep -q "^$rootfs/"; then
    echo "image: something is still mounted under $rootfs" >&2; exit 1
  fi
  rm -rf "${rootfs:?}/wheels" "${rootfs:?}"/dev/* "$rootfs"/var/cache/apt/* "$rootfs"/var/lib/apt/lists/* \
    "$rootfs"/var/log/* "$rootfs/etc/machine-id" "$rootfs/var/cache/ldconfig/aux-cache"
  find "$rootfs/opt/agent" -name __pycache__ -prune -exec rm -rf {} +
  python3 containers/oci.py layer "$rootfs" "$base.tmp" >/dev/null
  rm -rf "$base" && mv "$base.tmp" "$base"
fi

# --- layer 2: the collection from its own tarball ---------------------------------------------------
ansible-galaxy collection build --force --output-path "$work" . >/dev/null
tarball=$work/kubeovn-egress_gateway-$version.tar.gz
collection_key=$(python3 - "$tarball" <<'PY'
import hashlib, sys, tarfile
digest = hashlib.sha256()
with tarfile.open(sys.argv[1]) as tar:
    for member in sorted(tar.getmembers(), key=lambda m: m.name):
        digest.update(f"{member.name}\0{member.mode}\0".encode())
        if member.isfile():
            digest.update(tar.extractfile(member).read())
print(digest.hexdigest()[:16])
PY
)
collection=$cache/collection-$collection_key
if [ ! -f "$collection/layer.json" ]; then
  tree=$work/collection
  ANSIBLE_COLLECTIONS_PATH=$tree/usr/share/ansible/collections \
    ansible-galaxy collection install --no-deps -p "$tree/usr/share/ansible/collections" "$tarball" >/dev/null
  python3 containers/oci.py layer "$tree" "$collection.tmp" >/dev/null
  rm -rf "$collection" && mv "$collection.tmp" "$collection"
fi

# --- the image ------------------------------------------------------------------------------------
cat > "$work/config.json" <<'JSON'
{"Entrypoint": ["/usr/bin/tini", "--"],
 "Cmd": ["ansible-playbook", "-i", "localhost,", "-c", "local", "kubeovn.egress_gateway.agent"],
 "Env": ["PATH=/opt/agent/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
         "ANSIBLE_COLLECTIONS_PATH=/usr/share/ansible/collections",
         "ANSIBLE_LOCALHOST_WARNING=false", "ANSIBLE_INVENTORY_UNPARSED_WARNING=false",
         "ANSIBLE_LOCAL_TEMP=/tmp/.ansible-tmp", "ANSIBLE_HOME=/tmp/.ansible"]}
JSON
out=build/image/kubeovn-egress-gateway-$version.oci.tar
digest=$(python3 containers/oci.py pack "$out" "$image" "$work/config.json" "$base" "$collection")
echo "image: $image $digest ($out, $((SECONDS - started)) s)" >&2
echo "$image"
