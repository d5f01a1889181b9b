#!/bin/bash
# bench/phases.sh [COUNT]: where one SMTP transaction's time goes, quail
# beside Postfix. bench/phases.c alternates COUNT (600) transactions of a
# 2 KB message between quail (a fresh instance under quail-tcpserver, as
# bench/run.sh makes it) and Postfix's smtpd on 127.0.0.1:2526 (set up as
# ../shared/bench/postfix-anchor.sh does), and prints each one's median
# time per phase in microseconds: greeting, HELO, MAIL, RCPT, DATA's 354,
# the message's 250, QUIT, and the whole. With QUAIL_B=DIR it compares two
# quail builds instead (DIR/bin beside this checkout's bin), which is how
# changes of tens of microseconds were told apart (README.md).
# With LISTENER=1 it measures what ucspi-tcp's tcpserver, which forks per
# connection, costs against quail-tcpserver, which does not: quail under
# each, compared with each other, then Postfix against each when Postfix
# is set up.
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
start() { # BIN PORT NAME [LISTENER...]: an instance of quail with programs
  # from BIN, under LISTENER (BIN/quail-tcpserver when not given)
  local bin=$1 port=$2 inst=$out/$3
  shift 3
  [ $# -gt 0 ] || set -- "$bin/quail-tcpserver"
  set -- "$@" -R -H -c 100 -b 100
  SMTP_PORT=$port "$bin/mkinstance" "$inst" quail.test >/dev/null
  printf '127.:allow,RELAYCLIENT=""\n' | tcprules "$inst/control/tcp.bench.cdb" "$inst/control/tcp.bench.tmp"
  QUAIL_HOME=$inst "$bin/queue-manager" > "$inst/qm.log" 2>&1 & pids="$pids $!"
  QUAIL_HOME=$inst "$@" -l quail.test -x "$inst/control/tcp.bench.cdb" \
    127.0.0.1 "$port" "$bin/smtpd" 2>/dev/null & pids="$pids $!"
}
postfix() { # start the anchor's Postfix, or say why not
  [ -x "$anchor" ] && [ -d /home/bench/Maildir ] || { echo "Postfix is not set up ($anchor setup)" >&2; return 1; }
  "$anchor" start >/dev/null 2>&1; pf=1; sleep 2
}
name() { sed "s/^port 2528/quail  /; s/^port 2529/quail-b/; s/^port 2526/postfix/;
  s/^port 2532/tcpserver/; s/^port 2533/quail-tcpserver/"; }
if [ -n "${LISTENER:-}" ]; then
  start "$src/bin" 2532 ucspi tcpserver
  start "$src/bin" 2533 quail
  sleep 0.5
  "$out/phases" 2532 2533 "$count" test@quail.test | name
  if postfix; then
    "$out/phases" 2526 2533 "$count" bench@quail.test test@quail.test | name
    "$out/phases" 2526 2532 "$count" bench@quail.test test@quail.test | name
  fi
  exit 0
fi
start "$src/bin" 2528 a
if [ -n "${QUAIL_B:-}" ]; then
  start "$QUAIL_B/bin" 2529 b
  sleep 0.5
  "$out/phases" 2528 2529 "$count" test@quail.test | name
else
  postfix || exit 111
  "$out/phases" 2528 2526 "$count" test@quail.test bench@quail.test | name
fi
