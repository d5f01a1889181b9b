#!/bin/bash
# bench/backlog.sh: a deferred backlog and its drain, quail beside Postfix
# (issue 23, points 1 and 2). One MTA at a time, each through:
#   accept0  SMTP_COUNT (2000) local messages by smtp-source at SESSIONS (10),
#            an empty queue: accepted per s
#   fill     BACKLOG (100000) messages for r@backlog.test by smtp-source
#            (FILL_SESSIONS, 20); the only route to backlog.test is
#            bench/sink.py answering 451 to every RCPT: the first attempt
#            of each ends deferred. Seconds until every one was tried.
#   idle     IDLE (30) s with nothing due: the scheduler's RSS (quail's
#            queue-manager, Postfix's qmgr), all the MTA's processes' PSS,
#            CPU
#   accept1  accept0 again with the backlog queued; the ratio to accept0
#            must stay >= 0.90
#   retry    every deferred message retried now (quail: ALRM; Postfix:
#            postqueue -f): the CPU of the whole wave per message, and the
#            connections it opened at the sink
#   restart  kill -9 of the scheduler (quail: queue-manager; Postfix: the
#            master, its children follow), a restart, and at once a local
#            message by sendmail: seconds until it is in the Maildir
#   drain    the sink answers 250 and offers STARTTLS; flush; seconds until
#            the queue is empty; connections, TLS handshakes and resumed
#            ones at the sink
# CPU is the MTA's own (a cpuacct cgroup its processes run in, bench/lib.sh
# cg_*), so the other load of a shared machine does not count; rates are
# not so protected. quail: a fresh instance (mkinstance) with its shipped
# defaults, queue-manager and smtpd (its run script) started as runsv would,
# control/smtproutes backlog.test:127.0.0.1:SINK_PORT. Postfix: its own
# instance (bench/postfix-instance.sh: the anchor's main.cf, smtpd on
# 127.0.0.1:2536, every remote domain to the sink, TLS "may" with a session
# cache); POSTFIX=0, or no Postfix, measures quail alone. Needs smtp-source
# (package postfix), python3 and openssl.
# env: BACKLOG SMTP_COUNT SESSIONS FILL_SESSIONS IDLE TIMEOUT (3600)
#      SINK_PORT (2597) COOLDOWN (5) TMPDIR
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
. "$here/lib.sh"
backlog=${BACKLOG:-100000} acount=${SMTP_COUNT:-2000} sess=${SESSIONS:-10}
fsess=${FILL_SESSIONS:-20} idle=${IDLE:-30} limit=${TIMEOUT:-3600}
sport=${SINK_PORT:-2597} qport=${QUAIL_SMTP_PORT:-2528} pport=2536
size=2048
pfi=$here/postfix-instance.sh
smtp_source=/usr/sbin/smtp-source
[ -x "$smtp_source" ] || die "smtp-source is missing (apt-get install postfix)"
out=$(mktemp -d "${TMPDIR:-/tmp}/quail-backlog.XXXXXX")
chmod 755 "$out"
raw=$out/raw.txt
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=backlog.test -days 2 \
  -keyout "$out/sink.key" -out "$out/sink.crt" 2>/dev/null || die "openssl req failed"

postfix=0
if [ "${POSTFIX:-1}" = 1 ] && [ "$(id -u)" = 0 ] && [ -x /usr/sbin/postfix ] && id bench >/dev/null 2>&1; then
  PF_PORT=$pport PF_SINK=$sport "$pfi" setup >/dev/null && postfix=1
fi
names=quail; [ $postfix = 1 ] && names="quail postfix"
[ $postfix = 1 ] || echo "bench: Postfix not measured (needs root and ../shared/bench/postfix-anchor.sh setup)" >&2

sinkpid=
sink_start() { # MODE: defer, or accept with STARTTLS
  sink_stop
  rm -f "$out/sink.state"
  python3 "$here/sink.py" 127.0.0.1 "$sport" "$out/sink.state" "$1" \
    $([ "$1" = accept ] && echo "$out/sink.crt $out/sink.key") > "$out/sink.log" 2>&1 & sinkpid=$!
  for _ in $(seq 100); do [ -s "$out/sink.state" ] && return; sleep 0.1; done
  die "bench/sink.py did not start: $(cat "$out/sink.log")"
}
sink_stop() { if [ -n "$sinkpid" ]; then kill "$sinkpid" 2>/dev/null || true; wait "$sinkpid" 2>/dev/null || true; fi; sinkpid=; }
sink() { sink_get "$out/sink.state" "$1"; }
wait_sink() { # COUNTER N: until the sink's COUNTER reaches N; 0, or 1 at TIMEOUT
  local t0; t0=$(now)
  while [ "$(sink "$1")" -lt "$2" ]; do
    [ "$(calc "$(now) - $t0" 0)" -gt "$limit" ] && return 1
    sleep 0.2
  done
}

