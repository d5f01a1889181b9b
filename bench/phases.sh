#!/bin/bash
# bench/phases.sh [COUNT]: where one SMTP transaction's time goes, quail
# beside Postfix. bench/phases.c alternates COUNT (600) transactions of a
# 2 KB message between quail (a fresh instance under tcpserver, as
# bench/run.sh makes it) and Postfix's smtpd on 127.0.0.1:2526 (set up as
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
start() { # BIN PORT NAME: an instance of quail with programs from BIN
  local inst=$out/$3
  SMTP_PORT=$2 "$1/mkinstance" "$inst" quail.test >/dev/null
  printf '127.:allow,RELAYCLIENT=""\n' | tcprules "$inst/control/tcp.bench.cdb" "$inst/control/tcp.bench.tmp"
  QUAIL_HOME=$inst "$1/queue-manager" > "$inst/qm.log" 2>&1 & pids="$pids $!"
  QUAIL_HOME=$inst tcpserver -R -H -l quail.test -x "$inst/control/tcp.bench.cdb" -c 100 -b 100 \
    127.0.0.1 "$2" "$1/smtpd" 2>/dev/null & pids="$pids $!"
}
start "$src/bin" 2528 a
if [ -n "${QUAIL_B:-}" ]; then
  start "$QUAIL_B/bin" 2529 b
  sleep 0.5
  "$out/phases" 2528 2529 "$count" test@quail.test | sed "s/^port 2528/quail  /; s/^port 2529/quail-b/"
else
  [ -x "$anchor" ] && [ -d /home/bench/Maildir ] || die "Postfix is not set up ($anchor setup)"
  "$anchor" start >/dev/null 2>&1; pf=1; sleep 2
  "$out/phases" 2528 2526 "$count" test@quail.test bench@quail.test | sed "s/^port 2528/quail  /; s/^port 2526/postfix/"
fi
