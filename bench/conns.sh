#!/bin/bash
# bench/conns.sh [smtp] [pop3] [pop3login]: many sessions held open at once (issue 23,
# point 3). bench/hold.c opens SESSIONS (1000) SMTP sessions in one process
# (connect, greeting, EHLO, then idle; TRICKLE > 0 sends a NOOP on each every
# TRICKLE seconds), holds them HOLD (5) seconds, and meanwhile:
#   - the memory of all the MTA's processes is summed from smaps_rollup
#     (bench/memsum.py): RSS, PSS (shared pages divided among the processes
#     that share them, the fairer figure) and page tables, idle and with the
#     sessions held; per session = (held - idle) / SESSIONS
#   - greetings received are counted: none may be refused
#   - one extra fresh transaction (connect to the reply after DATA's dot)
#     is timed RUNS (5) times: the machine stays responsive (idle_latency_s:
#     the same before the sessions are opened); setup_s is the time until
#     every session has had its EHLO or CAPA answered
# then the same with POP3_SESSIONS (200) POP3 sessions (greeting, CAPA, then
# idle) and a fresh USER/PASS/STAT as the extra session; then (pop3login)
# POP3_SESSIONS sessions logged in, each as its own user u1..uN (a Maildir
# of ten messages each: pop3d locks its Maildir), USER, PASS, STAT, idle.
# Workloads: smtp pop3 pop3login (all by default).
#
# quail: a fresh instance's smtpd and pop3d started by their run scripts
# (quail-listen, tcpserver), queue-manager beside smtpd. The shipped
# concurrencyincoming and concurrencypop3 are 100: for this workload
# control/concurrencyincoming is SESSIONS + 100 and control/concurrencypop3
# POP3_SESSIONS + 100, as an administrator expecting that many would set.
# Postfix: its own instance made from the shared anchor's configuration
# (/etc/postfix, ../shared/bench/postfix-anchor.sh setup) in
# /etc/postfix-cbench with its own queue (/var/spool/postfix-cbench), on
# 127.0.0.1:2546, its default_process_limit (100) raised to SESSIONS + 100
# to match. Dovecot: the shared anchor's configuration
# (../shared/bench/dovecot-anchor.sh) included by a file of our own
# (bench/lib.sh's dovecot_conf: its own base_dir, 127.0.0.1:DOVECOT_PORT
# (2550), a user of our own) that raises default_process_limit (100) to
# POP3_SESSIONS + 100. Without root or the anchors, quail alone.
# env: SESSIONS POP3_SESSIONS HOLD TRICKLE RUNS SCHEME (sha512) TMPDIR (/tmp)
#      POSTFIX=0 / DOVECOT=0 skip the baselines; QUAIL_SMTP_PORT (2547)
#      QUAIL_POP3_PORT (2548)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
. "$here/lib.sh"
shared=$(shared_bench "$src")
sessions=${SESSIONS:-1000} psessions=${POP3_SESSIONS:-200} holds=${HOLD:-5} trickle=${TRICKLE:-0}
runs=${RUNS:-5} sport=${QUAIL_SMTP_PORT:-2547} pport=${QUAIL_POP3_PORT:-2548} dport=${DOVECOT_PORT:-2550}
workloads=${*:-smtp pop3 pop3login}
uid=$(id -u) gid=$(id -g)
if [ "$uid" = 0 ] && id bench >/dev/null 2>&1; then uid=$(id -u bench) gid=$(id -g bench); fi
out=$(mktemp -d "${TMPDIR:-/tmp}/quail-conns.XXXXXX")
chmod 755 "$out"
raw=$out/raw.txt
cc -O2 -o "$out/hold" "$here/hold.c" || die "unable to build bench/hold.c"
inst=$out/quail
SMTP_PORT=$sport POP3_PORT=$pport "$src/bin/mkinstance" "$inst" quail.test >/dev/null
export QUAIL_HOME=$inst
echo $((sessions + 100)) >"$inst/control/concurrencyincoming"
echo $((psessions + 100)) >"$inst/control/concurrencypop3"
# the password hashed as bench/pop3.sh does (SCHEME, sha512: 2.5 ms to check;
# Dovecot's anchor keeps a plaintext one)
pw=bench scheme=${SCHEME:-sha512}
printf '%s\n' "$pw" | "$src/bin/quail-passwd" passwd -s "$scheme" test
pids= service=
cleanup() {
  [ -z "$pids$service" ] || kill $pids $service 2>/dev/null || true
  [ ! -d /etc/postfix-cbench ] || postfix -c /etc/postfix-cbench stop >/dev/null 2>&1 || true
  [ ! -f "$out/dovecot.conf" ] || dovecot -c "$out/dovecot.conf" stop 2>/dev/null || true
}
trap cleanup EXIT