# ---- quail ----
inst=$out/quail
SMTP_PORT=$qport "$src/bin/mkinstance" "$inst" quail.test >/dev/null
echo backlog.test >> "$inst/control/rcpthosts"
printf 'backlog.test:127.0.0.1:%s\n' "$sport" > "$inst/control/smtproutes"
QMD=$inst/mail/test/Maildir
qm= tcp=
quail_qm() { cg_run quail env QUAIL_HOME="$inst" "$src/bin/queue-manager" >> "$inst/qm.log" 2>&1 & qm=$!; }
quail_start() { # as runsv would: service/smtpd/run (tcpserver), in the cgroup
  local i=0
  cg_make quail
  quail_qm
  cg_run quail sh "$inst/service/smtpd/run" > "$inst/smtpd.log" 2>&1 & tcp=$!
  until grep -q 'status: 0/' "$inst/smtpd.log" 2>/dev/null; do
    i=$((i + 1)); [ $i -le 300 ] || die "service/smtpd/run did not start: $(cat "$inst/smtpd.log")"
    sleep 0.1
  done
}
quail_stop() { # (also the exit trap, under set -e: nothing here may fail)
  if [ -n "$qm" ]; then kill "$qm" 2>/dev/null || true; wait "$qm" 2>/dev/null || true; fi
  if [ -n "$tcp" ]; then kill "$tcp" 2>/dev/null || true; wait "$tcp" 2>/dev/null || true; fi
  qm= tcp=
}
quail_qcount() { find "$inst/queue/mess" -type f -name '[0-9]*' ! -name '*.env' | wc -l; }
quail_flush() { kill -ALRM "$qm"; }
quail_kill() { kill -9 "$qm"; wait "$qm" 2>/dev/null || true; sleep 0.5; }
quail_restart() { quail_qm; }
quail_sched_pid() { echo "$qm"; }
quail_sendmail() { QUAIL_HOME=$inst "$src/bin/sendmail" -f bench@quail.test test@quail.test; }
quail_target=127.0.0.1:$qport quail_md=$QMD quail_rcpt=test@quail.test

# ---- Postfix ----
PMD=/home/bench/Maildir-qbench
postfix_start() { cg_make postfix; "$pfi" purge; (cg_run postfix "$pfi" start >/dev/null); sleep 2; }
postfix_stop() { "$pfi" purge; "$pfi" stop >/dev/null 2>&1 || true; }
postfix_qcount() { "$pfi" qcount; }
postfix_flush() { "$pfi" flush; }
postfix_kill() { # the master; its children see it gone and end
  local i
  "$pfi" kill
  for i in $(seq 100); do [ -z "$(cat "$(cg_dir postfix)/cgroup.procs" 2>/dev/null)" ] && break; sleep 0.1; done
}
postfix_restart() { cg_run postfix "$pfi" start >/dev/null 2>&1 & }
postfix_sched_pid() { "$pfi" qmgr-pid; }
postfix_sendmail() { MAIL_CONFIG=/etc/postfix-qbench /usr/sbin/sendmail -f bench@quail.test qbench@quail.test; }
postfix_target=127.0.0.1:$pport postfix_md=$PMD postfix_rcpt=qbench@quail.test
[ $postfix = 1 ] && mkdir -p "$PMD/new" "$PMD/cur" "$PMD/tmp" && chown -R bench "$PMD"

trap 'exit 111' TERM INT HUP
trap 'sink_stop; quail_stop; [ $postfix = 1 ] && postfix_stop; cg_remove quail; cg_remove postfix' EXIT

