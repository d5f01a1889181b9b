#!/bin/sh
# packages.sh PKG...: install the Debian packages that are missing.
# Runs apt-get update first only when an install fails for a stale list.
missing=
for p in "$@"; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "packages.sh: fatal: missing Debian packages:$missing (install them as root)" >&2
  exit 111
fi
echo "packages.sh: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# postfix (for smtp-source and smtp-sink) must not configure a running MTA
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections 2>/dev/null
apt-get install -y -q --no-install-recommends $missing >/tmp/quail-apt.log 2>&1 ||
  { apt-get update -q >/tmp/quail-apt.log 2>&1 && apt-get install -y -q --no-install-recommends $missing >>/tmp/quail-apt.log 2>&1; } ||
  { tail -20 /tmp/quail-apt.log >&2; echo "packages.sh: fatal: apt-get install$missing failed" >&2; exit 111; }
