#!/bin/sh
# packages.sh PKG...: install the Debian packages that are missing.
# packages.sh --missing PKG...: print the missing ones on one line, install nothing.
# Runs apt-get update first only when an install fails for a stale list.
list=
[ "$1" = --missing ] && { list=1; shift; }
command -v dpkg-query >/dev/null || exit 0
# one dpkg-query for all of them (names with :arch are asked as given)
installed=" $(dpkg-query -W -f='${Package}:${Status}\n' "$@" 2>/dev/null |
  sed -n 's/:install ok installed$//p' | tr '\n' ' ')"
missing=
for p in "$@"; do
  case "$installed" in *" $p "*) ;; *) missing="$missing $p";; esac
done
[ -n "$list" ] && { [ -n "$missing" ] && echo "$missing"; exit 0; }
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
