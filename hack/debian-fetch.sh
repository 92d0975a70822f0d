#!/usr/bin/env bash
# debian-fetch.sh SUITE DEST PKG...
# Download Debian packages of SUITE (e.g. bookworm, trixie) with a private apt configuration
# (the system's apt state is not touched) and unpack them into DEST/root. Nothing is installed.
# Reruns are a no-op while DEST/.packages lists the same packages.
set -euo pipefail
suite=$1 dest=$2; shift 2
packages=("$@")
stamp="$dest/.packages"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$suite ${packages[*]}" ]; then
  exit 0
fi

here=$(dirname "$0")
# shellcheck source=hack/env.sh
source "$here/env.sh"
# shellcheck source=hack/debian-mirror.sh
source "$here/debian-mirror.sh"
apt_state=$KUBEOVN_EGRESS_CACHE/apt-$suite
private_apt "$apt_state" deb "$suite"
mkdir -p "$dest/debs"
if [ -z "$(find "$apt_state/lists" -name '*_Packages*' -mmin -1440 2>/dev/null | head -n1)" ]; then
  apt-get "${apt_opts[@]}" update -qq
fi
rm -f "$dest"/debs/*.deb
(cd "$dest/debs" && apt-get "${apt_opts[@]}" download -qq "${packages[@]}")
rm -rf "$dest/root"
mkdir -p "$dest/root"
for deb in "$dest"/debs/*.deb; do
  dpkg-deb -x "$deb" "$dest/root"
done
echo "$suite ${packages[*]}" > "$stamp"
echo "debian-fetch: $suite: ${#packages[@]} packages unpacked into $dest/root"
