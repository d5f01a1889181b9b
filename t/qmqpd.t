#!/bin/bash
# qmqpd: one QMQP package per connection (over tcpserver and on stdin),
# one K/Z/D response, and what lands in the queue; bad input.
. "$(dirname "$0")/lib.sh"
inst_new
. "$(dirname "$0")/qmtp-lib.sh"
QM=qmqpd
QM_ENV=RELAYCLIENT=          # direct runs: a client the rules name
LOG=$T/qmqpd.log
printf '127.0.0.1:allow,RELAYCLIENT=""\n' | tcprules "$T/qmqp.cdb" "$T/qmqp.tmp"
serve "$LOG" -x "$T/qmqp.cdb"

# ---- one message; no relay check; the server answers once and hangs up ----
printf 'Subject: one\n\nbody line\n' >"$T/msg"
r=$(qmqp pkg a@example.org test@localhost x@evil.example <"$T/msg" | qmqp send "$PORT" hold)
like "$r" '^Kok [0-9]+ qp [0-9]+' "a good package is accepted (K)"
like "$r" $'\nCLOSED$' "one response, then the server closes the connection"
is "$(nmsg)" 1 "one message in queue/mess"
id=$(ids)
like "$(sed -n 2,3p "$Q/mess/$id" | tr '\n\t' '  ')" '^Received: from unknown \(\[127\.0\.0\.1\]\)  by localhost \(quail qmqpd\) with QMQP; ' "Received line names the client and QMQP"
is "$(tail -n +4 "$Q/mess/$id")" "$(cat "$T/msg")" "message stored unchanged below the Received lines"
is "$(envof "$id")" 'Fa@example.org\0Ttest@localhost\0Tx@evil.example\0\0' "envelope as sent: no rcpthosts check in QMQP"
like "$(cat "$LOG")" "qmqpd: pid [0-9]+ from 127\.0\.0\.1: accepted from=<a@example\.org> to=<test@localhost> to=<x@evil\.example> size=$(wc -c <"$T/msg" | tr -d ' ') qp=[0-9]+" "log line in smtpd's format"

# ---- only the clients the rules name (RELAYCLIENT set): anyone else, or
# qmqpd run without rules, gets D 5.7.1 before any of its package is read ----
clearq
printf 'x\n' | qmqp pkg s@example.org test@localhost >"$T/in"
QM_ENV= direct
is "$RC:$(responses)" '0:Dsorry, this client may not use QMQP: RELAYCLIENT is not set for it (#5.7.1)|' "no RELAYCLIENT (no rules, or a rule without it): D 5.7.1"
ok "no RELAYCLIENT: nothing queued" queue_clean
like "$(cat "$T/err")" 'qmqpd: pid [0-9]+ from 127\.0\.0\.1: refused reason=sorry, this client may not use QMQP' "no RELAYCLIENT: logged"
printf '127.0.0.1:allow\n' | tcprules "$T/plain.cdb" "$T/plain.tmp"
serve "$T/plain.log" -x "$T/plain.cdb"
r=$(printf 'x\n' | qmqp pkg s@example.org x@evil.example | qmqp send "$PORT")
like "$r" '^Dsorry, this client may not use QMQP' "a rule that allows without RELAYCLIENT: D 5.7.1"
ok "that client: nothing queued" queue_clean
serve "$LOG" -x "$T/qmqp.cdb"

