#!/bin/bash
# smtpd: every bound. Idle time-outs, line lengths, a 10 MB line with
# bounded memory, SIZE and databytes, maxrcpt, header and hop counts,
# 200 concurrent connections.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/smtpd-lib.sh"
inst_new
# recipient limits count r1@localhost, r2@... that no user owns: the RCPT-time recipient check (t/rcptcheck.t) is off here
echo 0 > "$INST/control/rcptcheck"
echo 2 > "$INST/control/timeoutsmtpd"
# smtpd under a wrapper that records its peak memory (ru_maxrss, KiB)
cat > "$T/rss" <<'EOF2'
#!/usr/bin/python3
import os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
_, status, ru = os.wait4(pid, 0)
with open(sys.argv[1], "a") as f:
    f.write("%d\n" % ru.ru_maxrss)
EOF2
chmod 755 "$T/rss"
PORT=$(free_port); SLOG=$INST/smtpd.$PORT.log
tcpserver -v -R -H -l localhost -c 250 -b 250 127.0.0.1 "$PORT" "$T/rss" "$T/rss.log" "$BIN/smtpd" >>"$SLOG" 2>&1 &
kill_on_exit $!; SMTPD_PID=$!
wait_for 5 grep -q 'status: 0/' "$SLOG"

# idle clients time out (control/timeoutsmtpd = 2)
out=$(raw "$HELLO" 1)
like "$out" '421 4.4.2 timeout' "an idle client gets 421 4.4.2 and is cut off"
mess_clear
out=$(raw "$HELLO" 1 "$(txn a@example.org test@localhost)" 3 'Subject: half\r\n\r\nhalf a message' 0)
like "$out" '421 4.4.2 timeout' "a client idle during DATA is cut off"
is "$(mess_count)" 0 "the half message is not queued"
like "$(cat "$SLOG")" 'from 127.0.0.1: timeout' "time-outs are logged"

# command line length: 1000 bytes with CRLF is fine, more is not
long=$(head -c 993 /dev/zero | tr '\0' x)
out=$(raw "$HELLO" 1 "NOOP $long\\r\\nNOOP ${long}x\\r\\nNOOP\\r\\n" 2)
like "$out" '250 2.0.0 ok' "a 1000-byte command line is accepted"
like "$out" '500 5.5.2 line too long' "a 1001-byte command line: 500 5.5.2"
is "$(printf '%s' "$out" | grep -c '^250 2.0.0')" 1 "and the connection is closed after it"

# 10 MB of one line: cut off early, with bounded memory
: > "$T/rss.log"
raw 'QUIT\r\n' 1 >/dev/null   # a baseline
base=$(tail -1 "$T/rss.log")
out=$($PY - "$PORT" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.recv(1000)
try:
    s.sendall(b"x" * 10 * 1024 * 1024)
except OSError:
    pass
got = b""
try:
    while True:
        d = s.recv(65536)
        if not d: break
        got += d
except OSError:
    pass
print(got.decode())
PY
)
like "$out" '500 5.5.2 line too long' "10 MB command line: 500 5.5.2 and hang up"
wait_for 5 eval 'test "$(wc -l < "$T/rss.log")" -ge 2'
peak=$(tail -1 "$T/rss.log")
ok "10 MB command line: peak memory ${peak} KiB stays near the baseline ${base} KiB" test "$peak" -lt $((base + 2048))
mess_clear
out=$($PY - "$PORT" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
f = s.makefile("rb")
def reply():
    while True:
        l = f.readline()
        if len(l) < 4 or l[3:4] != b"-":
            return l.decode()
reply()
s.sendall(b"EHLO x\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<test@localhost>\r\nDATA\r\n")
for i in range(4): reply()
for i in range(10):
    s.sendall(b"y" * 1024 * 1024)
s.sendall(b"\r\n.\r\nQUIT\r\n")
print(reply() + reply(), end="")
PY
)
like "$out" '554 5.6.0 a line of the message is too long' "10 MB line in DATA: 554 5.6.0 at the end"
is "$(mess_count)" 0 "10 MB line in DATA: nothing queued"
wait_for 5 eval 'test "$(wc -l < "$T/rss.log")" -ge 3'
peak=$(tail -1 "$T/rss.log")
ok "10 MB line in DATA: peak memory ${peak} KiB stays near the baseline ${base} KiB" test "$peak" -lt $((base + 2048))

# DATA line length: 65536 is fine, 65537 is not
mess_clear
l64=$(head -c 65536 /dev/zero | tr '\0' z)
out=$(raw "$HELLO" 1 "$(txn a@example.org test@localhost)" 3 "Subject: long\\r\\n\\r\\n$l64\\r\\n.\\r\\n" 1 \
  "$(txn a@example.org test@localhost)" 3 "Subject: longer\\r\\n\\r\\n${l64}z\\r\\n.\\r\\nQUIT\\r\\n" 2)
