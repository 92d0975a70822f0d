#!/usr/bin/env bash
# Packaging check: build the collection tarball, check it holds only the collection, install it
# offline into a fresh collections path that already has kubernetes.core (no Galaxy is reachable
# here, and none may be needed), and run one of its playbooks by FQCN from there.
# Prints "packaging: ok ..." per passed check (hack/test.sh counts them).
set -euo pipefail
cd "$(dirname "$0")/.."
source hack/env.sh
repo=$PWD
playbook=${PACKAGING_PLAYBOOK:-kubeovn.egress_gateway.validate}

work=$(mktemp -d /tmp/kubeovn-eg-packaging.XXXXXX)
trap 'rm -rf "$work"' EXIT

version=$(.venv/bin/python -c 'import yaml; print(yaml.safe_load(open("galaxy.yml"))["version"])')
ansible-galaxy collection build --force --output-path "$work/dist" . >/dev/null
tarball=$work/dist/kubeovn-egress_gateway-$version.tar.gz
[ -f "$tarball" ]
echo "packaging: ok built $(basename "$tarball") ($(du -k "$tarball" | cut -f1) KiB)"

# Only the collection: none of the development tree, generated output or version control.
.venv/bin/python - "$tarball" <<'PY'
import sys, tarfile
names = tarfile.open(sys.argv[1]).getnames()
forbidden_tops = {".venv", "build", "hack", ".git", ".ci", "collections", ".pytest_cache", ".ansible",
                  "Makefile", "requirements.txt", "execution-environment.yml", "context"}
bad = sorted(n for n in names
             if n.split("/")[0] in forbidden_tops or n.startswith("tests/output")
             or "__pycache__" in n.split("/") or n.endswith((".pyc", ".tar.gz")))
required = {"MANIFEST.json", "FILES.json", "meta/runtime.yml", "README.md", "COPYING"}
missing = sorted(required - set(names))
if bad or missing:
    sys.exit(f"packaging: tarball content wrong: unwanted {bad[:20]} missing {missing}")
print(f"packaging: ok tarball holds only the collection ({len(names)} entries, "
      f"{sum(n.startswith('plugins/modules/') and n.endswith('.py') for n in names)} modules, "
      f"{sum(n.startswith('playbooks/') and n.endswith('.yml') for n in names)} playbooks)")
PY

# A collections path that has the dependencies but not this collection.
collections=$work/collections
mkdir -p "$collections/ansible_collections"
for dep in kubernetes/core ansible/utils ansible/posix community/general; do
  mkdir -p "$collections/ansible_collections/${dep%/*}"
  cp -a "build/collections/ansible_collections/$dep" "$collections/ansible_collections/$dep"
done
# An unreachable server: the install must not need one.
ANSIBLE_COLLECTIONS_PATH=$collections ANSIBLE_GALAXY_SERVER=http://127.0.0.1:9/ \
  ansible-galaxy collection install "$tarball" -p "$collections" 2>&1 | tee "$work/install.log"
grep -q "kubeovn.egress_gateway:$version was installed successfully" "$work/install.log"
[ ! -L "$collections/ansible_collections/kubeovn/egress_gateway" ]
echo "packaging: ok installed offline into a path with kubernetes.core already present"

# Run a playbook by FQCN from the installed copy only (cwd outside the repo, no repo paths).
cd "$work"
ANSIBLE_COLLECTIONS_PATH=$collections ANSIBLE_ROLES_PATH=$work/no-roles \
  ansible-playbook "$playbook" -e "egress_gateway_manifest_file=$repo/tests/functional/foundation/data/gateway2.yaml" \
  2>&1 | tee "$work/play.log"
grep -Eq 'ok=[1-9][0-9]* .*failed=0' "$work/play.log"
# the names derived by the installed filter match Kube-OVN's: VEG.<sha256("<ns>/<name>")[:12]>
grep -q "\"port_group\": \"VEG.$(printf default/gateway2 | sha256sum | cut -c1-12)\"" "$work/play.log"
# the only copy Ansible could have used: the one just installed
ANSIBLE_COLLECTIONS_PATH=$collections ansible-galaxy collection list kubeovn.egress_gateway >"$work/list.log" 2>&1
grep -q "^# $collections/ansible_collections" "$work/list.log"
echo "packaging: ok ran $playbook from the installed tarball"