# ---- a bare CR or a NUL: D 5.6.0 (smtpd's rule; smtpnormalize makes the
# CR a line end); CR LF stored as LF ----
answer_msg() { # NAME EXPECTED-REGEX MESSAGE(printf)
  clearq
  printf "$3" | qmqp pkg s@example.org test@localhost >"$T/in"
  direct
  like "$RC:$(responses)" "$2" "$1"
}
answer_msg "bare CR before a dot: D 5.6.0" '^0:Dsorry, a bare CR in the message: lines must end with LF \(#5\.6\.0\)\|$' 'Subject: s\n\nhello\r.\r\nMAIL FROM:<x@example.org>\n'
ok "bare CR: nothing queued" queue_clean
answer_msg "NUL before a dot: D 5.6.0" '^0:Dsorry, the message holds a NUL byte \(#5\.6\.0\)\|$' 'Subject: s\n\nhello\n\0.\nx\n'
ok "NUL: nothing queued" queue_clean
answer_msg "CR LF: accepted" '^0:Kok ' 'Subject: s\r\n\r\nline\r\n'
is "$(tail -n +4 "$Q/mess/$(ids)" | od -An -c | tr -d ' \n')" 'Subject:s\n\nline\n' "CR LF stored as LF"
echo 1 >"$INST/control/smtpnormalize"
answer_msg "smtpnormalize: bare CR accepted" '^0:Kok ' 'Subject: s\n\nhello\r.\r\nMAIL FROM:<x@example.org>\n'
is "$(tail -n +4 "$Q/mess/$(ids)" | od -An -c | tr -d ' \n')" 'Subject:s\n\nhello\n.\nMAILFROM:<x@example.org>\n' "smtpnormalize: stored as LF"
answer_msg "smtpnormalize: NUL still refused" '^0:Dsorry, the message holds a NUL byte' 'a\0b\n'
rm -f "$INST/control/smtpnormalize"

# ---- databytes (smtpd's 50 MiB default): judged on the message's length
# before a byte of it reaches a queue program; the package is read to its
# end and answered D ----
printf '#!/bin/sh\nwc -c >>"%s/qqbytes"; exit 71\n' "$T" >"$T/qqcount"; chmod +x "$T/qqcount"
clearq
rm -f "$T/qqbytes"
$PY -c 'import sys
def ns(b): return str(len(b)).encode() + b":" + b + b","
m = b"Subject: big\n\n" + (b"x" * 1023 + b"\n") * (60 * 1024)
sys.stdout.buffer.write(ns(ns(m) + ns(b"s@example.org") + ns(b"x@evil.example")))' >"$T/in"
direct_env QMAILQUEUE="$T/qqcount"
is "$RC:$(responses)" '0:Dsorry, that message size exceeds my databytes limit (#5.3.4)|' "60 MiB, no control/databytes: D 5.3.4"
ok "60 MiB: no queue program started (none of it written anywhere)" test ! -e "$T/qqbytes"
ok "60 MiB: nothing queued, nothing in tmp/" queue_clean
like "$(cat "$T/err")" 'rejected from=<s@example\.org> size=62914574 reason=sorry, that message size exceeds' "60 MiB: logged with its size"
echo 1000 >"$INST/control/databytes"
head -c 1001 /dev/zero | tr '\0' a | qmqp pkg s@example.org test@localhost >"$T/in"
direct_env QMAILQUEUE="$T/qqcount"
is "$RC:$(responses)" '0:Dsorry, that message size exceeds my databytes limit (#5.3.4)|' "control/databytes 1000, 1001 bytes: D 5.3.4"
ok "1001 bytes: no queue program started" test ! -e "$T/qqbytes"
head -c 1000 /dev/zero | tr '\0' a | qmqp pkg s@example.org test@localhost >"$T/in"
direct
like "$RC:$(responses)" '^0:Kok ' "control/databytes 1000, 1000 bytes: accepted"
rm -f "$INST/control/databytes"

# ---- the null sender; a message on one 6.7 MB line ----
clearq
head -c 5000000 /dev/urandom | base64 -w 0 >"$T/big"
r=$(qmqp pkg '' test@localhost <"$T/big" | qmqp send "$PORT")
like "$r" '^Kok ' "null sender, 6.7 MB line: accepted"
cmp -s <(tail -n +4 "$Q/mess/$(ids)") "$T/big"
is "$?" 0 "6.7 MB line stored byte for byte"
is "$(envof "$(ids)")" 'F\0Ttest@localhost\0\0' "null sender stored"

