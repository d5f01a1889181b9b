#!/bin/bash
# mailstats: exact counts from the svlogd log of a real queue-manager run
# (successes, failures, a deferral, bounces, domains, senders, reasons),
# plots through gnuplot, bad input, and a generated log of more than a
# million lines read in bounded memory.
. "$(dirname "$0")/lib.sh"
inst_new
H=$INST/mail/test
L=$T/qmlog
msg() { printf 'Subject: %s\n\n%s\n' "$1" "${2:-body}"; }
ends() { [ "$(grep -c ' end msg ' "$L/current" 2>/dev/null)" -ge "$1" ]; }

# usage and unreadable input
mailstats -x </dev/null >/dev/null 2>&1
is "$?" 100 "bad option exits 100"
mailstats "$T/nosuchfile" >/dev/null 2>"$T/err"
is "$?" 111 "unreadable log exits 111"
like "$(cat "$T/err")" "unable to read .*nosuchfile" "and names the file"

# a real run: queue-manager's log through svlogd -tt, as its service writes it
printf '|echo no mailbox here; exit 100\n' > "$H/.qmail-fail"
printf '|echo mailbox busy; exit 111\n' > "$H/.qmail-defer"
mkdir -p "$L"
"$BIN/queue-manager" > >(exec svlogd -tt "$L") 2>&1 &
QM_PID=$!
kill_on_exit $QM_PID
for i in 1 2 3; do msg "ok $i" | qw test@localhost test@localhost; done
for i in 1 2; do msg "fail $i" | qw test@localhost test-fail@localhost; done
ok "five messages and two bounces end" wait_for 20 ends 7
msg "later" | qw other@example.org test-defer@localhost
ok "the deferral is logged" wait_for 20 grep -q 'deferral: mailbox busy' "$L/current"
printf './Maildir/\n' > "$H/.qmail-defer"
kill -ALRM "$QM_PID"
ok "the deferred message ends after ALRM" wait_for 20 ends 8
kill -TERM "$QM_PID"; wait "$QM_PID" 2>/dev/null
ok "svlogd wrote the log" wait_for 5 test -s "$L/current"
like "$(head -1 "$L/current")" '^[0-9]{4}-[0-9]{2}-[0-9]{2}_[0-9:.]+ ' "svlogd -tt labels"

out=$(mailstats "$L/current")
is "$?" 0 "mailstats exits 0"
like "$out" $'Completed messages: 8\n' "8 completed messages (6 sent, 2 bounces)"
like "$out" $'Messages queued: 8\n' "8 queued"
like "$out" $'Messages still in the queue: 0\n' "none left"
like "$out" $'Recipients for completed messages: 8\n' "8 recipients"
like "$out" $'Total delivery attempts: 9\n' "9 attempts"
like "$out" '  success: 6 \(local 6, remote 0\)' "6 successes (3, 2 bounces, 1 after the deferral)"
like "$out" '  failure: 2 \(local 2, remote 0\)' "2 failures"
like "$out" '  deferral: 1 \(local 1, remote 0\)' "1 deferral"
like "$out" $'Bounces: 2\n' "2 bounces"
like "$out" ' 6 +2 +1 +[0-9.]+ +[0-9.]+  localhost' "domain localhost: 6 successes, 2 failures, 1 deferral"
like "$out" ' 0 +2 +0 +[0-9.]+ +[0-9.]+  test-fail@localhost' "recipient test-fail: 2 failures"
like "$out" ' 1 +0 +1 +[0-9.]+ +[0-9.]+  test-defer@localhost' "recipient test-defer: 1 success, 1 deferral"
like "$out" '       5 +[0-9]+  test@localhost' "sender test@localhost: 5 messages"
like "$out" '       2 +[0-9]+  <>' "null sender: 2 bounces"
like "$out" '       1 +[0-9]+  other@example.org' "sender other@example.org: 1"
like "$out" '       2  no mailbox here' "failure reason counted twice"
like "$out" '       1  mailbox busy' "deferral reason counted once"
like "$out" 'Distribution of ddelays' "ddelay distribution"
ddist=$(echo "$out" | sed -n '/^Distribution of ddelays/,/^Distribution of qtimes/p' | grep -E '^ +[0-9.]+ +[0-9]+ +[0-9.]+%')
is "$(echo "$ddist" | awk '{n += $2} END {print n}')" 6 "ddist: 6 successes in its bins"
like "$(echo "$ddist" | tail -1)" ' 100.00%$' "ddist ends at 100%"
like "$out" $'Log lines: [0-9]+ \\(not understood 0, cut 0\\)' "every line understood"