# ---- Postfix: an instance of our own beside the anchor ----
pfconf=/etc/postfix-cbench pfport=2546
postfix_ok() {
  [ "${POSTFIX:-1}" = 1 ] && [ "$(id -u)" = 0 ] && [ -x /usr/sbin/postfix ] && [ -f /etc/postfix/main.cf ] &&
    [ -d /home/bench/Maildir ]
}
postfix_setup() {
  rm -rf "$pfconf"
  cp -a /etc/postfix "$pfconf"
  postconf -c "$pfconf" -e queue_directory=/var/spool/postfix-cbench data_directory=/var/lib/postfix-cbench \
    syslog_name=postfix-cbench default_process_limit=$((sessions + 100)) \
    "inet_interfaces=127.0.0.1" "default_transport=discard:" "maillog_file=$out/postfix.log"
  mkdir -p /var/spool/postfix-cbench /var/lib/postfix-cbench
  chown postfix /var/lib/postfix-cbench
  postconf -c "$pfconf" -M# 127.0.0.1:2526/inet
  postconf -c "$pfconf" -Me "127.0.0.1:$pfport/inet = 127.0.0.1:$pfport inet n - n - - smtpd"
  postfix -c "$pfconf" check || die "postfix check: $(tail -3 "$out/postfix.log")"
}
pf_master() { cat /var/spool/postfix-cbench/pid/master.pid 2>/dev/null | tr -d ' '; }

# ---- Dovecot: the anchor's configuration and a user of ours ----
dovecot_ok() {
  [ "${DOVECOT:-1}" = 1 ] && [ "$(id -u)" = 0 ] && id bench >/dev/null 2>&1 && [ -x "$shared/dovecot-anchor.sh" ]
}
dovecot_setup() {
  local i
  [ ! -f "$out/dovecot.conf" ] || return 0
  [ -f /etc/dovecot/quail-anchor.conf ] || "$shared/dovecot-anchor.sh" setup >&2
  install -d -o bench -g bench -m 700 "$out/dhome" "$out/dhome/Maildir" "$out/dhome/Maildir/"{new,cur,tmp}
  dovecot_user "$out" cbench cbench "$out/dhome"
  for i in $(seq "$psessions"); do dovecot_user "$out" "u$i" bench "$out/dusers/u$i"; done
  dovecot_conf "$out" "$dport" "default_process_limit = $((psessions + 100))"
}
dc_master() { cat "$out/dovecot-run/master.pid" 2>/dev/null; }
# ten small messages in a Maildir, so that STAT has work
fill() { local i; for i in $(seq 10); do message bench@quail.test test@quail.test 2048 >"$1/new/$i.M1P1_$i.quail.test"; done; }