# ---- the queue program's verdict ----
clearq
printf 'x\n' | qmqp pkg s@example.org test@localhost >"$T/in"
direct_env QMAILQUEUE="$T/qq71"
is "$RC:$(responses)" '0:Zmail server temporarily refuses the message (#4.3.0)|' "queue program exit 71: Z"
direct_env QMAILQUEUE="$T/qq31"
is "$RC:$(responses)" '0:Dmail server permanently refuses the message (#5.3.0)|' "queue program exit 31: D"
like "$(cat "$T/err")" 'rejected from=<s@example\.org> to=<test@localhost> size=2 reason=mail server permanently' "refusal logged"
ok "refused by the queue program: nothing queued" queue_clean

# ---- addresses we cannot pass on; no recipients ----
answer() { # NAME EXPECTED-REGEX PKG-ARGS...
  local name=$1 want=$2; shift 2
  clearq
  printf 'x\n' | qmqp pkg "$@" >"$T/in"
  direct
  like "$RC:$(responses)" "$want" "$name"
  ok "$name: nothing queued" queue_clean
}
answer "NUL in the sender" "^0:Dsorry, I can't accept addresses like that \(#5\.1\.3\)\|$" 'a\x00b@example.org' test@localhost
answer "LF in a recipient" "^0:Dsorry, I can't accept addresses like that" s@example.org 'te\nst@localhost'
answer "1200-byte recipient" "^0:Dsorry, I can't accept addresses like that" s@example.org test@localhost "$(head -c 1200 /dev/zero | tr '\0' r)@localhost"
answer "no recipients" '^0:Dsorry, the message has no recipients \(#5\.5\.1\)\|$' s@example.org

# ---- malformed packages: hang up, answer nothing, queue nothing ----
bad "no colon" 'abc' 'malformed netstring'
bad "empty package" '0:,'
bad "length of 23 digits" '99999999999999999999999:x' 'netstring too long'
bad "no comma after the message" '25:4:abcd;3:a@b,9:x@example,,'
bad "message longer than the package" '10:40:abcdefgh,,'
bad "no comma after the package" '25:4:abcd,3:a@b,9:x@example,;'
bad "closed inside the package" '25:4:abcd,3:a@b,9:x@ex' 'closed the connection inside the package'
clearq
printf '4294967296:1000:Subject: big\n' >"$T/in"
RC=$(limit_vm 65536 && TCPREMOTEIP=127.0.0.1 RELAYCLIENT= "$BIN/qmqpd" <"$T/in" 2>"$T/err" >"$T/out"; echo $?)
is "$RC" 100 "4 GB length under a 64 MB limit: exit 100 when the client leaves (nothing allocated)"
like "$(cat "$T/err")" 'closed the connection inside the package' "4 GB length: streamed, not allocated"
ok "4 GB length: nothing queued" queue_clean

# ---- a connection that sends nothing ----
: >"$T/in"
direct
is "$RC:$(cat "$T/out")" "0:" "empty connection: exit 0, nothing said"

# ---- a client that stalls: control/timeoutsmtpd ----
stalled '50:20:Subject: slow' "$LOG"

# ---- the service's run script, as mkinstance fills it in ----
service_start QMQP_PORT
r=$(printf 'x\n' | qmqp pkg s@example.org x@evil.example | qmqp send "$SP")
like "$r" '^Kok ' "run script: qmqpd on QMQP_PORT"
is "$(grep -v "^#" "$T/svc/control/tcp.qmqp")" $'127.:allow,RELAYCLIENT=""
::1:allow,RELAYCLIENT=""
:deny' "run script: default rules allow loopback (127. and ::1) only, and name them with RELAYCLIENT"
is "$(ls "$T/svc/queue/mess" | grep -vc env)" 1 "run script: the message is in that instance's queue"

# ---- unreadable control file; usage ----
mkdir "$INST/control/timeoutsmtpd"
printf 'x\n' | qmqp pkg s@example.org test@localhost >"$T/in"
direct
is "$RC:$(cat "$T/out")" "111:" "unreadable control/timeoutsmtpd: exit 111, no response"
like "$(cat "$T/err")" 'unable to read control/timeoutsmtpd' "unreadable control file named"
rmdir "$INST/control/timeoutsmtpd"
"$BIN/qmqpd" extra </dev/null >/dev/null 2>"$T/err"
is "$?" 100 "an argument: usage, exit 100"
done_testing
