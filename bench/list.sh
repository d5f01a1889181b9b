#!/bin/bash
# bench/list.sh: one post to a list of MEMBERS (10000) members, delivered
# through deliver-remote into Postfix's smtp-sink on loopback (the members'
# domain is routed there by control/smtproutes); prints the seconds from
# the post to an empty queue, the deliveries made and the sink's count.
# env: MEMBERS (10000) RUNS (3) SINK_PORT (2598) CONC (concurrencyremote, 20)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
. "$here/lib.sh"
members=${MEMBERS:-10000} runs=${RUNS:-3} port=${SINK_PORT:-2598} conc=${CONC:-20}
sink=/usr/sbin/smtp-sink
[ -x "$sink" ] || die "$sink missing (Debian package postfix)"
out=$(mktemp -d "${TMPDIR:-/tmp}/quail-list-bench.XXXXXX")
inst=$out/quail
"$src/bin/mkinstance" "$inst" quail.test >/dev/null
export QUAIL_HOME=$inst
printf 'sink.test:127.0.0.1:%s\n' "$port" > "$inst/control/smtproutes"
echo "$conc" > "$inst/control/concurrencyremote"
H=$inst/mail/test L=$inst/lists/bench
mkdir -p "$inst/lists"
"$src/bin/list-make" -b "$src/bin" "$L" "$H/.qmail-bench" test-bench quail.test >/dev/null
seq 1 "$members" | sed 's/.*/member&@sink.test/' | "$src/bin/list-sub" "$L" add
"$src/bin/list-sub" "$L" add test@quail.test
echo "members: $("$src/bin/list-sub" "$L" count)" >&2
msg() { printf 'From: test@quail.test\nTo: test-bench@quail.test\nSubject: list bench\n\n'; head -c 2000 /dev/zero | tr '\0' x | fold -w 76; echo; }
count_msgs() { ls "$inst/queue/mess" | grep -c '^[0-9]*$' || true; }   # message files: one per queued message
for r in $(seq "$runs"); do
  "$sink" -u root -c 127.0.0.1:"$port" 1000 > "$out/sink.$r" 2>&1 & sp=$!
  "$src/bin/queue-manager" > "$inst/qm.$r.log" 2>&1 & qm=$!
  settle
  t0=$(now)
  msg | "$src/bin/sendmail" -f test@quail.test test-bench@quail.test
  sleep 0.2
  while [ "$(count_msgs)" -gt 0 ]; do sleep 0.05; done
  t1=$(now)
  kill "$qm"; wait "$qm" 2>/dev/null || true
  kill "$sp"; wait "$sp" 2>/dev/null || true
  ok=$(grep -c 'delivery [0-9]*: success' "$inst/qm.$r.log" || true)
  echo "run=$r members=$members seconds=$(calc "$t1 - $t0" 2) deliveries_ok=$ok" | tee -a "$out/raw.txt" >&2
done
echo "median seconds: $(sed -n 's/.*seconds=\([^ ]*\).*/\1/p' "$out/raw.txt" | median) (raw in $out/raw.txt)"
