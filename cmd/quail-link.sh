#!/bin/sh
# quail-link down|up|status [LINK]: hold remote deliveries while a link
# (a dial-up line, a VPN) is down, and release them when it comes up.
#
#   down LINK   add LINK to HOME/control/linksdown: deliver-remote defers
#               every route on that link at once, without touching the network
#   up LINK     take LINK out of control/linksdown (the file goes when it is
#               empty) and write "flush" to HOME/queue/lock/trigger, so
#               queue-manager retries every deferred message now
#   status      print the links that are down, one a line
# LINK defaults to "default", the link of every route that names none
# (smtproutes' fourth field); "*" holds every link. HOME is QUAIL_HOME,
# else the directory above this script's when it holds control/, else
# /var/quail. Exit codes: 0 done, 100 usage, 111 the file or the trigger
# could not be written.
set -u
prog=quail-link
usage() { echo "$prog: usage: $prog down|up|status [LINK]" >&2; exit 100; }
die() { echo "$prog: fatal: $*" >&2; exit 111; }
[ $# -ge 1 ] && [ $# -le 2 ] || usage
cmd=$1 link=${2:-default}
case $link in ''|*[!A-Za-z0-9._*-]*) echo "$prog: fatal: bad link name: $link" >&2; exit 100;; esac
if [ -n "${QUAIL_HOME:-}" ]; then home=$QUAIL_HOME
else
  home=$(dirname "$(dirname "$(readlink -f "$0")")")
  [ -d "$home/control" ] || home=/var/quail
fi
file=$home/control/linksdown
[ -d "$home/control" ] || die "unable to find $home/control"

# the list without LINK, then with it when asked, written atomically
rewrite() { # ADD(0|1)
  tmp=$file.tmp.$$
  { if [ -f "$file" ]; then grep -vxF -- "$link" "$file" || :; fi
    if [ "$1" = 1 ]; then printf '%s\n' "$link"; fi; } > "$tmp" || { rm -f "$tmp"; die "unable to write $tmp"; }
  if [ -s "$tmp" ]; then mv -f "$tmp" "$file" || { rm -f "$tmp"; die "unable to replace $file"; }
  else rm -f "$tmp" "$file" || die "unable to remove $file"; fi
}

# "flush" into the trigger FIFO: opened read-write, so it never blocks
# when queue-manager is not running (it looks at everything when it starts)
flush() {
  trigger=$home/queue/lock/trigger
  [ -p "$trigger" ] || die "$trigger is not a FIFO"
  { printf 'flush\n' 1>&3; } 3<>"$trigger" || die "unable to write to $trigger"
}

case $cmd in
down) rewrite 1; echo "$prog: link $link is down: its remote deliveries wait" ;;
up) rewrite 0; flush; echo "$prog: link $link is up: queue-manager retries now" ;;
status) [ $# = 1 ] || usage; [ -f "$file" ] && cat "$file"; exit 0 ;;
*) usage ;;
esac
