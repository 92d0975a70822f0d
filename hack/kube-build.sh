#!/usr/bin/env bash
# Build the Kubernetes binaries of the test harness from Debian bookworm's `kubernetes` source package,
# which carries the full upstream tree with vendor/: kube-apiserver and kube-controller-manager
# (tests/functional/support/kube.py), kubelet and kube-scheduler (the real node,
# tests/functional/support/node.py) and the pause binary of the pod sandbox image, compiled
# statically from the same tree's build/pause/linux/pause.c.
# The binaries are cached outside the clone, keyed by source version + patch + Go version:
#   $KUBEOVN_EGRESS_CACHE/kube/<key>/bin/{kube-apiserver,...,pause}
# Only missing binaries are built; a rerun with everything present is a no-op. The source is fetched with a private apt configuration
# (deb-src for bookworm only there), so the system's apt sources and lists are never changed.
# Prints the bin folder on its last line.
set -euo pipefail
here=$(dirname "$0")
# shellcheck source=hack/env.sh
source "$here/env.sh"

# bookworm's version; pinned so the cache key is known without asking the mirror.
source_version=${KUBE_SOURCE_VERSION:-1.20.5+really1.20.2-1.1+deb12u1}
reflect2_dir=/usr/share/gocode/src/github.com/modern-go/reflect2
# The binaries asked for (arguments; default: all of them). The apiserver harness asks only for its
# two, so it never waits for a kubelet build.
wanted=("$@")
[ ${#wanted[@]} -gt 0 ] || wanted=(kube-apiserver kube-controller-manager kubelet kube-scheduler pause)

# The patch: vendored modern-go/reflect2 v1.0.1 crashes the apiserver on the first custom-resource
# write under Go >= 1.18 (fatal error: fault in UnsafeMapType.UnsafeIterate); use Debian's v1.0.2.
patch_reflect2() {
  local tree=$1 vendored=$1/vendor/github.com/modern-go/reflect2
  find "$vendored" -maxdepth 1 -type f \( -name '*.go' -o -name '*.s' \) -delete
  find "$reflect2_dir" -maxdepth 1 -type f \( -name '*.go' -o -name '*.s' \) ! -name '*_test.go' \
    -exec cp {} "$vendored/" \;
  sed -i 's|github.com/modern-go/reflect2 v1.0.1|github.com/modern-go/reflect2 v1.0.2|g' "$tree/vendor/modules.txt"
  grep -q '^# github.com/modern-go/reflect2 v1.0.2' "$tree/vendor/modules.txt"
}

[ -d "$reflect2_dir" ] || { echo "kube-build: $reflect2_dir missing (run hack/install-system.sh)" >&2; exit 1; }
reflect2_version=$(dpkg-query -W -f='${Version}' golang-github-modern-go-reflect2-dev)
go_version=$(go env GOVERSION)
patch_sum=$( (declare -f patch_reflect2; echo "$reflect2_version") | sha256sum | cut -c1-12)
key=$(echo "${source_version}_${go_version}_reflect2-${patch_sum}" | tr -c 'A-Za-z0-9._\n-' '_')
cache=$KUBEOVN_EGRESS_CACHE/kube
out=$cache/$key
missing() {
  targets=() build_pause=false
  local binary
  for binary in "${wanted[@]}"; do
    if [ ! -x "$out/bin/$binary" ]; then
      if [ "$binary" = pause ]; then build_pause=true; else targets+=("cmd/$binary"); fi
    fi
  done
  [ ${#targets[@]} -gt 0 ] || $build_pause
}
if ! missing; then
  echo "kube: cached ($key)" >&2
  echo "$out/bin"
  exit 0
fi
mkdir -p "$cache"
# one build at a time per cache (parallel test runs share it); the second waits, then finds it cached
exec 9>"$cache/.build.lock"
flock 9
if ! missing; then
  echo "kube: cached ($key)" >&2
  echo "$out/bin"
  exit 0
fi

# Private apt state with a deb-src line for bookworm.
# shellcheck source=hack/debian-mirror.sh
source "$here/debian-mirror.sh"
private_apt "$KUBEOVN_EGRESS_CACHE/apt-bookworm-src" deb-src bookworm

# The downloaded source package is kept (34 MB) so a new patch or Go version does not refetch it.
sources=$cache/source-$(echo "$source_version" | tr -c 'A-Za-z0-9._\n-' '_')
if ! ls "$sources"/kubernetes_*.dsc >/dev/null 2>&1; then
  echo "kube: fetching kubernetes $source_version source (bookworm)" >&2
  mkdir -p "$sources.tmp"
  apt-get "${apt_opts[@]}" update -qq
  (cd "$sources.tmp" && apt-get "${apt_opts[@]}" source -qq --download-only "kubernetes=$source_version" >&2)
  mv "$sources.tmp" "$sources"
fi
work=$cache/build-$key
rm -rf "$work"
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
# --no-check: apt already verified the files against the signed Sources index.
dpkg-source -x --no-check "$sources"/kubernetes_*.dsc "$work/src" >/dev/null
patch_reflect2 "$work/src"

mkdir -p "$out/bin"
if [ ${#targets[@]} -gt 0 ]; then
  started=$SECONDS
  echo "kube: building ${targets[*]} (about 3 minutes per binary on 2 cores)" >&2
  (cd "$work/src" && GOPROXY=off GOTOOLCHAIN=local CGO_ENABLED=0 \
    nice make WHAT="${targets[*]}" >"$work/build.log" 2>&1) \
    || { tail -n 40 "$work/build.log" >&2; echo "kube-build: make failed" >&2; exit 1; }
  for target in "${targets[@]}"; do
    # copy then rename: a reader never sees a half-written binary
    cp "$work/src/_output/bin/${target#cmd/}" "$out/bin/.${target#cmd/}.tmp"
    mv "$out/bin/.${target#cmd/}.tmp" "$out/bin/${target#cmd/}"
  done
  echo "kube: built ${targets[*]} in $((SECONDS - started)) s" >&2
fi
if $build_pause; then
  # the flags of build/pause/Makefile (TAG 3.4 in this tree)
  gcc -Os -Wall -Werror -static -DVERSION=v3.4-debian -o "$out/bin/.pause.tmp" "$work/src/build/pause/linux/pause.c"
  strip "$out/bin/.pause.tmp"
  mv "$out/bin/.pause.tmp" "$out/bin/pause"
fi
"$out/bin/kube-apiserver" --version >&2
echo "$out/bin"
