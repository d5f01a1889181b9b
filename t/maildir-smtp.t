#!/bin/bash
# maildir-smtp: a Maildir of held mail pushed over SMTP (serialmail's
# maildirsmtp), removing only what the peer took, bouncing what it refused.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dnsmasq-lib.sh"
inst_new
HOLD=$T/hold
maildirmake "$HOLD"
held() { # NAME SENDER RECIPIENT [BODY]
  printf 'Return-Path: <%s>\nDelivered-To: %s\nFrom: %s\nSubject: %s\n\n%s\n' "$2" "$3" "$2" "$1" "${4:-body}" > "$HOLD/new/$1"
  touch -d "@$((1700000000 + ${#1}))" "$HOLD/new/$1"
}
held m1 a@quail.test alias-dial-joe@dial.test '.dot line'
held m2 "" alias-dial-ann@dial.test
held m3 a@quail.test alias-dial-bad@dial.test
held m4 a@quail.test other-joe@dial.test
held m5 a@quail.test alias-dial-tmpx@dial.test
PORT=$(free_port)
peer_start p 127.0.0.1 "$PORT"

maildir-smtp "$HOLD" alias-dial- "127.0.0.1:$PORT" hold.test 2>"$T/err"
is "$?" 111 "a message left behind: exit 111"
log=$(peer_log p)
like "$log" '^EHLO hold.test' "HELOHOST used"
like "$log" 'MAIL FROM:<a@quail.test>' "the sender from Return-Path"
like "$log" 'RCPT TO:<joe@dial.test>' "the recipient from Delivered-To, prefix removed"
like "$log" 'MAIL FROM:<>' "the null sender kept"
like "$log" 'RCPT TO:<ann@dial.test>' "second message in the same session"
is "$(grep -c '^EHLO' "$T/p.log")" 1 "one session for all of them"
is "$(cat "$T/p.log.1")" "$(printf 'From: a@quail.test\r\nSubject: m1\r\n\r\n..dot line\r')" \
  "Return-Path and Delivered-To dropped, CRLF and dot-stuffing on the wire"
ok "m1 removed after 250" test ! -e "$HOLD/new/m1"
ok "m2 removed after 250" test ! -e "$HOLD/new/m2"
ok "m3 (550) removed" test ! -e "$HOLD/new/m3"
env=$(q_cat "$INST/queue" 2>/dev/null | tr '\0' '|')
is "$env" 'F|Ta@quail.test||' "m3 bounced to its sender through the queue"
like "$(cat "$INST"/queue/mess/[0-9]*[0-9] 2>/dev/null)" 'Diagnostic-Code: smtp; 550 5.1.1 no such user here' "the bounce quotes the peer"
ok "m4 (other prefix) left alone" test -e "$HOLD/new/m4"
like "$(cat "$T/err")" 'm4: skipped: no Return-Path and Delivered-To lines with the prefix' "and said so"
like "$(cat "$T/err")" 'm1: delivered: 250 ok message 1' "one line per message"

# temporary refusals stay; "-" talks over fds 0 and 1 (here under tcpclient,
# which asks no name server with -R -H -l 0)
rm -f "$HOLD/new/m4"
peer_stop p
peer_start q 127.0.0.1 "$PORT" rcpt=450
held m6 a@quail.test alias-dial-badx@dial.test
tcpclient -R -H -l 0 127.0.0.1 "$PORT" sh -c 'exec "$0" "$@" <&6 >&7' "$BIN/maildir-smtp" "$HOLD" alias-dial- - 2>"$T/err"
is "$?" 111 "under tcpclient: exit 111 for the deferred message"
like "$(cat "$T/err")" 'm6: deferred: 450 4.2.1 try later' "450: deferred"
ok "m6 kept" test -e "$HOLD/new/m6"
like "$(peer_log q)" 'RCPT TO:<badx@dial.test>' "the session ran over the inherited connection"
ok "m5 was delivered in the first run" test ! -e "$HOLD/new/m5"

