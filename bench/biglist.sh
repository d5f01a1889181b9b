#!/bin/bash
# bench/biglist.sh: one post to a list of LIST_MEMBERS (100000) members at
# LIST_DOMAINS (100) domains, every domain routed to bench/sink.py on
# loopback, quail beside Postfix (issue 23, point 5):
#   quail    a list made by list-make, the members added by list-sub, one
#            post by sendmail to the list; list-post queues it once for
#            every member with a VERP sender (quail-list(5))
#   Postfix  one message by its sendmail to the same recipients (its own
#            instance: bench/postfix-instance.sh; it groups the recipients
#            of a domain, 50 to a transaction)
# For each: seconds from the post to an empty queue, the MTA's CPU (by
# cgroup: bench/lib.sh cg_*), and the transactions and connections the sink
# counted. POSTFIX=0, or no Postfix, measures quail alone.
# env: LIST_MEMBERS LIST_DOMAINS TIMEOUT (3600) SINK_PORT (2597) COOLDOWN (5)
#      MTAS ("quail postfix": which to measure) QUEUE_MANAGER (another
#      build's, to compare)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
. "$here/lib.sh"
members=${LIST_MEMBERS:-100000} domains=${LIST_DOMAINS:-100} limit=${TIMEOUT:-3600}
sport=${SINK_PORT:-2597}
pfi=$here/postfix-instance.sh
out=$(mktemp -d "${TMPDIR:-/tmp}/quail-biglist.XXXXXX")
chmod 755 "$out"
raw=$out/raw.txt
rcpts() { local i; for ((i = 0; i < members; i++)); do echo "m$i@d$((i % domains)).lt"; done; }
post() { printf 'From: test@quail.test\nTo: %s\nSubject: list bench\n\n' "$1"; head -c 2000 /dev/zero | tr '\0' x | fold -w 76; echo; }

postfix=0
if [ "${POSTFIX:-1}" = 1 ] && [ "$(id -u)" = 0 ] && [ -x /usr/sbin/postfix ] && id bench >/dev/null 2>&1; then
  PF_SINK=$sport "$pfi" setup >/dev/null && postfix=1
fi
names=quail; [ $postfix = 1 ] && names="quail postfix"
names=${MTAS:-$names}
[ $postfix = 1 ] || echo "bench: Postfix not measured (needs root and ../shared/bench/postfix-anchor.sh setup)" >&2

sinkpid=
sink_start() {
  rm -f "$out/sink.state"
  python3 "$here/sink.py" 127.0.0.1 "$sport" "$out/sink.state" accept > "$out/sink.log" 2>&1 & sinkpid=$!
  for _ in $(seq 100); do [ -s "$out/sink.state" ] && return; sleep 0.1; done
  die "bench/sink.py did not start: $(cat "$out/sink.log")"
}
sink_stop() { if [ -n "$sinkpid" ]; then kill "$sinkpid" 2>/dev/null || true; wait "$sinkpid" 2>/dev/null || true; fi; sinkpid=; }
sink() { sink_get "$out/sink.state" "$1"; }

# quail: the list and its members, as bench/list.sh makes them
inst=$out/quail
"$src/bin/mkinstance" "$inst" quail.test >/dev/null
printf ':127.0.0.1:%s\n' "$sport" > "$inst/control/smtproutes"
L=$inst/lists/bench
mkdir -p "$inst/lists"
QUAIL_HOME=$inst "$src/bin/list-make" -b "$src/bin" "$L" "$inst/mail/test/.qmail-bench" test-bench quail.test >/dev/null
rcpts | QUAIL_HOME=$inst "$src/bin/list-sub" "$L" add
echo test@quail.test | QUAIL_HOME=$inst "$src/bin/list-sub" "$L" add
qm=
qmbin=${QUEUE_MANAGER:-$src/bin/queue-manager}
quail_start() { cg_make quail; cg_run quail env QUAIL_HOME="$inst" "$qmbin" > "$inst/qm.log" 2>&1 & qm=$!; sleep 0.5; }
quail_stop() { if [ -n "$qm" ]; then kill "$qm" 2>/dev/null || true; wait "$qm" 2>/dev/null || true; fi; qm=; }
quail_post() { post test-bench@quail.test | QUAIL_HOME=$inst "$src/bin/sendmail" -f test@quail.test test-bench@quail.test; }
quail_qcount() { find "$inst/queue/mess" -type f -name '[0-9]*' ! -name '*.env' | wc -l; }
postfix_start() { cg_make postfix; "$pfi" purge; (cg_run postfix "$pfi" start >/dev/null); sleep 2; }
postfix_stop() { "$pfi" purge; "$pfi" stop >/dev/null 2>&1 || true; }
postfix_post() { # 100,000 arguments: above ARG_MAX (a quarter of the stack limit) unless the stack may grow
  post list@quail.test | (ulimit -s 262144; MAIL_CONFIG=/etc/postfix-qbench exec /usr/sbin/sendmail -f test@quail.test $(rcpts))
}
postfix_qcount() { "$pfi" qcount; }
trap 'exit 111' TERM INT HUP
trap 'sink_stop; quail_stop; [ $postfix = 1 ] && postfix_stop; cg_remove quail; cg_remove postfix' EXIT

for n in $names; do
  "${n}_start"
  sink_start
  settle
  c0=$(cg_cpu "$n"); t0=$(now); ok=1
  "${n}_post"
  t1=$(now)
  sleep 0.5
  while [ "$(sink accepted)" -lt "$members" ] || [ "$("${n}_qcount")" -gt 0 ]; do
    [ "$(calc "$(now) - $t0" 0)" -gt "$limit" ] && { ok=0; break; }
    sleep 0.2
  done
  echo "name=$n post_s=$(calc "$t1 - $t0" 2) done_s=$([ $ok = 1 ] && calc "$(now) - $t0" 1 || echo -)" \
    "mta_cpu_s=$(calc "$(cg_cpu "$n") - $c0" 2) accepted=$(sink accepted) transactions=$(sink messages)" \
    "connections=$(sink connections)" | tee -a "$raw" >&2
  sink_stop
  "${n}_stop"
done

get() { grep "^name=$1 " "$raw" | sed -n "s/.* $2=\([^ ]*\).*/\1/p" | head -1; }
echo
echo "| one post to $members members at $domains domains | quail | postfix | quail/postfix |"
echo "|---|---|---|---|"
for m in done_s mta_cpu_s transactions connections accepted; do
  q=$(get quail $m); q=${q:--}; p=-; ratio=-
  if [ $postfix = 1 ]; then
    p=$(get postfix $m); p=${p:--}
    case "$q$p" in *-*) ;; *) [ "$p" != 0 ] && ratio=$(calc "$q / $p" 2);; esac
  fi
  echo "| $m | $q | $p | $ratio |"
done
echo "(done_s: the post to an empty queue; quail: list-post's one queue entry, a VERP sender per member;"
echo " Postfix: one message, no VERP; one run each; raw lines in $raw)"