# ---- one target ----
# held NAME KIND HOST PORT N ROOTPIDS ONEARGS...: hold N sessions, measure
# latency NAME KIND HOST PORT ARGS...: the median of RUNS fresh sessions
latency() {
  local name=$1 kind=$2 host=$3 port=$4 i line
  shift 4
  for i in $(seq "$runs"); do
    line=$("$out/hold" "${kind%-login}-one" "$host" "$port" "$@" 2>&1) || line="latency_s=- ($line)"
    echo "$line"
  done >"$out/one-$name.txt"
  sed -n 's/^latency_s=\([0-9.]*\)$/\1/p' "$out/one-$name.txt" | median
}
held() {
  local name=$1 kind=$2 host=$3 port=$4 n=$5 roots=$6 h i idle mem lat lat0
  shift 6
  idle=$(python3 "$here/memsum.py" $roots)
  lat0=$(latency "$name-idle" "$kind" "$host" "$port" "$@")
  if [ "$kind" = pop3-login ]; then
    "$out/hold" pop3-login "$host" "$port" "$n" u bench "$trickle" >"$out/hold-$name.txt" & h=$!
  else
    "$out/hold" "$kind" "$host" "$port" "$n" "$trickle" >"$out/hold-$name.txt" & h=$!
  fi
  pids="$pids $h"
  for i in $(seq 1300); do grep -qs "^sessions=" "$out/hold-$name.txt" && break; sleep 0.1; done
  sleep "$holds"
  mem=$(python3 "$here/memsum.py" $roots)
  lat=$(latency "$name" "$kind" "$host" "$port" "$@")
  kill -TERM "$h"; wait "$h" 2>/dev/null || true
  perkb() { echo "$mem $idle" | awk -v k="$1" -v n="$n" '{ for (i = 1; i <= NF; i++) { split($i, a, "="); if (a[1] == k) v[++c] = a[2] } }
    END { printf "%.1f", (v[1] - v[2]) / n }'; }
  echo "name=$name $(head -1 "$out/hold-$name.txt") $(tail -1 "$out/hold-$name.txt") extra_latency_s=$lat" \
    "idle_latency_s=$lat0" \
    "held_$(echo "$mem" | cut -d' ' -f1-4 | sed 's/ / held_/g') idle_$(echo "$idle" | cut -d' ' -f1-4 | sed 's/ / idle_/g')" \
    "rss_kb_per_session=$(perkb rss_kb) pss_kb_per_session=$(perkb pss_kb) pte_kb_per_session=$(perkb pte_kb)" |
    tee -a "$raw" >&2
  echo "$mem" >"$out/mem-$name.txt"
}

smtp() {
  local qm tcp
  "$src/bin/queue-manager" >"$inst/qm.log" 2>&1 & qm=$!
  service_start "$inst" smtpd; tcp=$service
  pids="$qm $tcp"
  held quail-smtp smtp 127.0.0.1 "$sport" "$sessions" "$tcp $qm" test@quail.test
  kill "$tcp" "$qm"; wait "$tcp" "$qm" 2>/dev/null || true; pids= service=
  if postfix_ok; then
    postfix_setup
    postfix -c "$pfconf" start || die "postfix start: $(tail -3 "$out/postfix.log")"
    sleep 2
    held postfix-smtp smtp 127.0.0.1 "$pfport" "$sessions" "$(pf_master)" bench@quail.test
    postfix -c "$pfconf" stop >/dev/null 2>&1
  fi
}

pop3() {
  local tcp
  fill "$inst/mail/test/Maildir"
  service_start "$inst" pop3d; tcp=$service
  pids=$tcp
  held quail-pop3 pop3 127.0.0.1 "$pport" "$psessions" "$tcp" test "$pw"
  kill "$tcp"; wait "$tcp" 2>/dev/null || true; pids= service=
  if dovecot_ok; then
    dovecot_setup
    fill "$out/dhome/Maildir"; chown -R bench:bench "$out/dhome"
    dovecot -c "$out/dovecot.conf"
    sleep 1
    held dovecot-pop3 pop3 127.0.0.1 "$dport" "$psessions" "$(dc_master)" cbench cbench
    dovecot -c "$out/dovecot.conf" stop
  fi
}

# POP3_SESSIONS users u1..uN, each a Maildir of ten messages (pop3d locks
# its Maildir: one session a mailbox), password bench
users() { # DIR QUAIL(1|0)
  local i
  for i in $(seq "$psessions"); do
    install -d -m 700 "$1/u$i" "$1/u$i/Maildir" "$1/u$i/Maildir/"{new,cur,tmp}
    fill "$1/u$i/Maildir"
    [ "$2" = 0 ] || printf 'bench\n' | "$src/bin/quail-passwd" add -s "$scheme" "u$i" "$uid" "$gid" "$1/u$i"
  done
  chown -R "$uid:$gid" "$1"
}

pop3login() {
  local tcp
  users "$out/qusers" 1
  service_start "$inst" pop3d; tcp=$service
  pids=$tcp
  held quail-pop3login pop3-login 127.0.0.1 "$pport" "$psessions" "$tcp" test "$pw"
  kill "$tcp"; wait "$tcp" 2>/dev/null || true; pids= service=
  if dovecot_ok; then
    dovecot_setup
    users "$out/dusers" 0
    fill "$out/dhome/Maildir"; chown -R bench:bench "$out/dhome"
    dovecot -c "$out/dovecot.conf"
    sleep 1
    held dovecot-pop3login pop3-login 127.0.0.1 "$dport" "$psessions" "$(dc_master)" cbench cbench
    dovecot -c "$out/dovecot.conf" stop
  fi
}

for w in $workloads; do "$w"; done

pick() { grep "^name=$1 " "$raw" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -1; }
row() { # KIND BASE METRIC LABEL
  local q b ratio=-
  q=$(pick "quail-$1" "$3"); b=$(pick "$2-$1" "$3")
  [ -n "$b" ] || b=-
  case "$q$b" in *-*|'') ;; *) ratio=$(awk -v q="$q" -v b="$b" 'BEGIN { if (b + 0) printf "%.2f", q / b; else print "-" }');; esac
  echo "| $4 | $3 | ${q:--} | $b | $ratio |"
}
echo
echo "| held sessions | metric | quail | baseline | quail/baseline |"
echo "|---|---|---|---|---|"
for w in $workloads; do
  case $w in
  smtp) base=postfix label="SMTP x $sessions (vs Postfix)";;
  pop3) base=dovecot label="POP3 x $psessions (vs Dovecot)";;
  pop3login) base=dovecot label="POP3 x $psessions logged in (vs Dovecot)";;
  esac
  for m in greeted refused failed waiting login_failed alive held_procs held_rss_kb held_pss_kb held_pte_kb \
           rss_kb_per_session pss_kb_per_session pte_kb_per_session setup_s idle_latency_s extra_latency_s; do
    row "$w" "$base" "$m" "$label"
  done
done
echo "(quail: concurrencyincoming $((sessions + 100)), concurrencypop3 $((psessions + 100));" \
  "Postfix and Dovecot: default_process_limit raised to match; extra_latency_s: median of $runs" \
  "fresh sessions while the others are held; raw lines in $raw)"
