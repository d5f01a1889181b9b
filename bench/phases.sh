#!/bin/bash
# bench/phases.sh [COUNT]: where one SMTP transaction's time goes, quail
# beside Postfix. bench/phases.c alternates COUNT (600) transactions of a
# 2 KB message between quail (a fresh instance whose smtpd its own run
# script starts, as bench/run.sh does) and Postfix's smtpd on 127.0.0.1:2526 (set up as
# ../shared/bench/postfix-anchor.sh does), and prints each one's median
# time per phase in microseconds: greeting, HELO, MAIL, RCPT, DATA's 354,
# the message's 250, QUIT, and the whole. With QUAIL_B=DIR it compares two
# quail builds instead (DIR/bin beside this checkout's bin), which is how
# changes of tens of microseconds were told apart (README.md).
set -eu -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
. "$here/lib.sh"
count=${1:-600}
case $count in *[!0-9]*|"") die "usage: bench/phases.sh [COUNT]";; esac
anchor=${POSTFIX_ANCHOR:-$src/../shared/bench/postfix-anchor.sh}
out=$(mktemp -d "${TMPDIR:-/tmp}/quail-phases.XXXXXX")
pids=
trap 'kill $pids 2>/dev/null; [ -n "${pf:-}" ] && "$anchor" stop >/dev/null 2>&1; rm -rf "$out"' EXIT
cc -O2 -o "$out/phases" "$here/phases.c" || die "unable to build bench/phases.c"
start() { # BIN PORT NAME: an instance of quail with programs from BIN,
  # its smtpd started by its own run script
  local bin=$1 port=$2 inst=$out/$3
  SMTP_PORT=$port "$bin/mkinstance" "$inst" quail.test >/dev/null
  QUAIL_HOME=$inst "$bin/queue-manager" > "$inst/qm.log" 2>&1 & pids="$pids $!"
  service_start "$inst" smtpd; pids="$pids $service"
}
postfix() { # start the anchor's Postfix, or say why not
  [ -x "$anchor" ] && [ -d /home/bench/Maildir ] || { echo "Postfix is not set up ($anchor setup)" >&2; return 1; }
  "$anchor" start >/dev/null 2>&1; pf=1; sleep 2
}
# quail's ports: PORT_A (2528) and PORT_B (2529), other ones when another
# benchmark on the machine holds those
pa=${PORT_A:-2528} pb=${PORT_B:-2529}
name() { sed "s/^port $pa/quail  /; s/^port $pb/quail-b/; s/^port 2526/postfix/"; }
start "$src/bin" "$pa" a
if [ -n "${QUAIL_B:-}" ]; then
  start "$QUAIL_B/bin" "$pb" b
  sleep 0.5
  "$out/phases" "$pa" "$pb" "$count" test@quail.test | name
else
  postfix || exit 111
  "$out/phases" "$pa" 2526 "$count" test@quail.test bench@quail.test | name
fi