mlike "$out" '250 2.0.0 ok[^\n]*\n250 2.1.0[^\n]*\n250 2.1.5[^\n]*\n354[^\n]*\n554 5.6.0 a line' "a 65536-byte line is stored, a longer one refused"
is "$(mess_count)" 1 "one of the two queued"

# SIZE and control/databytes, enforced while streaming
echo 5000 > "$INST/control/databytes"
mess_clear
big=$(head -c 3000 /dev/zero | tr '\0' b)
out=$(raw "$HELLO" 1 'MAIL FROM:<a@example.org> SIZE=6000\r\nMAIL FROM:<a@example.org> SIZE=4000 BODY=8BITMIME\r\nRCPT TO:<test@localhost>\r\nDATA\r\n' 4 \
  "Subject: big\\r\\n\\r\\n$big\\r\\n$big\\r\\n.\\r\\n" 1 "$(txn a@example.org test@localhost)" 3 "Subject: small\\r\\n\\r\\n$big\\r\\n.\\r\\nQUIT\\r\\n" 2)
like "$out" '250-SIZE 5000' "EHLO announces SIZE from control/databytes"
like "$out" '552 5.3.4 message size exceeds' "MAIL SIZE= over the limit: 552 5.3.4"
mlike "$out" '354[^\n]*\n552 5.3.4 message exceeds the fixed maximum' "a message over the limit: 552 5.3.4 at the end of DATA"
like "$out" '250 2.0.0 ok' "a message under the limit is accepted"
is "$(mess_count)" 1 "only the small message is queued"
mlike "$(mess_all)" 'Subject: small' "it is the small one"
rm "$INST/control/databytes"

# control/maxrcpt
echo 3 > "$INST/control/maxrcpt"
mess_clear
out=$(raw "$HELLO" 1 'MAIL FROM:<a@example.org>\r\nRCPT TO:<r1@localhost>\r\nRCPT TO:<r2@localhost>\r\nRCPT TO:<r3@localhost>\r\nRCPT TO:<r4@localhost>\r\nDATA\r\n' 6 'x\r\n.\r\nQUIT\r\n' 2)
like "$out" '452 4.5.3 too many recipients' "the fourth recipient: 452 4.5.3"
is "$(env_all)" 'Fa@example.org|Tr1@localhost|Tr2@localhost|Tr3@localhost||' "three recipients in the envelope"
rm "$INST/control/maxrcpt"

# header fields and Received hops
mess_clear
hops=$(for i in $(seq 101); do printf 'Received: from hop%s\\r\\n' "$i"; done)
fields=$(for i in $(seq 1001); do printf 'X-F%s: v\\r\\n' "$i"; done)
few=$(for i in $(seq 100); do printf 'Received: from hop%s\\r\\n' "$i"; done)
out=$(raw "$HELLO" 1 "$(txn a@example.org test@localhost)" 3 "${hops}\\r\\nbody\\r\\n.\\r\\n" 1 \
  "$(txn a@example.org test@localhost)" 3 "${fields}\\r\\nbody\\r\\n.\\r\\n" 1 \
  "$(txn a@example.org test@localhost)" 3 "${few}\\r\\nbody with Received: in it\\r\\n.\\r\\nQUIT\\r\\n" 2)
like "$out" '554 5.4.6 too many Received' "101 Received fields: 554 5.4.6 (a loop)"
like "$out" '554 5.6.0 too many header fields' "1001 header fields: 554 5.6.0"
like "$out" '250 2.0.0 ok' "100 Received fields are fine"
is "$(mess_count)" 1 "only that one queued"

# 200 concurrent connections, all served (with the default time-out)
rm "$INST/control/timeoutsmtpd"
mess_clear
$PY - "$PORT" <<'PY'
import smtplib, sys, threading
port = int(sys.argv[1]); ok = []; bad = []
go = threading.Barrier(200)
def one(i):
    try:
        s = smtplib.SMTP("127.0.0.1", port, local_hostname="c%d.example" % i, timeout=25)
        go.wait(timeout=25)
        s.sendmail("c%d@example.org" % i, ["test@localhost"], "Subject: %d\r\n\r\nconcurrent\r\n" % i)
        s.quit(); ok.append(i)
    except Exception as e:
        bad.append(repr(e))
ts = [threading.Thread(target=one, args=(i,)) for i in range(200)]
for t in ts: t.start()
for t in ts: t.join()
print(len(ok), bad[:3], file=sys.stderr)
sys.exit(0 if len(ok) == 200 else 1)
PY
is "$?" 0 "200 concurrent clients all get 250"
is "$(mess_count)" 200 "200 messages queued"
done_testing