# garbage lines are counted, not fatal; a long line is cut
{ cat "$L/current"; echo "2024-01-01_00:00:00.00000 nonsense here"; printf 'x%.0s' $(seq 6000); echo; } > "$T/mixed"
out2=$(mailstats < "$T/mixed")
is "$?" 0 "garbage in the log: still exits 0"
like "$out2" 'not understood 2, cut 1' "two lines not understood, one cut"
like "$out2" $'Completed messages: 8\n' "same counts from stdin"

# plots
if command -v gnuplot >/dev/null; then
  mailstats -o "$T/plots" "$L/current" >/dev/null 2>"$T/gnuplot.err"
  is "$?" 0 "mailstats -o exits 0"
  for p in rate delay queue; do
    like "$(head -c 2000 "$T/plots/$p.svg" 2>/dev/null)" '<svg' "$p.svg is an SVG"
  done
  is "$(grep -vc '^#' "$T/plots/delay.dat")" "$(echo "$out" | sed -n '/^Distribution of ddelays/,/^Distribution of qtimes/p' | grep -cE '^ +[0-9.]+ +[0-9]+ +[0-9.]+%')" "delay.dat has the ddist bins"
else
  skip "gnuplot not installed (gnuplot-nox)"; skip "no gnuplot"; skip "no gnuplot"; skip "no gnuplot"; skip "no gnuplot"
fi

# queue-admin's work in a real run: a deleted message and one bounced by
# the administrator leave the queue, and every line is understood
L2=$T/qmlog2
mkdir -p "$L2"
printf '|echo mailbox busy; exit 111\n' > "$H/.qmail-defer"
"$BIN/queue-manager" > >(exec svlogd -tt "$L2") 2>&1 &
QM_PID=$!
kill_on_exit $QM_PID
msg "to delete" | qw test@localhost test-defer@localhost
msg "to bounce" | qw test@localhost test-defer@localhost
ok "both deferred" wait_for 20 eval '[ "$(grep -c "deferral: mailbox busy" "$L2/current" 2>/dev/null)" -ge 2 ]'
ids=$(q_ids "$INST/queue" | sort -n)
d1=$(echo "$ids" | head -n 1) d2=$(echo "$ids" | sed -n 2p)
queue-admin delete "$d1" >/dev/null
queue-admin bounce "$d2" >/dev/null
ok "the deleted message is forgotten" wait_for 20 grep -q "forget msg $d1\$" "$L2/current"
ok "the bounced one ends" wait_for 20 grep -q "end msg $d2\$" "$L2/current"
kill -TERM "$QM_PID"; wait "$QM_PID" 2>/dev/null
out=$(mailstats "$L2/current")
like "$out" "Messages held or deleted by the administrator: 1" "a deleted message is counted"
like "$out" "Messages bounced by the administrator: 1" "an administrator's bounce is counted"
like "$out" "Messages still in the queue: [01]"$'\n' "the deleted message is not counted as still queued"
like "$out" "not understood 0," "every line of queue-admin's run understood"

