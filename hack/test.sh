#!/usr/bin/env bash
# Every test suite of the collection, in order, then a summary with counts and times.
#
#   bash hack/test.sh                    all stages (what `make test` runs after `make install`)
#   bash hack/test.sh sanity units       only the named stages, in the order given
#
# Stages: changelog sanity units pytest lint molecule packaging
# A stage fails when its tool fails or when it ran no tests at all. All requested stages run
# (so one run shows every failure); the exit status is non-zero when any failed.
# Narrowing a stage while developing (the full run takes no arguments):
#   SANITY_ARGS="--test validate-modules"  PYTEST_ARGS="tests/functional/nb -x"
#   MOLECULE_ROLES="gateway_agent"
# Logs of each stage: build/test-logs/<run>/<stage>.log (build/test-logs/latest: the newest run)
# the stage_* functions are called by name ("stage_$s"), which shellcheck cannot see:
# shellcheck disable=SC2317
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
source hack/env.sh
export NO_COLOR=1 ANSIBLE_FORCE_COLOR=0 PY_COLORS=0
repo=$PWD
# One log folder per run (several runs may share a checkout at the same time); build/test-logs/latest
# is the newest. Folders older than two days are removed.
mkdir -p build/test-logs
find build/test-logs -mindepth 1 -maxdepth 1 -type d -mtime +2 -exec rm -rf {} +
logs=$repo/build/test-logs/$(date -u +%Y%m%dT%H%M%S)-$$
mkdir -p "$logs"
ln -sfn "$(basename "$logs")" build/test-logs/latest

# ansible-test runs on the venv's Python (3.11 on Debian 12, 3.13 on Debian 13)
python_version=$(.venv/bin/python -c 'import sys; print("%d.%d" % sys.version_info[:2])')
all_stages=(changelog sanity units pytest lint molecule packaging)
# The copy ansible-test works in (it resolves symlinks, so build/collections' link does not do).
test_root=$repo/build/ansible_collections/kubeovn/egress_gateway

stage_header() { printf '\n======== %s ========\n' "$*"; }

# Noise of pip inside ansible-test's virtualenvs; everything else is shown.
pip_noise='^(WARNING: Location|Looking in (indexes|links)|Collecting |  Downloading |  Using cached |Installing collected|Successfully installed|  Attempting uninstall|    Found existing|    Uninstalling|      Successfully uninstalled|Requirement already| *━|Processing /)'

# Copy the files git would list (tracked plus untracked-not-ignored, i.e. no .venv, build,
# tests/output) into the ansible_collections/<ns>/<name> tree ansible-test insists on, as a git
# repo of its own so ansible-test lists the same files. Serialised with a lock: other runs
# of single stages of this script may work in the same tree at the same time.
sync_test_root() {
  mkdir -p "$test_root"
  # keep tests/output (ansible-test's caches); replace everything else
  find "$test_root" -mindepth 1 -maxdepth 1 ! -name tests -exec rm -rf {} +
  find "$test_root/tests" -mindepth 1 -maxdepth 1 ! -name output -exec rm -rf {} + 2>/dev/null || true
  git ls-files -z --cached --others --exclude-standard \
    | rsync -a --from0 --files-from=- --ignore-missing-args ./ "$test_root/"
  git -C "$test_root" init -q
  # The collections we depend on, beside ours: ansible-test finds them there (import test,
  # validate-modules, units), not on ANSIBLE_COLLECTIONS_PATH.
  local dep
  for dep in kubernetes/core ansible/utils ansible/posix community/general; do
    mkdir -p "$repo/build/ansible_collections/$dep"
    rsync -a --delete "build/collections/ansible_collections/$dep/" "$repo/build/ansible_collections/$dep/"
  done
}

# ansible-test's pip bootstrap downloads get-pip.py from a host that is unreachable here; our
# stand-in does the same with ensurepip + PyPI (see hack/ansible-test-get-pip.py).
install_get_pip_standin() {
  local version
  version=$(.venv/bin/python - <<'PY'
import inspect, re, ansible_test._internal.python_requirements as pr
print(re.search(r"pip='([0-9.]+)'", inspect.getsource(pr.get_venv_packages)).group(1))
PY
)
  mkdir -p ~/.ansible/test/cache
  cmp -s hack/ansible-test-get-pip.py ~/.ansible/test/cache/"get_pip_${version//./_}.py" \
    || cp hack/ansible-test-get-pip.py ~/.ansible/test/cache/"get_pip_${version//./_}.py"
}

# Each stage_<name> runs its suite, prints its output and sets $count (tests run) and $detail.
stage_changelog() {
  antsibull-changelog lint 2>&1 | tee "$logs/changelog.log" || return 1
  count=$(find changelogs/fragments -name '*.yml' -o -name '*.yaml' | wc -l)
  count=$((count + 1))   # changelogs/changelog.yaml itself
  detail="$count files linted (changelog.yaml + fragments)"
}

# ansible-test <command> in the collection tree it insists on, serialised with other runs;
# the output (without pip's noise) is shown and kept in $logs/<stage>.log.
run_ansible_test() {
  local stage=$1 status
  shift
  (
    flock 9
    sync_test_root
    install_get_pip_standin
    cd "$test_root" || exit 1
    ansible-test "$@" --venv --python "$python_version" --color no 2>&1
  ) 9>"$repo/build/ansible_collections.lock" > "$logs/$stage.log"
  status=$?
  grep -Ev "$pip_noise" "$logs/$stage.log"
  return "$status"
}