# nothing to do, bad use, no server
rm -f "$HOLD/new/m6"
maildir-smtp "$HOLD" alias-dial- "127.0.0.1:1" 2>/dev/null
is "$?" 0 "an empty Maildir: exit 0 without connecting"
held m7 a@quail.test alias-dial-joe@dial.test
peer_stop q
maildir-smtp -t 2 "$HOLD" alias-dial- "127.0.0.1:$PORT" 2>"$T/err"
is "$?" 111 "no server: exit 111"
like "$(cat "$T/err")" "unable to connect to 127.0.0.1:$PORT: Connection refused" "and says so"
ok "m7 kept" test -e "$HOLD/new/m7"
maildir-smtp "$HOLD" 2>"$T/err"
is "$?" 100 "too few arguments: 100"
like "$(cat "$T/err")" 'usage: maildir-smtp' "usage line"
maildir-smtp "$T/nonexistent" p x 2>"$T/err"
is "$?" 111 "a missing Maildir: 111"

# ETRN to smtpd (RFC 1985): flush the queue and push the domain's Maildir
# to the domain's own route (smtproutes), never to whoever asked. The asker
# is on one loopback address with a listener on port 25 (as root) and on
# the route's port; the route is a listener on another address.
net_pick
held m8 a@quail.test alias-dial-etrn@dial.test
printf 'dial.test:%s:alias-dial-\nnoroute.test:%s:alias-dial-\n' "$HOLD" "$HOLD" > "$INST/control/etrndomains"
SPORT=$(free_port) RPORT=$(free_port)
printf 'other.test:%s.6:%s\ndial.test:[%s.7]:%s:dsl\n:%s.6:%s\n' "$NET" "$RPORT" "$NET" "$RPORT" "$NET" "$RPORT" > "$INST/control/smtproutes"
tcpserver -v -R -H -l localhost "$NET.5" "$SPORT" "$BIN/smtpd" > "$T/smtpd.log" 2>&1 &
kill_on_exit $!
wait_for 5 grep -q 'status: 0/' "$T/smtpd.log"
peer_start route "$NET.7" "$RPORT"
peer_start asker "$NET.6" "$RPORT"
if [ "$(id -u)" = 0 ]; then peer_start asker25 "$NET.6" 25; fi
exec 7<>"$INST/queue/lock/trigger"
etrn() {
  $PY - "$NET.6" "$NET.5" "$SPORT" "$@" <<'PY'
import socket, sys
s = socket.socket(); s.bind((sys.argv[1], 0)); s.connect((sys.argv[2], int(sys.argv[3])))
f = s.makefile('rb')
def cmd(c):
    if c: s.sendall(c.encode() + b'\r\n')
    while True:
        l = f.readline().decode().rstrip()
        if l[3:4] != '-': return l
print(cmd(None)); print(cmd('EHLO client.test'))
for c in sys.argv[4:] + ['QUIT']: print(cmd(c))
PY
}
out=$(etrn 'ETRN dial.test' 'ETRN other.test' 'ETRN')
like "$out" '250 2.0.0 queuing started' "ETRN for a domain in etrndomains: 250 (no relay, no AUTH)"
like "$out" '459 5.7.1 ETRN is not allowed for that domain' "ETRN for another domain: 459"
like "$out" '501 5.5.2 ETRN needs a domain' "ETRN without a domain: 501"
read -t 2 -r trig <&7
is "$trig" flush "ETRN wrote flush to the trigger"
ok "the held message was pushed" wait_for 10 test ! -e "$HOLD/new/m8"
like "$(peer_log route)" 'RCPT TO:<etrn@dial.test>' "it went to the domain's route in smtproutes ([$NET.7]:port)"
is "$(peer_log asker)" "" "the asker's address got nothing on the route's port"
if [ "$(id -u)" = 0 ]; then
  is "$(peer_log asker25)" "" "the asker's address got nothing on port 25"
else
  skip "a listener on the asker's port 25 needs root"
fi
# a domain without a route line of its own: flushed, nothing pushed (the
# default route and other domains' routes are not the domain's own)
held m9 a@quail.test alias-dial-etrn2@dial.test
out=$(etrn 'ETRN noroute.test')
like "$out" '250 2.0.0 queuing started' "ETRN for a domain without a route: 250"
like "$(cat "$T/smtpd.log")" 'etrn no route in control/smtproutes for the domain: not pushed' "no route: logged, not pushed"
ok "no route: the held message stays" test -e "$HOLD/new/m9"
unlike "$(peer_log asker)" 'etrn2@' "no route: the asker got nothing"
exec 7<&-
done_testing
