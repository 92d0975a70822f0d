# shellcheck shell=bash
# Sourced: debian_mirror prints the Debian mirror the machine already uses (deb822 or one-line
# format, the first that is not -security), so private apt configurations and mmdebstrap use it too;
# private_apt sets up such a private apt configuration.
debian_mirror() {
  local mirror
  mirror=$(grep -hoE '^URIs:[[:space:]]*\S+' /etc/apt/sources.list.d/*.sources 2>/dev/null \
             | awk '{print $2}' | grep -v -- '-security' | head -n1 || true)
  if [ -z "$mirror" ]; then
    mirror=$(grep -hoE '^deb(-src)?[[:space:]]+\S+' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
               | awk '{print $2}' | grep -v -- '-security' | head -n1 || true)
  fi
  [ -n "$mirror" ] || { echo "no Debian mirror found in /etc/apt" >&2; return 1; }
  echo "$mirror"
}

# private_apt STATE TYPE SUITE: an apt configuration of its own in the folder STATE (its lists,
# archives and one sources.list line "TYPE <the machine's mirror> SUITE main", TYPE deb or deb-src),
# as apt-get options in the array apt_opts. The system's apt sources and state are never changed.
private_apt() {
  local state=$1 type=$2 suite=$3 mirror
  mirror=$(debian_mirror)
  mkdir -p "$state/lists/partial" "$state/archives/partial"
  echo "$type [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $suite main" > "$state/sources.list"
  # shellcheck disable=SC2034  # read by the script that sources this file
  apt_opts=(
    -o "Dir::Etc::sourcelist=$state/sources.list" -o "Dir::Etc::sourceparts=-"
    -o "Dir::State::Lists=$state/lists" -o "Dir::Cache=$state"
    -o "Dir::Cache::archives=$state/archives" -o "APT::Sandbox::User=root"
    -o "Debug::NoLocking=1"
  )
}
