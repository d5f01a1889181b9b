#!/bin/bash
# bench/run.sh [WORKLOAD...]: quail beside Postfix, one MTA running at a
# time, interleaved run by run (A B, then B A, ...), medians and ratios.
# Workloads (default: all):
#   sendmail  COUNT (1000) messages of SIZE (2048) bytes, `sendmail -f FROM TO`
#             one after another, delivered into a Maildir
#   smtp      SMTP_COUNT (2000) messages of SIZE bytes by smtp-source at
#             SESSIONS ("1 10 50 200") concurrent sessions, a connection
#             each (200 is above the default concurrencyincoming of 100:
#             the rest wait in the listen backlog, as at a real MX)
#   pop3      bench/pop3.sh: 10,000 messages of 4 KB downloaded over POP3,
#             beside Dovecot's POP3 server (as root with the user bench)
# Postfix is measured when it is set up as the shared anchor does
# (../shared/bench/postfix-anchor.sh setup: smtpd on 127.0.0.1:2526, mail
# for bench@quail.test to /home/bench/Maildir); POSTFIX=0 skips it.
# Everything runs on loopback. env: RUNS (3) COOLDOWN (5 s before each run)
# TMPDIR (/tmp): where quail's instance is made. On ext4 without a journal
# every new inode scans past the inodes freed in its block group in the last
# minutes, so an instance in a directory where a test suite has just run
# (/tmp) pays for that suite's files, and each run for the Maildir files the
# run before deleted; the figures in README.md were taken with
# TMPDIR=/var/tmp/qbench and COOLDOWN=65 (as ../shared/bench/compare.sh).
# smtpd is started by the instance's own service/smtpd/run, as runsv
# would: tcpserver with the shipped defaults (quail-listen(8)).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
. "$here/lib.sh"
runs=${RUNS:-3} count=${COUNT:-1000} size=${SIZE:-2048}
smtp_count=${SMTP_COUNT:-2000} sessions=${SESSIONS:-1 10 50 200}
workloads=${*:-sendmail smtp pop3}
anchor=${POSTFIX_ANCHOR:-$src/../shared/bench/postfix-anchor.sh}
out=$(mktemp -d "${TMPDIR:-/tmp}/quail-bench.XXXXXX")
raw=$out/raw.txt
port=${QUAIL_SMTP_PORT:-2527}

# quail: a fresh instance; queue-manager and smtpd (its run script) while measured
inst=$out/quail
SMTP_PORT=$port "$src/bin/mkinstance" "$inst" quail.test >/dev/null
export QUAIL_HOME=$inst
QMD=$inst/mail/test/Maildir
quail_start() {
  "$src/bin/queue-manager" > "$inst/qm.log" 2>&1 & qm=$!
  service_start "$inst" smtpd; tcp=$service
}
quail_stop() { kill "$tcp" "$qm"; wait "$tcp" "$qm" 2>/dev/null || true; qm= tcp= service=; }
# on any exit (a run script that did not start in time, a failed
# measurement), quail's processes go too: none is left holding its port
cleanup() { local p; for p in "${qm:-}" "${tcp:-}" "${service:-}"; do [ -z "$p" ] || kill "$p" 2>/dev/null; done; true; }
trap cleanup EXIT
postfix_start() { "$anchor" start >/dev/null 2>&1; sleep 2; }
postfix_stop() { "$anchor" stop >/dev/null 2>&1; }

postfix=0
if [ "${POSTFIX:-1}" = 1 ] && [ -x /usr/sbin/postfix ] && [ -d /home/bench/Maildir ] && [ -x "$anchor" ]; then
  postfix=1
fi
names=quail; [ $postfix = 1 ] && names="quail postfix"
[ $postfix = 1 ] || echo "bench: Postfix not set up (run $anchor setup as root): quail alone" >&2

measure() { # NAME WORKLOAD [SESSIONS]
  local line
  "$1_start"
  case $1:$2 in
  quail:sendmail)   line=$("$here/sendmail.sh" "$src/bin/sendmail" "$QMD" bench@quail.test test@quail.test "$count" "$size");;
  postfix:sendmail) line=$("$here/sendmail.sh" /usr/sbin/sendmail /home/bench/Maildir bench@quail.test bench@quail.test "$count" "$size");;
  quail:smtp)       line=$("$here/smtp.sh" "127.0.0.1:$port" "$QMD" bench@quail.test test@quail.test "$3" "$smtp_count" "$size");;
  postfix:smtp)     line=$("$here/smtp.sh" 127.0.0.1:2526 /home/bench/Maildir bench@quail.test bench@quail.test "$3" "$smtp_count" "$size");;
  esac
  "$1_stop"
  echo "name=$1 kind=$2${3:+-$3} run=$r $line" | tee -a "$raw" >&2
}
each() { # WORKLOAD [SESSIONS]: every MTA once, order alternating by run
  local n
  if [ $((r % 2)) = 1 ]; then for n in $names; do measure "$n" "$@"; done
  else for n in $(echo $names | tr ' ' '\n' | tac); do measure "$n" "$@"; done; fi
}
for r in $(seq "$runs"); do
  for w in $workloads; do
    case $w in
    sendmail) each sendmail;;
    smtp) for s in $sessions; do each smtp "$s"; done;;
    esac
  done
done

pick() { grep "name=$1 kind=$2 " "$raw" | sed -n "s/.* $3=\([^ ]*\).*/\1/p" | median; }
row() { # KIND METRIC LABEL
  local q p=- ratio=-
  q=$(pick quail "$1" "$2")
  if [ $postfix = 1 ]; then p=$(pick postfix "$1" "$2"); case "$q$p" in *-*) ;; *) ratio=$(calc "$q / $p" 2);; esac; fi
  echo "| $3 | $2 | $q | $p | $ratio |"
}
echo
echo "| workload | metric | quail | postfix | quail/postfix |"
echo "|---|---|---|---|---|"
for w in $workloads; do
  case $w in
  sendmail) for m in inject_per_s e2e_per_s cpu_ms_per_msg; do row sendmail $m "sendmail $count x $size B"; done;;
  smtp) for s in $sessions; do for m in accept_per_s e2e_per_s cpu_ms_per_msg; do
          row "smtp-$s" $m "SMTP $smtp_count x $size B, $s sessions"; done; done;;
  esac
done
echo "(medians of $runs runs; smtpd from its run script, under tcpserver; raw lines in $raw)"
case " $workloads " in *" pop3 "*) echo; RUNS=$runs "$here/pop3.sh";; esac
