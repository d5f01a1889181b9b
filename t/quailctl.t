#!/bin/bash
# covers cmd/quailctl.sh
# quailctl against a runsvdir started here on a test instance's service/:
# usage, refusal without runsvdir, status, flush, reload, stop, start,
# restart.
. "$(dirname "$0")/lib.sh"
SMTP_PORT=$(free_port) POP3_PORT=$(free_port) QMTP_PORT=$(free_port) QMQP_PORT=$(free_port)
SUBMISSION_PORT=$(free_port) SMTPS_PORT=$(free_port) POP3S_PORT=$(free_port)
export SMTP_PORT POP3_PORT QMTP_PORT QMQP_PORT SUBMISSION_PORT SMTPS_PORT POP3S_PORT
inst_new
H=$INST/mail/test
S=$INST/service
LOG=$INST/log/queue-manager/current
RSV=
# runsvdir's HUP stops every runsv and its service before the usual cleanup
trap '[ -n "$RSV" ] && kill -HUP "$RSV" 2>/dev/null && wait "$RSV" 2>/dev/null; _cleanup' EXIT
smtp_up() { $PY -c "import socket,sys; s=socket.create_connection(('127.0.0.1',$SMTP_PORT),2); sys.exit(0 if s.recv(100).startswith(b'220') else 1)" 2>/dev/null; }
nsvc=$(ls "$INST/service" | wc -l)
all_run() { [ "$(quailctl status 2>/dev/null | grep -c '^run: ')" -ge $((2 * nsvc)) ]; }
all_down() { [ "$(quailctl status 2>/dev/null | grep -c "^down: $S/[a-z0-9-]*:")" = "$nsvc" ]; }
qm_pid() { sv status "$S/queue-manager" | sed -n 's/^run: [^(]*(pid \([0-9]*\)).*/\1/p'; }

quailctl >/dev/null 2>&1
is "$?" 100 "no argument: usage, 100"
quailctl bogus 2>"$T/err"
is "$?" 100 "unknown command: usage, 100"
like "$(cat "$T/err")" "usage: quailctl start\|stop" "usage text"
out=$(quailctl status 2>&1)
is "$?" 111 "status without runsvdir: 111"
like "$out" "^supervision: none" "status says nothing supervises"

# --- no systemd, nothing supervising: quailctl starts runsvdir itself
if [ -d /run/systemd/system ]; then
  for i in $(seq 13); do skip "systemd runs this machine: start would ask it"; done
else
  quailctl start </dev/null >"$T/out" 2>&1
  is "$?" 0 "start without supervision: exit 0"
  ok "start: every service and log runs" wait_for 15 all_run
  pid=$(cat "$S/.runsvdir.pid" 2>/dev/null)
  is "$(cat "/proc/$pid/comm" 2>/dev/null)" runsvdir "its pid file names the runsvdir"
  is "$(ps -o sid= -p "$pid" | tr -d ' ')" "$pid" "runsvdir leads a session of its own (detached)"
  like "$(quailctl status)" "^supervision: runsvdir started by quailctl \\(pid $pid\\)" "status says quailctl started it"
  ok "smtpd answers" wait_for 10 smtp_up
  ok "the services keep their logs" wait_for 10 test -s "$INST/log/smtpd/current"
  quailctl stop
  is "$?" 0 "stop exits 0"
  nok "stop: runsvdir is gone" test -d "/proc/$pid"
  is "$(for p in $(pgrep -x runsv); do readlink /proc/$p/cwd; done | grep -c "^$S/")" 0 "stop: no runsv is left"
  nok "stop: smtpd no longer answers" smtp_up
  nok "stop: the pid file is gone" test -e "$S/.runsvdir.pid"
  quailctl restart >/dev/null 2>&1
  ok "restart with nothing supervising starts" wait_for 15 all_run
  quailctl stop
fi

runsvdir -P "$S" >/dev/null 2>&1 &
RSV=$!
ok "every service and log runs" wait_for 15 all_run
out=$(quailctl status)
is "$?" 0 "status exits 0"
like "$out" "^run: $S/queue-manager: \(pid [0-9]+\)" "status: queue-manager runs"
like "$out" "run: $S/smtpd: \(pid [0-9]+\)" "status: smtpd runs"
like "$out" "run: $S/smtpd/log: \(pid [0-9]+\)" "status: smtpd's log runs"
like "$out" "messages in queue: 0" "status: queue-stat's count"
ok "smtpd answers" wait_for 10 smtp_up

# flush: a deferred message is retried at once
cat > "$H/.qmail-retry" <<'Q'
|if [ -e "$HOME/seen" ]; then exit 0; fi; touch "$HOME/seen"; echo "not yet"; exit 111
Q
printf 'Subject: flush me\n\nx\n' | qw a@example.org test-retry@localhost
ok "first attempt deferred" wait_for 10 grep -q "deferral: not yet" "$LOG"
like "$(quailctl status)" "messages in queue: 1" "status counts the waiting message"
quailctl flush
is "$?" 0 "flush exits 0"
ok "flush: the retry succeeds" wait_for 10 grep -q "success: " "$LOG"
ok "and the queue is empty" wait_for 5 queue_empty

# reload: queue-manager rereads control/concurrencylocal
echo 3 > "$INST/control/concurrencylocal"
quailctl reload
is "$?" 0 "reload exits 0"
printf 'Subject: after reload\n\nx\n' | qw a@example.org test@localhost
ok "reload: the new concurrency is in the status lines" wait_for 10 grep -q "status: local [0-9]*/3 " "$LOG"

# stop, start, restart
quailctl stop
is "$?" 0 "stop exits 0"
ok "stop: every service down" wait_for 15 all_down
nok "stop: smtpd no longer answers" smtp_up
like "$(quailctl status)" "run: $S/queue-manager/log:" "stop leaves the logs running"
quailctl start
is "$?" 0 "start exits 0"
ok "start: every service runs again" wait_for 15 all_run
ok "start: smtpd answers again" wait_for 10 smtp_up
p1=$(qm_pid)
logpid() { sv status "$S/queue-manager/log" | sed -n 's/^run: [^(]*(pid \([0-9]*\)).*/\1/p'; }
l1=$(logpid)
quailctl restart >/dev/null
is "$?" 0 "restart exits 0"
wait_for 15 all_run
p2=$(qm_pid)
ok "restart: a new queue-manager ($p1 -> $p2)" test -n "$p2" -a "$p1" != "$p2"
wait_for 10 eval '[ -n "$(logpid)" ]'
l2=$(logpid)
ok "restart: a new log service too, which reads control/logto ($l1 -> $l2)" test -n "$l2" -a "$l1" != "$l2"
done_testing