record() { echo "name=$n $*" | tee -a "$raw" >&2; }
accept() { # PHASE: smtp-source's acceptance of local mail, and the MTA's CPU per message
  local c0 line t="${n}_target" md="${n}_md" rc="${n}_rcpt"
  c0=$(cg_cpu "$n")
  line=$("$here/smtp.sh" "${!t}" "${!md}" bench@quail.test "${!rc}" "$sess" "$acount" "$size")
  record "phase=$1 $(echo "$line" | grep -o 'accept_per_s=[^ ]*') mta_cpu_ms_per_msg=$(calc "($(cg_cpu "$n") - $c0) * 1000 / $acount" 2)"
}
fill() { # inject the backlog and wait for its first attempts
  local t="${n}_target" t0 c0 ok=1
  c0=$(cg_cpu "$n"); t0=$(now)
  "$smtp_source" -s "$fsess" -m "$backlog" -l 1024 -f bench@quail.test -t r@backlog.test "${!t}" \
    || die "smtp-source (fill) failed"
  wait_sink rcpts "$backlog" || ok=0
  record "phase=fill inject_and_first_try_s=$([ $ok = 1 ] && calc "$(now) - $t0" 1 || echo -)" \
    "queued=$("${n}_qcount") mta_cpu_s=$(calc "$(cg_cpu "$n") - $c0" 2) connections=$(sink connections) rcpts=$(sink rcpts)"
}
idle_phase() {
  local c0 pid
  sleep 5                      # the last results of the first tries
  c0=$(cg_cpu "$n")
  sleep "$idle"
  pid=$("${n}_sched_pid")
  record "phase=idle sched_rss_kb=$(rss_kb "$pid") sched_hwm_kb=$(hwm_kb "$pid") mta_pss_kb=$(cg_rss "$n")" \
    "idle_cpu_ms_per_min=$(calc "($(cg_cpu "$n") - $c0) * 60000 / $idle" 1) queued=$("${n}_qcount")"
}
retry_phase() {
  local c0 t0 r0 k0 ok=1
  r0=$(sink rcpts) k0=$(sink connections)
  c0=$(cg_cpu "$n"); t0=$(now)
  "${n}_flush"
  wait_sink rcpts $((r0 + backlog)) || ok=0
  sleep 1
  record "phase=retry wave_s=$([ $ok = 1 ] && calc "$(now) - $t0" 1 || echo -)" \
    "cpu_ms_per_msg=$(calc "($(cg_cpu "$n") - $c0) * 1000 / $backlog" 3)" \
    "connections=$(( $(sink connections) - k0 )) sched_rss_kb=$(rss_kb "$("${n}_sched_pid")")"
}
restart_phase() {
  local md="${n}_md" t0 c0 before ok=1
  "${n}_kill"
  before=$(md_count "${!md}")
  c0=$(cg_cpu "$n"); t0=$(now)
  "${n}_restart"
  message bench@quail.test restart@quail.test 1024 | "${n}_sendmail"
  while [ "$(md_count "${!md}")" -le "$before" ]; do
    [ "$(calc "$(now) - $t0" 0)" -gt "$limit" ] && { ok=0; break; }
    sleep 0.01
  done
  record "phase=restart first_delivery_s=$([ $ok = 1 ] && calc "$(now) - $t0" 3 || echo -)" \
    "mta_cpu_s=$(calc "$(cg_cpu "$n") - $c0" 2)"
  sleep 5
}
drain_phase() {
  local c0 t0 ok=1
  sink_start accept
  c0=$(cg_cpu "$n"); t0=$(now)
  "${n}_flush"
  wait_sink accepted "$backlog" || ok=0
  while [ "$("${n}_qcount")" -gt 0 ]; do
    [ "$(calc "$(now) - $t0" 0)" -gt "$limit" ] && { ok=0; break; }
    sleep 0.2
  done
  record "phase=drain drain_s=$([ $ok = 1 ] && calc "$(now) - $t0" 1 || echo -)" \
    "mta_cpu_s=$(calc "$(cg_cpu "$n") - $c0" 2) accepted=$(sink accepted) transactions=$(sink messages)" \
    "connections=$(sink connections) tls=$(sink tls) resumed=$(sink resumed)"
}
for n in $names; do
  "${n}_start"
  accept accept0
  sink_start defer
  fill
  idle_phase
  accept accept1
  retry_phase
  restart_phase
  drain_phase
  sink_stop
  "${n}_stop"
done

get() { grep "^name=$1 phase=$2 " "$raw" | sed -n "s/.* $3=\([^ ]*\).*/\1/p" | head -1; }
row() { # PHASE METRIC LABEL
  local q p=- ratio=-
  q=$(get quail "$1" "$2"); q=${q:--}
  if [ $postfix = 1 ]; then
    p=$(get postfix "$1" "$2"); p=${p:--}
    case "$q$p" in *-*) ;; *) [ "$(calc "$p" 6)" != 0.000000 ] && ratio=$(calc "$q / $p" 2);; esac
  fi
  echo "| $3 | $q | $p | $ratio |"
}
a0=$(get quail accept0 accept_per_s) a1=$(get quail accept1 accept_per_s)
echo
echo "| backlog of $backlog deferred messages | quail | postfix | quail/postfix |"
echo "|---|---|---|---|"
row accept0 accept_per_s "SMTP accepted per s, empty queue ($acount x $size B, $sess sessions)"
row accept1 accept_per_s "SMTP accepted per s, with the backlog queued"
row accept0 mta_cpu_ms_per_msg "MTA CPU ms per accepted message, empty queue"
row accept1 mta_cpu_ms_per_msg "same, with the backlog"
row fill inject_and_first_try_s "s to queue the backlog and try each once"
row fill mta_cpu_s "MTA CPU s for that"
row fill connections "connections for the first tries"
row idle sched_rss_kb "scheduler RSS kB with the backlog (queue-manager / qmgr)"
row idle mta_pss_kb "all the MTA's processes, PSS kB"
row idle idle_cpu_ms_per_min "MTA CPU ms per minute, nothing due"
row retry cpu_ms_per_msg "retry wave: MTA CPU ms per deferred message"
row retry wave_s "retry wave: s"
row retry connections "retry wave: connections"
row restart first_delivery_s "kill -9, restart: s to the first new local delivery"
row drain drain_s "destination back (250, STARTTLS): s to an empty queue"
row drain mta_cpu_s "drain: MTA CPU s"
row drain transactions "drain: transactions at the sink"
row drain connections "drain: connections at the sink"
row drain tls "drain: TLS handshakes"
row drain resumed "drain: of them resumed"
[ -n "$a0" ] && [ -n "$a1" ] && echo "(quail's acceptance with the backlog / without: $(calc "$a1 / $a0" 2), wanted >= 0.90)"
echo "(one run each, quail then Postfix; MTA CPU by cgroup; raw lines in $raw)"
