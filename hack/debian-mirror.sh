# shellcheck shell=bash
# Sourced: debian_mirror prints the Debian mirror the machine already uses (deb822 or one-line
# format, the first that is not -security), so private apt configurations and mmdebstrap use it too.
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
