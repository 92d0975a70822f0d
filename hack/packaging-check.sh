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

# What Galaxy and Automation Hub run on every upload: galaxy-importer on the built tarball, offline
# (an unreachable proxy). It must report no ERROR: metadata (galaxy.yml), ansible-doc of every
# module and filter, requires_ansible. Switched off here, and why:
# - run_ansible_test: it runs ansible-test sanity in a container (none here); the sanity stage runs
#   ansible-test sanity itself, with every test.
# - run_ansible_lint: the lint stage runs the same ansible-lint (production profile, offline) with
#   kubernetes.core on the path; galaxy-importer's own run lacks the dependencies (its warnings are
#   unresolvable kubernetes.core modules) and stops at a fixed 180 s, which a loaded 2-core machine
#   exceeds.
importer=$work/importer
mkdir -p "$importer/tmp"
cat >"$importer/galaxy-importer.cfg" <<EOF
[galaxy-importer]
run_ansible_test = False
run_ansible_lint = False
ansible_local_tmp = $importer/tmp
EOF
(cd "$importer" && GALAXY_IMPORTER_CONFIG=$importer/galaxy-importer.cfg http_proxy=http://127.0.0.1:9 \
  https_proxy=http://127.0.0.1:9 "$repo/.venv/bin/python" -m galaxy_importer.main "$tarball") >"$importer/log" 2>&1 \
  || { cat "$importer/log"; echo "packaging: galaxy-importer failed" >&2; exit 1; }
if grep -Eq '^(ERROR|CRITICAL)' "$importer/log" || ! grep -q 'Importer processing completed successfully' "$importer/log"; then
  grep -E '^(ERROR|CRITICAL|WARNING)' "$importer/log" >&2
  echo "packaging: galaxy-importer reported errors on $(basename "$tarball")" >&2
  exit 1
fi
.venv/bin/python - "$importer/importer_result.json" "$importer/log" <<'PY'
import json, pathlib, sys
result = json.load(open(sys.argv[1]))
docs = {(c["content_type"], c["content_name"]): c for c in result["docs_blob"]["contents"]}
plugins = [key for key in docs if key[0] in ("module", "filter")]
# the filter files themselves (plugins/filter/*.py) are listed too, without documentation of their own
filter_files = {("filter", path.stem) for path in pathlib.Path("plugins/filter").glob("*.py")}
documented = {key for key in plugins if docs[key].get("doc_strings")}
undocumented = sorted(f"{t} {n}" for t, n in set(plugins) - documented - filter_files)
public = sorted(n for t, n in documented if t == "filter"
                and not docs[(t, n)]["doc_strings"]["doc"]["short_description"].startswith("Private:"))
if undocumented or public != ["veg_kube_ovn_version_error", "veg_names", "veg_rows", "veg_spec"]:
    sys.exit(f"packaging: galaxy-importer docs wrong: undocumented {undocumented}, public filters {public}")
warnings = sum(line.startswith("WARNING") for line in open(sys.argv[2]))
print(f"packaging: ok galaxy-importer passed with no error ({sum(t == 'module' for t, _ in documented)} modules "
      f"and {sum(t == 'filter' for t, _ in documented)} filters documented, public filters {', '.join(public)}; "
      f"requires_ansible {result['requires_ansible']}; {warnings} warning(s))")
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
  ansible-playbook "$playbook" -e "egress_gateway_manifest_file=$repo/tests/functional/support/data/gateway2.yaml" \
  2>&1 | tee "$work/play.log"
grep -Eq 'ok=[1-9][0-9]* .*failed=0' "$work/play.log"
# the names derived by the installed filter match Kube-OVN's: VEG.<sha256("<ns>/<name>")[:12]>
grep -q "valid: default/gateway2 → VEG.$(printf default/gateway2 | sha256sum | cut -c1-12), Deployment gateway2" "$work/play.log"
# the only copy Ansible could have used: the one just installed
ANSIBLE_COLLECTIONS_PATH=$collections ansible-galaxy collection list kubeovn.egress_gateway >"$work/list.log" 2>&1
grep -q "^# $collections/ansible_collections" "$work/list.log"
echo "packaging: ok ran $playbook from the installed tarball"
