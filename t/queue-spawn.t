#!/bin/bash
# queue-spawn: requests as queue-manager sends them (a SOCK_SEQPACKET
# socket, the message and the report pipe attached), through
# t/queue-spawn-drive.py: a local delivery, an unknown user, a malformed
# request ignored, uid 0 refused outside an instance, a remote delivery's
# report in qmail-remote's protocol, exit 0 when the socket closes.
. "$(dirname "$0")/lib.sh"
inst_new
drive() { $PY "$SRC/t/queue-spawn-drive.py" "$BIN/queue-spawn" "$@"; }
printf 'Subject: spawned\n\nby queue-spawn\n' > "$T/msg"

out=$(drive local "$T/msg" test localhost a@example.org -- nosuch localhost a@example.org -- '!bad' -- test localhost b@example.org 2>"$T/err")
like "$out" "token 0 status 0 report did 1\+0\+0" "a local delivery: status 0, deliver-local's report"
ok "  the message is in the Maildir" eval 'md_grep "$MD" "by queue-spawn" >/dev/null' 
like "$(md_cat "$MD")" "Return-Path: <a@example.org>" "  with the sender given"
like "$out" "token 1 status 100 report Sorry, no mailbox here by that name. \(#5.1.1\)" "an unknown user: 100 and qmail's text"
unlike "$out" "token 2" "a request without descriptors gets no answer"
like "$(cat "$T/err")" "queue-spawn: warning: ignoring a malformed request" "  and is logged"
like "$out" "token 3 status 0" "the next request is served"
like "$out" "exit 0" "exit 0 when the socket closes"

out=$(drive remote "$T/msg" nowhere.invalid a@example.org x@nowhere.invalid 2>&1)
like "$out" "token 0 status 0 report .*Z|D" "remote: deliver-remote's report, NUL-separated"

# outside an instance (HOME/bin no link) uid 0 is refused, as qmail-lspawn did
if [ "$(id -u)" = 0 ]; then
  H=$T/home; mkdir -p "$H/bin" "$H/control" "$H/users" "$H/box"
  cp "$BIN/deliver-local" "$H/bin/"
  printf '=root0:root:0:0:%s/box:::\n.\n' "$H" > "$H/users/assign"
  QUAIL_HOME=$H "$BIN/newu" 2>/dev/null   # (a newu that refuses uid 0 makes no cdb: skipped)
  if [ -f "$H/users/cdb" ]; then
    out=$(QUAIL_HOME=$H drive local "$T/msg" root0 localhost a@example.org 2>&1)
    like "$out" "status 111 report refusing to deliver as root: uid 0 for user root" "uid 0 refused outside an instance"
  else skip "newu refuses uid 0 itself"; fi
else
  skip "not root"
fi
# under queue-manager: HUP has queue-spawn local reread control/defaultdelivery;
# a spawner that ends takes queue-manager with it (runit restarts both)
qm_start
spawner() { pgrep -P "$QM_PID" -x queue-spawn | while read -r p; do grep -qa local "/proc/$p/cmdline" && echo "$p"; done; }
is "$(pgrep -P "$QM_PID" -x queue-spawn | wc -l)" 2 "queue-manager starts two spawners"
mkdir -p "$INST/mail/other"
printf '=other:%s:%s:%s:%s/mail/other:::\n.\n' "$(id -un)" "$(id -u)" "$(id -g)" "$INST" > "$INST/users/assign"
"$BIN/newu"
echo ./Mailbox > "$INST/control/defaultdelivery"
kill -HUP "$QM_PID"
ok "HUP is logged" wait_for 10 grep -q "control files reread" "$INST/qm.log"
printf 'Subject: reread\n\nto the new default\n' | qw a@example.org other@localhost
ok "  the new defaultdelivery is used (./Mailbox)" wait_for 10 grep -q "to the new default" "$INST/mail/other/Mailbox"
sp=$(spawner)
kill "$sp"
ok "queue-manager exits when queue-spawn local ends" wait_for 10 eval '! kill -0 "$QM_PID" 2>/dev/null'
wait "$QM_PID"; is "$?" 111 "  with 111"
like "$(cat "$INST/qm.log")" "queue-manager: fatal: queue-spawn local is gone" "  and says why"
QM_PID=

# 700 deliveries that the spawner refuses at once, with room for all of
# them: its replies pile up while queue-manager is still sending requests,
# and neither side may wait for the other for ever
echo 1000 > "$INST/control/concurrencylocal"
rcpts=$(for i in $(seq 700); do printf '.bad%s@localhost ' "$i"; done)
: > "$INST/qm.log"
qm_start
printf 'Subject: many\n\nmany\n' | qw a@example.org $rcpts
ok "700 refusals at once: the message ends" wait_for 60 grep -q "^end msg" "$INST/qm.log"
is "$(grep -c 'failure: Sorry, no mailbox here' "$INST/qm.log")" 700 "  each refused"
qm_stop

nok "usage: no mode" eval '"$BIN/queue-spawn" 2>/dev/null' 
nok "usage: a bad mode" eval '"$BIN/queue-spawn" frob 2>/dev/null' 
done_testing
