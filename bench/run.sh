#!/bin/bash
# bench/run.sh: quail beside Postfix, interleaved run by run, medians and ratios.
#   sendmail: COUNT (1000) messages of SIZE (2048) bytes, `sendmail -f FROM TO`
#             one after another, delivered into a Maildir.
# Postfix is measured when it is set up as the shared anchor does
# (../shared/bench/postfix-anchor.sh setup: user bench, mail for
# bench@quail.test to /home/bench/Maildir); POSTFIX=0 skips it.
# env: RUNS (3) COUNT (1000) SIZE (2048) COOLDOWN (5 s between runs)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
. "$here/lib.sh"
runs=${RUNS:-3} count=${COUNT:-1000} size=${SIZE:-2048}
anchor=${POSTFIX_ANCHOR:-$src/../shared/bench/postfix-anchor.sh}
out=$(mktemp -d /tmp/quail-bench.XXXXXX)
raw=$out/raw.txt

# quail: a fresh instance, queue-manager running while measured
inst=$out/quail
"$src/bin/mkinstance" "$inst" quail.test >/dev/null
export QUAIL_HOME=$inst
quail_start() { "$src/bin/queue-manager" > "$inst/qm.log" 2>&1 & qm=$!; }
quail_stop() { kill "$qm"; wait "$qm" 2>/dev/null || true; }

postfix=0
if [ "${POSTFIX:-1}" = 1 ] && [ -x /usr/sbin/postfix ] && [ -d /home/bench/Maildir ] && [ -x "$anchor" ]; then
  postfix=1
fi

one() { # NAME
  local line
  case $1 in
  quail) quail_start
         line=$("$here/sendmail.sh" "$src/bin/sendmail" "$inst/mail/test/Maildir" bench@quail.test test@quail.test "$count" "$size")
         quail_stop ;;
  postfix) "$anchor" start >/dev/null 2>&1; sleep 2
         line=$("$here/sendmail.sh" /usr/sbin/sendmail /home/bench/Maildir bench@quail.test bench@quail.test "$count" "$size")
         "$anchor" stop >/dev/null 2>&1 ;;
  esac
  echo "name=$1 kind=sendmail run=$r $line" | tee -a "$raw" >&2
}
names=quail; [ $postfix = 1 ] && names="quail postfix"
[ $postfix = 1 ] || echo "bench: Postfix not set up (run $anchor setup as root): quail alone" >&2
for r in $(seq "$runs"); do
  if [ $((r % 2)) = 1 ]; then for n in $names; do one "$n"; done
  else for n in $(echo $names | tr ' ' '\n' | tac); do one "$n"; done; fi
done

pick() { grep "name=$1 kind=$2 " "$raw" | sed -n "s/.* $3=\([^ ]*\).*/\1/p" | median; }
echo
echo "| sendmail ${count} x ${size} B | quail | postfix | quail/postfix |"
echo "|---|---|---|---|"
for m in inject_per_s e2e_per_s cpu_ms_per_msg; do
  q=$(pick quail sendmail $m); p=-; ratio=-
  if [ $postfix = 1 ]; then p=$(pick postfix sendmail $m); case "$q$p" in *-*) ;; *) ratio=$(calc "$q / $p" 2);; esac; fi
  echo "| $m | $q | $p | $ratio |"
done
echo "(medians of $runs runs; raw lines in $raw)"
