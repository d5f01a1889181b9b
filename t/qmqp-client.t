#!/bin/bash
# qmqp-client: a host without a queue hands its mail to a hub over QMQP;
# the hub runs qmqpd under tcpserver, and what lands in its queue is
# checked; servers that are down, slow, refusing or talking nonsense.
. "$(dirname "$0")/lib.sh"
inst_new                        # the hub
Q=$INST/queue
CL=$T/client                    # the null client: only control/
mkdir -p "$CL/control"

# a fake QMQP server: records each package it reads in RECORD, then
# answers with the netstring TEXT, or says nothing ("-close": hang up,
# "-silent": keep the connection open); the port goes to PORTFILE
cat > "$T/fake.py" <<'EOF'
import socket, sys, time
host, portfile, record, mode = sys.argv[1:5]
fam = socket.AF_INET6 if ':' in host else socket.AF_INET
s = socket.socket(fam); s.bind((host, 0)); s.listen(5)
open(portfile + '.tmp', 'w').write(str(s.getsockname()[1]))
import os; os.rename(portfile + '.tmp', portfile)
while True:
    c, _ = s.accept(); c.settimeout(20)
    data = b''
    while b':' not in data: data += c.recv(65536)
    need = int(data[:data.index(b':')]) + len(data[:data.index(b':')]) + 2
    while len(data) < need:
        b = c.recv(65536)
        if not b: break
        data += b
    open(record, 'ab').write(data)
    if mode == '-silent': time.sleep(30)
    elif mode != '-close': c.sendall(str(len(mode)).encode() + b':' + mode.encode() + b',')
    c.close()
