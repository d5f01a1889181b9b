#!/bin/bash
# bench/remote.sh: remote delivery into Postfix's smtp-sink on loopback,
# quail beside Postfix in the same run, interleaved, medians of RUNS.
#   fanout: one message to RCPTS (1000) recipients across DOMAINS (10) domains
#   burst:  COUNT (1000) messages, one recipient each, all of one domain
# Each is injected with the MTA's own sendmail; the figure is the seconds
# from the first injection until smtp-sink has seen every recipient (the
# queue is then empty), with the SMTP transactions the sink counted.
# quail: a fresh instance whose control/smtproutes sends every domain to
# the sink on 127.0.0.1:2599. Postfix: measured when set up by
# ../shared/bench/postfix-anchor.sh (its default_transport is the same
# sink); POSTFIX=0 skips it. Needs smtp-sink (apt-get install postfix).
# env: RUNS (3) RCPTS (1000) DOMAINS (10) COUNT (1000) SIZE (1024)
#      COOLDOWN (5) TIMEOUT (600)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
. "$here/lib.sh"
runs=${RUNS:-3} rcpts=${RCPTS:-1000} domains=${DOMAINS:-10} count=${COUNT:-1000} size=${SIZE:-1024}
limit=${TIMEOUT:-600}
anchor=${POSTFIX_ANCHOR:-$src/../shared/bench/postfix-anchor.sh}
sink=/usr/sbin/smtp-sink sinkport=2599
[ -x "$sink" ] || die "smtp-sink is missing (apt-get install postfix)"
out=$(mktemp -d /tmp/quail-bench-remote.XXXXXX)
chmod 755 "$out"
raw=$out/raw.txt
msg=$out/msg
message bench@quail.test "fanout@sink.test" "$size" > "$msg"

inst=$out/quail
"$src/bin/mkinstance" "$inst" quail.test >/dev/null
printf ':127.0.0.1:%s\n' "$sinkport" > "$inst/control/smtproutes"
quail_start() { QUAIL_HOME=$inst "$src/bin/queue-manager" >> "$inst/qm.log" 2>&1 & qm=$!; sleep 0.2; }
quail_stop() { kill "$qm"; wait "$qm" 2>/dev/null || true; }
quail_sendmail() { QUAIL_HOME=$inst "$src/bin/sendmail" "$@"; }

postfix=0
if [ "${POSTFIX:-1}" = 1 ] && [ -x /usr/sbin/postfix ] && [ -d /home/bench/Maildir ] && [ -x "$anchor" ]; then
  postfix=1
fi

sinkpid=
sink_start() {
  rm -rf "$out/sink"; mkdir -m 777 "$out/sink"
  "$sink" -u nobody -D "$out/sink/dump" "127.0.0.1:$sinkport" 512 & sinkpid=$!
  for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$sinkport") 2>/dev/null && return; sleep 0.1; done
  die "smtp-sink did not start on 127.0.0.1:$sinkport"
}
sink_stop() { kill "$sinkpid" 2>/dev/null; wait "$sinkpid" 2>/dev/null || true; }
trap 'sink_stop; [ -n "${qm:-}" ] && kill "$qm" 2>/dev/null; true' EXIT
seen() { local n; n=$(grep -c '^X-Rcpt-Args:' "$out/sink/dump" 2>/dev/null); echo "${n:-0}"; }

# inject KIND with SENDMAIL, then wait for the sink: one key=value line
measure() { # KIND SENDMAIL
  local kind=$1 sm=$2 want t0 t1 t2 c0 c1 n i
  sink_start
  settle
  c0=$(cpu_busy); t0=$(now)
  if [ "$kind" = fanout ]; then
    want=$rcpts
    "$sm" -f bench@quail.test $(for ((i = 0; i < rcpts; i++)); do echo "r$i@d$((i % domains)).sink.test"; done) < "$msg"
  else
    want=$count
    for ((i = 0; i < count; i++)); do "$sm" -f bench@quail.test "r$i@sink.test" < "$msg"; done
  fi
  t1=$(now)
  n=0
  while [ "$n" -lt "$want" ]; do
    expired "$t0" "$limit" && break
    sleep 0.02
    n=$(seen)
  done
  t2=$(now); c1=$(cpu_busy)
  sleep 0.5
  echo "inject_s=$(calc "$t1 - $t0" 3) done_s=$([ "$n" -ge "$want" ] && calc "$t2 - $t0" 3 || echo -)" \
       "rcpts_seen=$(seen) transactions=$(grep -c '^X-Mail-Args:' "$out/sink/dump" || true) cpu_s=$(calc "$c1 - $c0" 2)"
  sink_stop
}
expired() { [ "$(calc "$(now) - $1" 0)" -gt "$2" ]; }

one() { # NAME KIND
  local line
  case $1 in
  quail) quail_start; line=$(measure "$2" quail_sendmail); quail_stop ;;
  postfix) "$anchor" start >/dev/null 2>&1; sleep 2
           line=$(measure "$2" /usr/sbin/sendmail); "$anchor" stop >/dev/null 2>&1 ;;
  esac
  echo "name=$1 kind=$2 run=$r $line" | tee -a "$raw" >&2
}
names=quail; [ $postfix = 1 ] && names="quail postfix"
[ $postfix = 1 ] || echo "bench: Postfix not set up (run $anchor setup as root): quail alone" >&2
for r in $(seq "$runs"); do
  for kind in fanout burst; do
    if [ $((r % 2)) = 1 ]; then for n in $names; do one "$n" "$kind"; done
    else for n in $(echo $names | tr ' ' '\n' | tac); do one "$n" "$kind"; done; fi
  done
done

pick() { grep "name=$1 kind=$2 " "$raw" | sed -n "s/.* $3=\([^ ]*\).*/\1/p" | median; }
echo
echo "| remote delivery into smtp-sink | quail | postfix | postfix/quail |"
echo "|---|---|---|---|"
for kind in fanout burst; do
  for m in done_s transactions cpu_s; do
    q=$(pick quail $kind $m); p=-; ratio=-
    if [ $postfix = 1 ]; then p=$(pick postfix $kind $m); case "$q$p" in *-*) ;; *) [ "$q" != 0 ] && ratio=$(calc "$p / $q" 2);; esac; fi
    echo "| $kind $m | $q | $p | $ratio |"
  done
done
echo "(fanout: 1 message, $rcpts recipients, $domains domains; burst: $count messages to one domain;"
echo " medians of $runs runs; raw lines in $raw)"