stage_sanity() {
  local status
  # shellcheck disable=SC2086
  run_ansible_test sanity sanity ${SANITY_ARGS:-}
  status=$?
  count=$(grep -c '^Running sanity test' "$logs/sanity.log")
  detail="$count sanity tests"
  # "every test": a test skipped for a missing program is a failure of the setup
  if grep -q 'Required program .* not found' "$logs/sanity.log"; then
    echo "sanity: a test was skipped because a program is missing (add it to hack/install-system.sh)"
    return 1
  fi
  return "$status"
}

stage_units() {
  local status
  run_ansible_test units units
  status=$?
  # one pytest run per plugin type (module_utils, controller, modules...): add up their summaries
  count=$(grep -E '^=+ .* in [0-9.]+s' "$logs/units.log" | grep -Eo '[0-9]+ passed' \
            | awk '{n += $1} END {print n + 0}')
  detail="$count passed"
  return "$status"
}

stage_pytest() {
  local status xml=$logs/pytest.xml
  # shellcheck disable=SC2086
  .venv/bin/python -m pytest -p no:cacheprovider --junitxml="$xml" -o junit_family=xunit2 \
    ${PYTEST_ARGS:-tests/unit tests/functional} 2>&1 | tee "$logs/pytest.log"
  status=${PIPESTATUS[0]}
  read -r count detail < <(.venv/bin/python - "$xml" <<'PY'
import sys, xml.etree.ElementTree as ET
try:
    root = ET.parse(sys.argv[1]).getroot()
except (OSError, ET.ParseError):
    print(0, "no junit report"); sys.exit()
suites = [root] if root.tag == "testsuite" else list(root)
n = {k: sum(int(s.get(k, 0)) for s in suites) for k in ("tests", "failures", "errors", "skipped")}
passed = n["tests"] - n["failures"] - n["errors"] - n["skipped"]
print(passed, f"{passed} passed, {n['failures']} failed, {n['errors']} errors, {n['skipped']} skipped")
PY
)
  return "$status"
}

stage_lint() {
  local status
  ansible-lint --nocolor --profile production 2>&1 | tee "$logs/lint.log"
  status=${PIPESTATUS[0]}
  count=$(grep -Eo 'in [0-9]+ files processed' "$logs/lint.log" | grep -Eo '[0-9]+' | tail -n1)
  count=${count:-0}
  detail="$count files linted (production profile)"
  return "$status"
}

stage_molecule() {
  local scenario_file role scenario ephemeral status=0 failed=()
  count=0
  for scenario_file in roles/*/molecule/*/molecule.yml; do
    [ -f "$scenario_file" ] || continue
    role=$(cut -d/ -f2 <<<"$scenario_file")
    scenario=$(cut -d/ -f4 <<<"$scenario_file")
    if [ -n "${MOLECULE_ROLES:-}" ] && ! grep -qw "$role" <<<"$MOLECULE_ROLES"; then
      continue
    fi
    echo "--- molecule: role $role, scenario $scenario"
    # molecule names its working folder after the role folder's name only: a private one, so
    # runs testing the same role at the same time do not share (and destroy) instances.
    ephemeral=$(mktemp -d "/tmp/molecule-$role-$scenario.XXXXXX")
    if (cd "roles/$role" && MOLECULE_EPHEMERAL_DIRECTORY=$ephemeral \
          molecule -c "$repo/.config/molecule/config.yml" test -s "$scenario") \
         >"$logs/molecule-$role-$scenario.log" 2>&1; then
      # molecule's closing report: one line per action of the sequence
      sed 's/\x1b\[[0-9;]*m//g' "$logs/molecule-$role-$scenario.log" \
        | grep -E "^$scenario > [a-z_]+: |Molecule executed"
      count=$((count + 1))
    else
      cat "$logs/molecule-$role-$scenario.log"
      failed+=("$role/$scenario")
      status=1
    fi
    rm -rf "$ephemeral"
  done
  detail="$count scenarios passed${failed:+, failed: ${failed[*]}}"
  return "$status"
}

stage_packaging() {
  local status
  bash hack/packaging-check.sh 2>&1 | tee "$logs/packaging.log"
  status=${PIPESTATUS[0]}
  count=$(grep -c '^packaging: ok' "$logs/packaging.log")
  detail="$count checks"
  return "$status"
}

stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=("${all_stages[@]}")
for s in "${stages[@]}"; do
  [[ " ${all_stages[*]} " == *" $s "* ]] || { echo "unknown stage '$s' (stages: ${all_stages[*]})" >&2; exit 2; }
done

summary=() overall=0 t_all=$SECONDS
for s in "${stages[@]}"; do
  stage_header "$s"
  count=0 detail="" t0=$SECONDS
  "stage_$s"
  status=$?
  if [ $status -eq 0 ] && [ "${count:-0}" -le 0 ]; then
    echo "$s: ran no tests"
    status=1
  fi
  result=PASS
  [ $status -eq 0 ] || { result=FAIL; overall=1; }
  summary+=("$(printf '%-10s %s %5ss  %s' "$s" "$result" $((SECONDS - t0)) "$detail")")
done

stage_header "summary ($((SECONDS - t_all))s)"
printf '%s\n' "${summary[@]}"
exit $overall