EOF
# fake NAME HOST MODE: start one; sets FAKEPORT
fake() {
  rm -f "$T/$1.port" "$T/$1.rec"
  $PY "$T/fake.py" "$2" "$T/$1.port" "$T/$1.rec" "$3" &
  kill_on_exit $!
  wait_for 5 test -s "$T/$1.port" || { echo "Bail out! fake server $1 did not start"; exit 1; }
  FAKEPORT=$(cat "$T/$1.port")
}
# hub [tcpserver program prefix...]: qmqpd under tcpserver; its port in
# HUBPORT (called in this shell, never in $(...), so that kill_on_exit
# reaches the server)
hub() {
  local log
  HUBPORT=$(free_port); log=$T/hub.$HUBPORT.log
  RELAYCLIENT= tcpserver -v -R -H -l localhost 127.0.0.1 "$HUBPORT" "$@" "$BIN/qmqpd" >/dev/null 2>>"$log" &
  kill_on_exit $!
  wait_for 5 grep -q 'status: 0' "$log" || { echo "Bail out! tcpserver did not start"; exit 1; }
}
servers() { printf '%s\n' "$@" >"$CL/control/qmqpservers"; }
# qc SENDER RCPT... < message: qmqp-client as the client's queue program
qc() { QUAIL_HOME=$CL "$BIN/qmqp-client" 2>"$T/err" 1< <(envelope "$@"); }
ids() { ls "$Q/mess" | grep -v '\.env$'; }
nmsg() { ids | wc -l | tr -d ' '; }
clearq() { rm -f "$Q"/mess/* "$Q"/tmp/*; }
envof() { q_env "$Q" "$1" | od -An -c | tr -d ' \n'; }

hub; HUB=$HUBPORT
DEAD=$(free_port)

# ---- a message reaches the hub's queue ----
servers "127.0.0.1:$HUB"
printf 'Subject: via qmqp\n\nbody\n' >"$T/msg"
qc a@example.org test@localhost x@example.net <"$T/msg"
is "$?" 0 "qmqp-client: exit 0 once the hub said K"
is "$(nmsg)" 1 "the message is in the hub's queue"
id=$(ids)
is "$(tail -n +4 "$Q/mess/$id")" "$(cat "$T/msg")" "message arrived unchanged"
like "$(sed -n 2p "$Q/mess/$id")" '^Received: from .*\[127\.0\.0\.1\]' "the hub added its Received line"
is "$(envof "$id")" 'Fa@example.org\0Ttest@localhost\0Tx@example.net\0\0' "envelope arrived: sender and both recipients"
is "$(cat "$T/err")" "" "nothing said on success"

# ---- the bytes on the wire are one QMQP package ----
fake wire 127.0.0.1 'Kthanks'
servers "127.0.0.1:$FAKEPORT"
printf 'hi\n' | qc '' r1@example.net r2@example.net
is "$?" 0 "fake server's K: exit 0"
is "$(cat "$T/wire.rec")" '45:3:hi
,0:,14:r1@example.net,14:r2@example.net,,' "package: netstring of message, sender, recipients"

# ---- IPv6 ----
if $PY -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null; then
  fake v6 ::1 'Kok'
  servers "[::1]:$FAKEPORT"
  printf 'six\n' | qc a@example.org test@localhost
  is "$?" 0 "[::1]:port: exit 0"
  like "$(cat "$T/v6.rec")" '^[0-9]+:4:six' "[::1]:port: the package reached the IPv6 server"
else
  skip "no IPv6 loopback"; skip "no IPv6 loopback"
fi

# ---- the first server is down: the next one takes the message ----
clearq
servers "127.0.0.1:$DEAD" "# a comment" "127.0.0.1:$HUB"
printf 'Subject: second\n\nx\n' | qc a@example.org test@localhost
is "$?" 0 "first server down: exit 0 from the second"
is "$(nmsg)" 1 "first server down: message in the hub's queue"
like "$(cat "$T/err")" "unable to connect to 127\.0\.0\.1:$DEAD: Connection refused" "the dead server is named"

# ---- every server down: temporary failure, nothing queued ----
clearq
servers "127.0.0.1:$DEAD" "127.0.0.2:$DEAD"
printf 'x\n' | qc a@example.org test@localhost
is "$?" 73 "every server refuses connections: exit 73"
like "$(cat "$T/err")" 'connection to mail server rejected' "every server down: said so"
is "$(nmsg)" 0 "every server down: nothing queued anywhere"

# ---- the hub's queue program refuses: Z and D come back as 71 and 31 ----
printf '#!/bin/sh\ncat >/dev/null; exit 71\n' >"$T/qq71"; printf '#!/bin/sh\ncat >/dev/null; exit 31\n' >"$T/qq31"
chmod +x "$T/qq71" "$T/qq31"
hub env QMAILQUEUE="$T/qq71"; servers "127.0.0.1:$HUBPORT"
printf 'x\n' | qc a@example.org test@localhost
is "$?" 71 "hub answers Z: exit 71"
like "$(cat "$T/err")" 'refused the message: mail server temporarily refuses' "Z: the hub's words are shown"
hub env QMAILQUEUE="$T/qq31"; servers "127.0.0.1:$HUBPORT"
printf 'x\n' | qc a@example.org test@localhost
is "$?" 31 "hub answers D: exit 31"
is "$(nmsg)" 0 "refused by the hub: nothing queued"

# ---- a hub that takes the package and never answers: no second try ----
echo 1 >"$CL/control/timeoutremote"
fake silent 127.0.0.1 -silent
servers "127.0.0.1:$FAKEPORT" "127.0.0.1:$HUB"
printf 'x\n' | qc a@example.org test@localhost
is "$?" 72 "no answer within timeoutremote: exit 72"
is "$(nmsg)" 0 "no answer: the next server is not tried (it could duplicate the message)"
rm -f "$CL/control/timeoutremote"

# ---- nonsense from the server ----
fake junk 127.0.0.1 'Xwhat'
servers "127.0.0.1:$FAKEPORT"
printf 'x\n' | qc a@example.org test@localhost
is "$?" 74 "an answer that is not K, Z or D: exit 74"
fake hangup 127.0.0.1 -close
servers "127.0.0.1:$FAKEPORT"
printf 'x\n' | qc a@example.org test@localhost
is "$?" 74 "server hangs up without an answer: exit 74"

# ---- bad envelopes: nothing is sent ----
servers "127.0.0.1:$HUB"
clearq
badenv() { # NAME FORMAT CODE
  printf 'x\n' | QUAIL_HOME=$CL "$BIN/qmqp-client" 2>"$T/err" 1< <(printf "$2")
  is "$?" "$3" "$1: exit $3"
}
badenv "no F first" 'Ta@b\0\0' 91
badenv "no final NUL" 'Fa@b\0Tc@d\0' 91
badenv "no recipients" 'Fa@b\0\0' 91
badenv "empty envelope" '' 91
badenv "line break in an address" 'Fa@b\0Tc\n@d\0\0' 91
badenv "address too long" "Fa@b\0T$(head -c 1200 /dev/zero | tr '\0' a)@d\0\0" 11
is "$(nmsg)" 0 "bad envelopes: nothing reached the hub"

# ---- configuration ----
rm -f "$CL/control/qmqpservers"
printf 'x\n' | qc a@example.org test@localhost
is "$?" 55 "no control/qmqpservers: exit 55"
servers "mail.example.org" "127.0.0.1:99999" "[::1" "127.0.0.1:"
printf 'x\n' | qc a@example.org test@localhost
is "$?" 55 "no usable address in qmqpservers: exit 55"
like "$(cat "$T/err")" 'not an address: mail\.example\.org' "unusable lines are named"
mkdir "$CL/control/timeoutconnect"
servers "127.0.0.1:$HUB"
printf 'x\n' | qc a@example.org test@localhost
is "$?" 55 "unreadable control/timeoutconnect: exit 55"
rmdir "$CL/control/timeoutconnect"
printf 'x\n' | QUAIL_HOME=$T/nonexistent "$BIN/qmqp-client" 2>/dev/null 1< <(envelope a@b c@d)
is "$?" 61 "missing home: exit 61"

# ---- a big message goes through a temporary file, removed at once ----
clearq
mkdir -p "$T/tmpd"
head -c 3000000 /dev/urandom | base64 >"$T/big"
TMPDIR=$T/tmpd qc a@example.org test@localhost <"$T/big"
is "$?" 0 "4 MB message: exit 0"
cmp -s <(tail -n +4 "$Q/mess/$(ids)") "$T/big"
is "$?" 0 "4 MB message arrived byte for byte"
is "$(ls -A "$T/tmpd")" "" "no temporary file left behind"
TMPDIR=$T/no-such-dir qc a@example.org test@localhost <"$T/big"
is "$?" 53 "temporary file impossible: exit 53"
TMPDIR=/$(head -c 5000 /dev/zero | tr '\0' d) qc a@example.org test@localhost <"$T/big" 2>"$T/err"
is "$?" 53 "a TMPDIR too long for a path: exit 53"
like "$(cat "$T/err")" "unable to write a temporary file in /ddd" "and says where"

# ---- mini-qmail: sendmail on the client with QMAILQUEUE=qmqp-client ----
clearq
if [ -x "$BIN/sendmail" ]; then
  printf 'localhost\n' >"$CL/control/me"
  printf 'Subject: from the null client\n\nhello hub\n' |
    QUAIL_HOME=$CL QMAILQUEUE=$BIN/qmqp-client "$BIN/sendmail" -f user@client.example test@hub.example 2>"$T/err"
  is "$?" 0 "sendmail with QMAILQUEUE=qmqp-client: exit 0"
  f=$(grep -l 'Subject: from the null client' "$Q"/mess/* 2>/dev/null | head -1)
  ok "the message submitted on the client is in the hub's queue" test -n "$f"
  is "$(envof "$(basename "${f:-none}")" 2>/dev/null)" 'Fuser@client.example\0Ttest@hub.example\0\0' "its envelope came along"
else
  skip "bin/sendmail not built"; skip "bin/sendmail not built"; skip "bin/sendmail not built"
fi
done_testing