# qmail-send's own log, through splogger into a syslog file: the same lines
# understood, alerts counted, splogger's continuations not taken as lines
cat > "$T/maillog" <<'LOG'
Dec  7 10:00:00 mx qmail: 1765101600.000001 status: local 0/10 remote 0/20
Dec  7 10:00:01 mx qmail: 1765101601.000001 new msg 457
Dec  7 10:00:01 mx qmail: 1765101601.000002 info msg 457: bytes 1234 from <a@example.org> qp 99 uid 1000
Dec  7 10:00:01 mx qmail: 1765101601.000003 starting delivery 1: msg 457 to local joe@example.com
Dec  7 10:00:01 mx qmail: 1765101601.000004 status: local 1/10 remote 0/20
Dec  7 10:00:02 mx qmail: 1765101602.000001 delivery 1: success: did_1+0+0/
Dec  7 10:00:02 mx qmail: 1765101602.000002 starting delivery 2: msg 457 to remote bob@far.example
Dec  7 10:00:03 mx qmail: 1765101603.000001 delivery 2: report mangled, will defer
Dec  7 10:00:03 mx qmail: 1765101603.000002 alert: unable to append to bounce message; HELP! sleeping...
Dec  7 10:00:03 mx qmail: 1765101603.000003 warning: unable to utime local/1/457; message will be retried too soon
Dec  7 10:00:04 mx qmail: 1765101604.000001 starting delivery 3: msg 457 to remote bob@far.example
Dec  7 10:00:05 mx qmail: 1765101605.000001 delivery 3: failure: Sorry,_I_couldn't_find_any_host_named_far.example._(#5.1.2)/
Dec  7 10:00:05 mx qmail: 1765101605.000002+and the rest of a long line
Dec  7 10:00:05 mx qmail: 1765101605.000003 bounce msg 457 qp 100
Dec  7 10:00:05 mx qmail: 1765101605.000004 end msg 457
Dec  7 10:00:06 mx qmail: 1765101606.000001 status: exiting
LOG
out=$(mailstats "$T/maillog")
is "$?" 0 "a qmail-send log from syslog: exits 0"
like "$out" "not understood 0," "every qmail-send line understood"
like "$out" "Completed messages: 1"$'\n' "its message completed"
like "$out" "  success: 1 \\(local 1, remote 0\\)" "the success counted"
like "$out" "  deferral: 1 \\(local 0, remote 1\\)" "a mangled report counts as a deferral"
like "$out" "  failure: 1 \\(local 0, remote 1\\)" "the failure counted"
like "$out" "alerts 1" "the alert counted"
like "$out" "Time span \\(days\\): 6.94444e-05" "times taken from splogger's stamps (6 s)"

# a generated log: 1.2 million lines, 240000 messages to 120000 distinct
# recipients (more than the top tables hold), read in bounded memory
gen() {
  awk 'BEGIN {
    for (i = 1; i <= 240000; i++) {
      t = sprintf("2024-03-01_%02d:%02d:%02d.%05d ", int(i / 36000) % 24, int(i / 600) % 60, int(i / 10) % 60, i % 100000)
      print t "new msg " i
      print t "info msg " i ": bytes " (1000 + i % 5000) " from <s" (i % 50) "@example.org> qp " i " uid 0"
      print t "starting delivery " i ": msg " i " to remote r" (i % 120000) "@d" (i % 300) ".example"
      if (i % 100 == 0) print t "delivery " i ": failure: 550_no_such_user/"
      else print t "delivery " i ": success: 250_ok/"
      print t "end msg " i
    } }'
}
/usr/bin/time -v -o "$T/time" mailstats < <(gen) > "$T/big"
is "$?" 0 "the big log: exits 0"
like "$(cat "$T/big")" $'Completed messages: 240000\n' "240000 completed"
like "$(cat "$T/big")" '  failure: 2400 \(local 0, remote 2400\)' "2400 failures"
like "$(cat "$T/big")" $'Log lines: 1200000 ' "1200000 lines read"
like "$(cat "$T/big")" 'more than 4096 distinct' "the recipient table says it is approximate"
rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$T/time")
diag "mailstats max RSS on 1.2 million lines: $rss KB"
if sanitized; then skip "max RSS: not measured under ASan"
else ok "max RSS under 40 MB ($rss KB)" test "${rss:-999999}" -lt 40960; fi
done_testing
