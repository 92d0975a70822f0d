#!/usr/bin/env bash
# Put the collections we depend on into build/collections without Galaxy: they are taken from
# the PyPI `ansible` wheel (cached in the user's cache), and this collection is linked beside them.
set -euo pipefail
cd "$(dirname "$0")/.."
source hack/env.sh
ansible_version=12.3.0           # carries kubernetes.core 6.2.0
wanted=(kubernetes/core ansible/utils ansible/posix community/general)
cache=$KUBEOVN_EGRESS_CACHE/wheels
dest=build/collections/ansible_collections
stamp=$dest/.ansible-$ansible_version

mkdir -p "$dest/kubeovn"
# Our own collection: a link to this tree, so edits are live.
[ "$(readlink "$dest/kubeovn/egress_gateway")" = "$PWD" ] || ln -sfn "$PWD" "$dest/kubeovn/egress_gateway"
if [ -f "$stamp" ]; then
  echo "collections: up to date (ansible $ansible_version)"
  exit 0
fi
mkdir -p "$cache"
wheel=$(find "$cache" -maxdepth 1 -name "ansible-$ansible_version-*.whl" | head -n1)
if [ -z "$wheel" ]; then
  echo "collections: downloading the ansible $ansible_version wheel from PyPI"
  .venv/bin/pip download -q --no-deps "ansible==$ansible_version" -d "$cache" 2>&1 | grep -v "^WARNING: Location" || true
  wheel=$(find "$cache" -maxdepth 1 -name "ansible-$ansible_version-*.whl" | head -n1)
fi
.venv/bin/python - "$wheel" "$dest" "${wanted[@]}" <<'PY'
import sys, zipfile, shutil, pathlib
wheel, dest, wanted = sys.argv[1], pathlib.Path(sys.argv[2]), sys.argv[3:]
for name in wanted:
    shutil.rmtree(dest / name, ignore_errors=True)
with zipfile.ZipFile(wheel) as zf:
    prefixes = tuple(f"ansible_collections/{name}/" for name in wanted)
    members = [m for m in zf.namelist() if m.startswith(prefixes)]
    for m in members:
        target = dest / m[len("ansible_collections/"):]
        if m.endswith("/"):
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(zf.read(m))
print(f"collections: extracted {', '.join(w.replace('/', '.') for w in wanted)} ({len(members)} files)")
PY
touch "$stamp"
