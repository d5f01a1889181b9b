#!/bin/bash
# tcpto and tcpok (qmail-tcpto, qmail-tcpok): show and clear remote
# delivery's memory of hosts that timed out, queue/lock/tcpto, written
# here through lib/tcpto.c as deliver-remote writes it (t/smtpc-lib.c).
. "$(dirname "$0")/lib.sh"
$TEST_CC -D_GNU_SOURCE -I"$SRC/lib" -o "$T/smtpc-lib" "$SRC/t/smtpc-lib.c" "$SRC/obj/libquail.a" ||
  { echo "Bail out! cannot build t/smtpc-lib.c"; exit 1; }
L=$T/smtpc-lib
inst_new
F=$INST/queue/lock/tcpto
rm -f "$F"

is "$(tcpto)" "" "no file: nothing to show"
is "$?" 0 "exit 0"
tcpok; is "$?" 0 "tcpok without a file: exit 0"
nok "and it makes none" test -e "$F"

now=$(date +%s)
"$L" tcpto "$F" 192.0.2.1 $((now - 40)) fail
"$L" tcpto "$F" 192.0.2.1 $((now - 30)) fail
"$L" tcpto "$F" 2001:db8::1 $((now - 20)) fail
out=$(tcpto)
is "$?" 0 "tcpto: exit 0"
like "$(echo "$out" | grep 192)" '^192\.0\.2\.1 timed out (30|31|32) seconds ago; # recent timeouts: 2; assumed dead for (88|89|90) more seconds$' \
  "a dead address: age, count, how long it stays dead"
like "$(echo "$out" | grep 2001)" '^2001:db8::1 timed out (20|21|22) seconds ago; # recent timeouts: 1$' "an IPv6 address with one timeout: not dead"
is "$(echo "$out" | wc -l)" 2 "one line per address"
is "$("$L" tcpto "$F" 192.0.2.1 "$(date +%s)" dead)" 1 "deliver-remote's view: dead"

tcpok
is "$?" 0 "tcpok: exit 0"
is "$(tcpto)" "" "tcpto shows nothing after tcpok"
is "$("$L" tcpto "$F" 192.0.2.1 "$(date +%s)" dead)" 0 "deliver-remote's view: alive again"
"$L" tcpto "$F" 192.0.2.9 "$(date +%s)" fail
like "$(tcpto)" '^192\.0\.2\.9 timed out' "the file is still usable after tcpok"

chmod 000 "$F"
if [ "$(id -u)" = 0 ]; then
  as_nobody "$BIN/tcpto" >/dev/null 2>&1; is "$?" 111 "an unreadable file: 111"
  as_nobody "$BIN/tcpok" 2>/dev/null; is "$?" 111 "an unwritable file: 111"
else
  tcpto >/dev/null 2>&1; is "$?" 111 "an unreadable file: 111"
  tcpok 2>/dev/null; is "$?" 111 "an unwritable file: 111"
fi
tcpto x 2>/dev/null; is "$?" 100 "tcpto with an argument: usage, 100"
done_testing
