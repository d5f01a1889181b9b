#!/bin/bash
# bench/restart.sh: queue-manager with BACKLOG (100000) deferred messages,
# quail alone, quickly: the queue is written directly, as queue-manager
# leaves a deferred message (mess/ID and mess/ID.env, the next try a day
# ahead), instead of by BACKLOG deliveries that fail (bench/backlog.sh
# does that, beside Postfix). Prints the seconds and CPU to read the whole
# queue at start, queue-manager's memory then, and, TRIES (5) times,
# kill -9, a restart and at once a local message by sendmail: the seconds
# until it is in the Maildir (median and worst).
# env: BACKLOG TRIES TMPDIR QUEUE_MANAGER (another build's, to compare)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
. "$here/lib.sh"
n=${BACKLOG:-100000} tries=${TRIES:-5}
out=$(mktemp -d "${TMPDIR:-/tmp}/quail-restart.XXXXXX")
inst=$out/quail
"$src/bin/mkinstance" "$inst" quail.test >/dev/null
export QUAIL_HOME=$inst
md=$inst/mail/test/Maildir
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
qm=
trap 'exit 111' TERM INT HUP
trap '[ -n "$qm" ] && kill -9 "$qm" 2>/dev/null && wait "$qm" 2>/dev/null; cg_drop qm' EXIT
cg_make qm
qmbin=${QUEUE_MANAGER:-$src/bin/queue-manager}
start() { cg_run qm "$qmbin" >> "$inst/qm.log" 2>&1 & qm=$!; }
loaded() { cat "$inst/qm.log" 2>/dev/null | grep -c '^new msg' || true; }
sync
c0=$(cg_cpu qm); t0=$(now)
start
while [ "$(loaded)" -lt "$n" ]; do sleep 0.05; done
echo "backlog=$n load_s=$(calc "$(now) - $t0" 2) load_cpu_s=$(calc "$(cg_cpu qm) - $c0" 2)" \
     "rss_kb=$(rss_kb "$qm") bytes_per_msg=$(calc "$(rss_kb "$qm") * 1024 / $n" 0)"
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
echo "first delivery after kill -9 and a restart, $n queued: median $(echo "$f" | median) s, worst $(echo "$f" | sort -g | tail -1) s ($tries tries)"
