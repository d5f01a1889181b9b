#!/bin/bash
# bench/restart.sh: queue-manager with BACKLOG (100000) deferred messages,
# quail alone, quickly: the queue is written directly, as queue-manager
# leaves a deferred message (mess/ID and mess/ID.env, the next try a day
# ahead), instead of by BACKLOG deliveries that fail (bench/backlog.sh
# does that, beside Postfix). Prints
#   - SMTP acceptance of local mail (smtp-source, SMTP_COUNT (2000) x 2 KB,
#     SESSIONS (10), smtpd by its run script) with an empty queue and then
#     with the backlog queued, nothing of it due: rate and the CPU of
#     queue-manager, smtpd and what they start (a cgroup) per message
#   - the seconds and CPU to read the whole queue at start, queue-manager's
#     memory then
#   - TRIES (5) times kill -9, a restart and at once a local message by
#     sendmail: the seconds until it is in the Maildir (median and worst)
# env: BACKLOG TRIES SMTP_COUNT SESSIONS COOLDOWN (5) TMPDIR
#      QUAIL_SMTP_PORT (2529) QUEUE_MANAGER (another build's, to compare)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
. "$here/lib.sh"
n=${BACKLOG:-100000} tries=${TRIES:-5} acount=${SMTP_COUNT:-2000} sess=${SESSIONS:-10}
port=${QUAIL_SMTP_PORT:-2529}
out=$(mktemp -d "${TMPDIR:-/tmp}/quail-restart.XXXXXX")
inst=$out/quail
SMTP_PORT=$port "$src/bin/mkinstance" "$inst" quail.test >/dev/null
export QUAIL_HOME=$inst
md=$inst/mail/test/Maildir
qm= tcp=
trap 'exit 111' TERM INT HUP
stop_all() { # (under set -e: nothing here may fail)
  if [ -n "$qm" ]; then kill -9 "$qm" 2>/dev/null; wait "$qm" 2>/dev/null || true; fi
  if [ -n "$tcp" ]; then kill "$tcp" 2>/dev/null; wait "$tcp" 2>/dev/null || true; fi
  cg_remove qm
}
trap stop_all EXIT
cg_make qm
qmbin=${QUEUE_MANAGER:-$src/bin/queue-manager}
start() { cg_run qm "$qmbin" >> "$inst/qm.log" 2>&1 & qm=$!; }
accept() { # LABEL: smtp-source's local mail into smtpd, the CPU per message by cgroup
  local c0 line
  c0=$(cg_cpu qm)
  line=$("$here/smtp.sh" "127.0.0.1:$port" "$md" bench@quail.test test@quail.test "$sess" "$acount" 2048)
  echo "$1 $(echo "$line" | grep -o 'accept_per_s=[^ ]*') cpu_ms_per_msg=$(calc "($(cg_cpu qm) - $c0) * 1000 / $acount" 2)" | tee -a "$out/raw.txt"
}
cg_run qm sh "$inst/service/smtpd/run" > "$inst/smtpd.log" 2>&1 & tcp=$!
for i in $(seq 301); do
  [ "$i" -le 300 ] || die "service/smtpd/run did not start: $(cat "$inst/smtpd.log")"
  grep -q 'status: 0/' "$inst/smtpd.log" 2>/dev/null && break; sleep 0.1
done
start
accept empty_queue
kill "$qm"; wait "$qm" 2>/dev/null || true
python3 - "$inst/queue/mess" "$n" <<'PY'
import os, sys, time
mess, n = sys.argv[1], int(sys.argv[2])
later = time.time() + 86400
body = "Subject: backlog\n\n" + "x" * 76 + "\n"
for k in range(n):
    t = os.path.join(mess, "new.%d" % k)
    with open(t, "w") as f:
        f.write(body)
    i = os.stat(t).st_ino
    os.rename(t, os.path.join(mess, str(i)))
    e = os.path.join(mess, "%d.env" % i)
    with open(e, "wb") as f:
        f.write(b"Fbench@quail.test\0Tr%d@backlog.test\0\0" % k)
    os.utime(e, (later, later))
PY
: > "$inst/qm.log"
loaded() { cat "$inst/qm.log" 2>/dev/null | grep -c '^new msg' || true; }
sync
c0=$(cg_cpu qm); t0=$(now)
start
while [ "$(loaded)" -lt "$n" ]; do sleep 0.05; done
echo "backlog=$n load_s=$(calc "$(now) - $t0" 2) load_cpu_s=$(calc "$(cg_cpu qm) - $c0" 2)" \
     "rss_kb=$(rss_kb "$qm") bytes_per_msg=$(calc "$(rss_kb "$qm") * 1024 / $n" 0)"
accept with_backlog
for r in $(seq "$tries"); do
  kill -9 "$qm"; wait "$qm" 2>/dev/null || true
  : > "$inst/qm.log"
  before=$(md_count "$md")
  t0=$(now)
  start
  message bench@quail.test test@quail.test 1024 | "$src/bin/sendmail" -f bench@quail.test test@quail.test
  while [ "$(md_count "$md")" -le "$before" ]; do sleep 0.005; done
  t1=$(now)
  while [ "$(loaded)" -le "$n" ]; do sleep 0.05; done     # the backlog and the new one
  echo "try=$r first_delivery_s=$(calc "$t1 - $t0" 3) all_loaded_s=$(calc "$(now) - $t0" 2)" | tee -a "$out/raw.txt"
done
f=$(sed -n 's/.*first_delivery_s=\([^ ]*\).*/\1/p' "$out/raw.txt")
a0=$(sed -n 's/^empty_queue accept_per_s=\([^ ]*\).*/\1/p' "$out/raw.txt")
a1=$(sed -n 's/^with_backlog accept_per_s=\([^ ]*\).*/\1/p' "$out/raw.txt")
c0=$(sed -n 's/^empty_queue.*cpu_ms_per_msg=\([^ ]*\).*/\1/p' "$out/raw.txt")
c1=$(sed -n 's/^with_backlog.*cpu_ms_per_msg=\([^ ]*\).*/\1/p' "$out/raw.txt")
echo "SMTP acceptance with $n queued / with none: rate $(calc "$a1 / $a0" 2), CPU per message $(calc "$c1 / $c0" 2)"
echo "first delivery after kill -9 and a restart, $n queued: median $(echo "$f" | median) s, worst $(echo "$f" | sort -g | tail -1) s ($tries tries)"
