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

# shellcheck source=hack/debian-mirror.sh
source "$(dirname "$0")/debian-mirror.sh"
mirror=$(debian_mirror)

apt_state="${XDG_CACHE_HOME:-$HOME/.cache}/kubeovn-egress-gateway/apt-$suite"
mkdir -p "$apt_state/lists/partial" "$apt_state/archives/partial" "$dest/debs"
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $suite main" > "$apt_state/sources.list"
apt_opts=(
  -o "Dir::Etc::sourcelist=$apt_state/sources.list" -o "Dir::Etc::sourceparts=-"
  -o "Dir::State::Lists=$apt_state/lists" -o "Dir::Cache=$apt_state"
  -o "Dir::Cache::archives=$apt_state/archives" -o "APT::Sandbox::User=root"
  -o "Debug::NoLocking=1"
)
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
