#!/bin/bash
# qmail's names in an installed tree (a DESTDIR install): the links for
# boot scripts and monitors, qmail-start starting queue-manager as
# qmail-send with a logger (ps shows qmail-send), and the three helpers
# that queue-manager replaces explaining themselves.
. "$(dirname "$0")/lib.sh"
# the PREFIX of t/install.t: a make install for another PREFIX rebuilds every object
D=$T/dest P=/opt/quail-test R=$T/dest/opt/quail-test
make -s -C "$SRC" install DESTDIR="$D" PREFIX="$P" > "$T/out" 2>&1
is "$?" 0 "make install exits 0"
for q in qmail-send:queue-manager qmail-start:queue-start qmail-clean:queue-part qmail-lspawn:queue-part \
         qmail-rspawn:queue-part qmail-tcpok:tcpok qmail-tcpto:tcpto qmail-pw2u:pw2u qmail-getpw:getpw \
         qmail-newmrh:newmrh; do
  is "$(readlink "$R/bin/${q%%:*}")" "${q#*:}" "qmail name ${q%%:*} links to ${q#*:}"
done
for p in splogger preline forward condredirect bouncesaying except predate datemail qreceipt qbiff maildirwatch; do
  ok "$p installed" test -x "$R/bin/$p"
  ok "$p has its man page" test -f "$R/man/man1/$p.1" -o -f "$R/man/man8/$p.8"
done

# qmail's rc: qmail-start ./Maildir/ LOGGER ARGS; qmail-send keeps the pid
export QUAIL_HOME=$R QUAIL_RESOLVCONF=/dev/null
printf '#!/bin/sh\n# a logger: its tag, then what it reads\nwhile IFS= read -r l; do echo "$1: $l"; done >> "%s/logger.out"\n' "$T" > "$T/logger"
chmod 755 "$T/logger"
env - PATH="$R/bin:/usr/bin:/bin" QUAIL_HOME="$R" "$R/bin/qmail-start" ./Maildir/ "$T/logger" qmail &
pid=$!
kill_on_exit $pid
ok "the logger gets qmail-send's log" wait_for 10 grep -q '^qmail: status: local 0/' "$T/logger.out"
is "$(ps -o comm= -p $pid)" "qmail-send" "ps shows the process qmail-start became as qmail-send"
like "$(ps -C qmail-send -o pid=)" "\\b$pid\\b" "ps -C qmail-send finds it (a monitor's check)"
like "$(pgrep -x qmail-send)" "\\b$pid\\b" "and pgrep -x qmail-send"
kill -TERM $pid; wait $pid
is "$?" 0 "TERM: queue-manager exits 0"
ok "its exit is logged" grep -q '^qmail: status: exiting' "$T/logger.out"

echo ./Mailbox > "$R/control/defaultdelivery.new"; mv "$R/control/defaultdelivery" "$T/dd"; mv "$R/control/defaultdelivery.new" "$R/control/defaultdelivery"
: > "$T/logger.out"
"$R/bin/qmail-start" ./Maildir/ "$T/logger" qmail &
pid=$!
kill_on_exit $pid
ok "started again" wait_for 10 grep -q 'status: local' "$T/logger.out"
like "$(cat "$T/logger.out")" "qmail: qmail-start: warning: default delivery ./Maildir/ given, but quail follows control/defaultdelivery: ./Mailbox" \
  "a defaultdelivery argument that differs from control/defaultdelivery: a warning in the log"
kill -TERM $pid; wait $pid
mv "$T/dd" "$R/control/defaultdelivery"

out=$("$R/bin/qmail-start" ./Maildir/ "$T/no-such-logger" 2>&1); is "$?" 111 "a logger that cannot run: 111"
like "$out" "unable to start the logger" "says so"

for n in qmail-clean qmail-lspawn qmail-rspawn; do
  out=$("$R/bin/$n" </dev/null 2>&1); rc=$?
  is "$rc" 100 "$n: exits 100"
  like "$out" "^$n: quail has no separate $n: queue-manager .* itself; see queue-manager\\(8\\)" "$n: explains who does its work"
done
done_testing
