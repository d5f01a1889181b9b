#!/bin/bash
# POP3 with the clients people use: python3's poplib (USER/PASS, APOP,
# STLS), curl, and fetchmail pulling a mailbox into another instance
# through quail's own sendmail (a machine on an intermittent link).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pop3d-lib.sh"
command -v tcpserver >/dev/null || skip_all "tcpserver (ucspi-tcp) is needed"
POP3_PORT=$(free_port)
export POP3_PORT                    # for mkinstance: the service's port
inst_new
make_cert || skip_all "openssl is needed to make a test certificate"
pop3_setup
qm_start
# mail for test, delivered the real way: sendmail, queue-manager, deliver-local
send() { local n; n=$(md_count "$MD"); printf "$2" | "$BIN/sendmail" -oi -f sender@example.org test@localhost && wait_for 10 md_has "$MD" $((n + 1)); }
send 1 'Subject: plain\n\nHello.\n'
send 2 'Subject: dots\n\n.\n..\n.leading dot\nnot . first\n'
send 3 "Subject: 8bit\n\n$(printf 'caf\xc3\xa9 \xff\x80 bytes')\n"
send 4 "Subject: long\n\n$(head -c 5000 /dev/zero | tr '\0' L)\n"
send 5 "Subject: big\n\n$(head -c 1500000 /dev/urandom | base64 -w 76)\n"
is "$(md_count "$MD")" 5 "five messages delivered by sendmail and queue-manager"
printf 'the apop secret\n' | "$BIN/quail-passwd" apop test
# the instance's own service: run/pop3d/run as mkinstance filled it in
PORT=$POP3_PORT
PLOG=$INST/pop3.log
"$INST/service/pop3d/run" >>"$PLOG" 2>&1 &
kill_on_exit $!
wait_for 5 grep -q 'status: 0/' "$PLOG" || { echo "Bail out! service/pop3d/run did not start"; exit 1; }
is "$(grep -v '^#' "$INST/control/tcp.pop3")" '127.:allow,AUTHPLAINTEXT=""
::1:allow,AUTHPLAINTEXT=""
:allow' "service/pop3d/run: default rules, plaintext from loopback (127. and ::1)"
ok "service/pop3d/run: the rules compiled" test -s "$INST/control/tcp.pop3.cdb"

# --- python3 poplib: every message comes back as it lies in the Maildir
cat > "$T/pop-client.py" <<'EOF'
import os, poplib, ssl, sys
port, pw, md, mode = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
poplib._MAXLINE = 100000          # one message has a line of 5000 bytes
p = poplib.POP3("127.0.0.1", port, timeout=20)
if mode == "apop":
    p.apop("test", "the apop secret")
elif mode == "apop-wrong":
    try:
        p.apop("test", "not the secret")
        print("accepted")
    except poplib.error_proto as e:
        print(e.args[0].decode())
    sys.exit(0)
else:
    if mode == "stls":
        ctx = ssl.create_default_context(cafile=os.environ["CERT"])
        ctx.check_hostname = False
        print(p.stls(ctx).decode())
    p.user("test")
    p.pass_(pw)
count, octets = p.stat()
sizes = dict(l.decode().split() for l in p.list()[1])
uidls = dict(l.decode().split() for l in p.uidl()[1])
files = {}
for f in os.listdir(md + "/cur"):
    files[f.split(",")[0].split(":")[0]] = open(md + "/cur/" + f, "rb").read()
same = right_size = 0
for n in range(1, count + 1):
    resp, lines, got = p.retr(n)
    body = b"\n".join(lines) + b"\n"
    same += body == files[uidls[str(n)]]
    right_size += got == int(sizes[str(n)])
print("stat %d %d" % (count, octets))
print("same %d sizes %d uidls %d" % (same, right_size, len(set(uidls.values()))))
print("top " + repr(p.top(2, 1)[1]))
p.quit()
EOF
out=$($PY "$T/pop-client.py" "$PORT" "$PW" "$MD" user 2>&1)
like "$out" '^stat 5 [0-9]+$' "poplib USER/PASS: STAT"
is "$(echo "$out" | grep '^same')" "same 5 sizes 5 uidls 5" "poplib: every RETR is the Maildir file, octets = LIST, 5 distinct UIDLs"
like "$(echo "$out" | grep '^top')" "b'Subject: dots', b'', b'.'\]$" "poplib: TOP 2 1, dot-stuffing undone by the client"
out=$($PY "$T/pop-client.py" "$PORT" x "$MD" apop 2>&1)
is "$(echo "$out" | grep '^same')" "same 5 sizes 5 uidls 5" "poplib APOP with the stored secret"
is "$($PY "$T/pop-client.py" "$PORT" x "$MD" apop-wrong 2>&1)" "-ERR [AUTH] authentication failed" "poplib APOP with another secret: refused"
out=$(CERT=$T/cert.pem $PY "$T/pop-client.py" "$PORT" "$PW" "$MD" stls 2>&1)
is "$(echo "$out" | head -1)" "+OK begin TLS negotiation" "poplib STLS, the certificate checked"
is "$(echo "$out" | grep '^same')" "same 5 sizes 5 uidls 5" "poplib over TLS: every message whole"

# --- curl
out=$(curl -s "pop3://127.0.0.1:$PORT/" -u "test:$PW" | tr -d '\r'); rc=$?
is "$(echo "$out" | wc -l)" 5 "curl: the list has five lines"
like "$(echo "$out" | head -1)" '^1 [0-9]+$' "curl: LIST"
curl -s "pop3://127.0.0.1:$PORT/2" -u "test:$PW" | tr -d '\r' > "$T/got2"
is "$(md5sum < "$T/got2")" "$(cat "$(md_grep "$MD" '^Subject: dots')" | md5sum)" "curl RETR 2: the message, dots and all"
curl -s "pop3://127.0.0.1:$PORT/5" -u "test:$PW" | tr -d '\r' > "$T/got5"
is "$(md5sum < "$T/got5")" "$(cat "$(md_grep "$MD" '^Subject: big')" | md5sum)" "curl RETR 5: 2 MB whole"
curl -s --login-options 'AUTH=+APOP' "pop3://127.0.0.1:$PORT/1" -u 'test:the apop secret' | tr -d '\r' > "$T/got1"
like "$(cat "$T/got1")" 'Hello\.' "curl with APOP"
curl -s --ssl-reqd --cacert "$T/cert.pem" --resolve "localhost:$PORT:127.0.0.1" "pop3://localhost:$PORT/3" -u "test:$PW" \
  | tr -d '\r' > "$T/got3"
is "$(md5sum < "$T/got3")" "$(cat "$(md_grep "$MD" '^Subject: 8bit')" | md5sum)" "curl --ssl-reqd (STLS, the certificate checked): 8-bit bytes whole"
curl -s "pop3://127.0.0.1:$PORT/1" -u "test:wrong" >/dev/null; rc=$?
is "$rc" 67 "curl with a wrong password: login denied (67)"
curl -s -X DELE -I "pop3://127.0.0.1:$PORT/1" -u "test:$PW"; rc=$?
is "$rc" 0 "curl DELE 1"
is "$(md_count "$MD")" 4 "curl DELE 1 and QUIT: one message fewer"
ok "the right one went" test -z "$(md_grep "$MD" '^Subject: plain')"

# --- fetchmail: the mailbox pulled into a second instance (the machine on
# the intermittent link) through that instance's sendmail
B=$T/inst-b
"$BIN/mkinstance" "$B" client.example >/dev/null || { echo "Bail out! mkinstance failed"; exit 1; }
QUAIL_HOME=$B "$BIN/queue-manager" >>"$B/qm.log" 2>&1 &
kill_on_exit $!
mkdir -p "$T/fm"
cat > "$T/fm/rc" <<EOF
set no syslog
poll 127.0.0.1 with protocol pop3 and port $PORT:
  user "test" there with password "$PW" is "test@client.example" here
  sslcertck sslcertfile "$T/cert.pem" sslcommonname localhost
  mda "$B/bin/sendmail -oi -f %F %T"
EOF
chmod 600 "$T/fm/rc"
fm() { QUAIL_HOME=$B FETCHMAILHOME=$T/fm HOME=$T/fm fetchmail -v -f "$T/fm/rc" >"$T/fm.out" 2>&1; }
if command -v fetchmail >/dev/null; then
  fm; rc=$?
  is "$rc" 0 "fetchmail: exit 0" || diag "$(tail -20 "$T/fm.out")"
  like "$(cat "$T/fm.out")" 'upgrade to TLS succeeded' "fetchmail used STLS and checked the certificate"
  wait_for 10 md_has "$B/mail/test/Maildir" 4
  is "$(md_count "$B/mail/test/Maildir")" 4 "fetchmail: four messages delivered in the second instance"
  is "$(md_count "$MD")" 0 "fetchmail: the server's mailbox is empty (DELE, QUIT)"
  ok "fetchmail: the big one arrived whole" test -n "$(md_grep "$B/mail/test/Maildir" '^Subject: big')"
  like "$(md_cat "$B/mail/test/Maildir")" '^Return-Path: <sender@example.org>' "fetchmail: the envelope sender kept (-f %F)"
  send 6 'Subject: later\n\nagain\n'
  fm; rc=$?
  is "$rc" 0 "fetchmail again: exit 0"
  wait_for 10 md_has "$B/mail/test/Maildir" 5
  is "$(md_count "$B/mail/test/Maildir")" 5 "fetchmail again: only the new message, no duplicates"
  fm; rc=$?
  is "$rc" 1 "fetchmail with nothing to fetch: exit 1 (no mail)"
else
  for i in $(seq 9); do skip "fetchmail is not installed"; done
fi
done_testing
