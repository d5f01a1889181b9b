#!/bin/bash
# quail-tcpserver: the same environment and rules decisions as ucspi-tcp's
# tcpserver, over real IPv4 and IPv6 connections, side by side; the
# concurrency limit; deny rules; -B; the fork path (-h); privileges
# dropped before accepting; usage and bind errors.
. "$(dirname "$0")/lib.sh"
QT=$BIN/quail-tcpserver

# a client that prints what the server's child wrote, then the close
fetch() { # ADDR PORT [SOURCE]
  $PY - "$@" <<'EOF'
import socket, sys
src = (sys.argv[3], 0) if len(sys.argv) > 3 else None
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), 5, src)
d = b''
while True:
    x = s.recv(65536)
    if not x: break
    d += x
sys.stdout.write(d.decode())
EOF
}
# the variables a UCSPI child sees, ports masked
ucspi_env() { grep -E '^(PROTO|TCP[0-9A-Z]*|W|X|Y|RELAYCLIENT)=' | sed -E 's/(PORT)=[0-9]+/\1=N/' | sort; }
start() { # LOG SERVER ARGS...: start, wait for the port; sets SPID
  local log=$1; shift
  "$@" 2>"$log" & SPID=$!
  kill_on_exit "$SPID"
}
up() { wait_for 5 $PY -c "import socket; socket.create_connection(('127.0.0.1', $1), 1)"; }

cat >"$T/rules" <<'EOF'
127.0.0.2:deny
127.0.0.:allow,X="v4",RELAYCLIENT=""
::1:allow,X="v6"
:allow,Y="default"
EOF
tcprules "$T/rules.cdb" "$T/rules.tmp" <"$T/rules"

# ---- the same environment as tcpserver, for IPv4 and IPv6 clients ----
P1=$(free_port); P2=$(free_port)
start "$T/ts.log" env X=inherited HOME=/nonexistent tcpserver -v -R -H -l me -x "$T/rules.cdb" 0 "$P1" /usr/bin/env
start "$T/qt.log" env X=inherited HOME=/nonexistent "$QT" -v -R -H -l me -x "$T/rules.cdb" 0 "$P2" /usr/bin/env
up "$P1"; up "$P2"
for a in 127.0.0.1 ::1; do
  fetch "$a" "$P1" | ucspi_env >"$T/env.ts"
  fetch "$a" "$P2" | ucspi_env >"$T/env.qt"
  like "$(cat "$T/env.qt")" 'TCPREMOTEIP=' "$a: the child gets TCPREMOTEIP"
  is "$(cat "$T/env.qt")" "$(cat "$T/env.ts")" "$a: the same UCSPI variables and rule variables as tcpserver's"
done
is "$(fetch 127.0.0.1 "$P2" | grep -c '^X=')" 1 "a rule's variable replaces an inherited one of that name"
like "$(fetch 127.0.0.1 "$P2" | grep '^HOME=')" '^HOME=/nonexistent$' "other inherited variables are passed on"
# a client from 127.0.0.2 is denied: the connection closes, nothing run
is "$(fetch 127.0.0.1 "$P2" 127.0.0.2)" "" "a deny rule closes the connection, nothing run"
is "$(fetch 127.0.0.1 "$P1" 127.0.0.2)" "" "(tcpserver does the same)"
sleep 0.3
like "$(cat "$T/qt.log")" 'quail-tcpserver: deny [0-9]+ me:::ffff:127\.0\.0\.1:[0-9]+ :::ffff:127\.0\.0\.2::[0-9]+' "-v logs the denial as tcpserver does"
like "$(cat "$T/qt.log")" 'quail-tcpserver: ok [0-9]+ me:::1:[0-9]+ :::1::[0-9]+' "-v logs ok lines"
like "$(cat "$T/qt.log")" 'quail-tcpserver: end [0-9]+ status 0' "-v logs each child's end"
like "$(grep status: "$T/qt.log" | tail -n 1)" 'quail-tcpserver: status: 0/40' "every child is reaped: status 0/40"
kill "$SPID"

# ---- -X: a missing rules file; without it, connections are dropped ----
missing() { # LOG OPTIONS...: quail-tcpserver with a missing rules file on $P3
  local log=$1; shift
  P3=$(free_port)
  start "$log" "$QT" "$@" -R -H -l me -x "$T/missing.cdb" 127.0.0.1 "$P3" /usr/bin/env
  up "$P3"
}
missing "$T/x.log"
is "$(fetch 127.0.0.1 "$P3")" "" "a missing rules file drops the connection"
like "$(cat "$T/x.log")" 'unable to read .*missing\.cdb' "and says why"
kill "$SPID"
missing "$T/xq.log" -q
is "$(fetch 127.0.0.1 "$P3")" "" "-q: a missing rules file still drops the connection"
is "$(cat "$T/xq.log")" "" "-q: and nothing is written"
kill "$SPID"
missing "$T/x.log" -X
like "$(fetch 127.0.0.1 "$P3")" 'TCPREMOTEIP=127\.0\.0\.1' "-X: a missing rules file allows"
kill "$SPID"

# ---- -B and the fork path: -h looks the client up in a child ----
P4=$(free_port)
start "$T/h.log" "$QT" -v -h -R -l 0 -B 'banner
' -x "$T/rules.cdb" 127.0.0.1 "$P4" /usr/bin/env
up "$P4"
out=$(fetch 127.0.0.1 "$P4")
is "$(printf '%s\n' "$out" | head -n 1)" "banner" "-B writes the banner first"
like "$out" 'X=v4' "-h: the rules apply in the forked child"
name=$(getent hosts 127.0.0.1 | awk '{ print $2; exit }')
like "$out" "TCPREMOTEHOST=$name" "-h: the client's name from the system resolver ($name, /etc/hosts)"
like "$out" 'TCPLOCALHOST=0' "-l 0: TCPLOCALHOST=0, as tcpserver sets it"
kill "$SPID"

# ---- what else tcpserver does: the child's signals, the banner to a
# denied client, end lines with the wait status, SIGTERM ----
P12=$(free_port); P13=$(free_port)
sig() { grep -E '^Sig(Blk|Ign):'; }
start "$T/s.ts" tcpserver -v -R -H -l me -B 'hi
' -x "$T/rules.cdb" 127.0.0.1 "$P12" sh -c 'cat /proc/self/status; exit 3'
start "$T/s.qt" "$QT" -v -R -H -l me -B 'hi
' -x "$T/rules.cdb" 127.0.0.1 "$P13" sh -c 'cat /proc/self/status; exit 3'
QSPID=$SPID
up "$P12"; up "$P13"
is "$(fetch 127.0.0.1 "$P13" | sig)" "$(fetch 127.0.0.1 "$P12" | sig)" "the child's blocked and ignored signals are tcpserver's"
like "$(fetch 127.0.0.1 "$P13" | sig)" 'SigBlk:\s+0+$' "nothing blocked in the child"
is "$(fetch 127.0.0.1 "$P13" 127.0.0.2)" "hi" "-B: a denied client gets the banner, as from tcpserver"
is "$(fetch 127.0.0.1 "$P12" 127.0.0.2)" "hi" "(tcpserver's)"
sleep 0.3
like "$(cat "$T/s.qt")" 'end [0-9]+ status 768' "end lines carry the wait status, as tcpserver's do"
kill -TERM "$QSPID"; wait "$QSPID"
is "$?" 0 "SIGTERM: exit 0"

# ---- a program named without a path is found on PATH, as tcpserver does ----
P11=$(free_port)
start "$T/path.log" env PATH=/nonexistent:/usr/bin:/bin "$QT" -R -H -l 0 127.0.0.1 "$P11" printenv PROTO
up "$P11"
is "$(fetch 127.0.0.1 "$P11")" "TCP" "the program is searched for on PATH"
kill "$SPID"
mkdir -p "$T/pbin"; printf '#!/bin/sh\necho from-rule-path\n' >"$T/pbin/which-one"; chmod +x "$T/pbin/which-one"
printf ':allow,PATH="%s"\n' "$T/pbin" >"$T/rp"; tcprules "$T/rp.cdb" "$T/rp.tmp" <"$T/rp"
P11=$(free_port)
start "$T/path.log" "$QT" -R -H -l 0 -x "$T/rp.cdb" 127.0.0.1 "$P11" which-one
up "$P11"
is "$(fetch 127.0.0.1 "$P11")" "from-rule-path" "the PATH searched is the child's: a rule may set it"
kill "$SPID"
P11=$(free_port)
start "$T/path.log" "$QT" -R -H -l 0 127.0.0.1 "$P11" no-such-program-here
up "$P11"
is "$(fetch 127.0.0.1 "$P11")" "" "a program that is not there: the connection is closed"
sleep 0.2
like "$(cat "$T/path.log")" 'unable to run no-such-program-here' "and the log says why"
kill "$SPID"

# ---- -c: at the limit, a connection waits for a child to end ----
P5=$(free_port)
cat >"$T/slow" <<'EOF'
#!/bin/sh
echo start; sleep 1; echo done
EOF
chmod +x "$T/slow"
start "$T/c.log" "$QT" -v -c 2 -R -H -l me 127.0.0.1 "$P5" "$T/slow"
up "$P5"
sleep 1.2  # the probe's own child ends
t0=$(date +%s.%N)
for i in 1 2 3 4; do fetch 127.0.0.1 "$P5" >"$T/c.$i" & done
wait $(jobs -p | tail -n 4) 2>/dev/null
t1=$(date +%s.%N)
is "$(cat "$T"/c.1 "$T"/c.2 "$T"/c.3 "$T"/c.4 | grep -c done)" 4 "-c 2: four clients are all served"
ok "-c 2: four one-second children take two rounds" awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a >= 1.9) }'
unlike "$(cat "$T/c.log")" 'status: 3/2' "never more than two children"
kill "$SPID"

# ---- 200 concurrent connections under -c 200 ----
P6=$(free_port)
start "$T/m.log" "$QT" -c 200 -R -H -l me 127.0.0.1 "$P6" /bin/echo hello
up "$P6"
n=$($PY - "$P6" <<'EOF'
import socket, sys
ss = [socket.create_connection(('127.0.0.1', int(sys.argv[1])), 5) for _ in range(200)]
print(sum(1 for s in ss if s.makefile().readline() == 'hello\n'))
EOF
)
is "$n" 200 "200 concurrent connections all served"
kill "$SPID"

# ---- privileges: -u/-g are taken before the first accept ----
if [ "$(id -u)" = 0 ]; then
  P7=$(free_port)
  start "$T/u.log" "$QT" -u 65534 -g 65534 -R -H -l me 127.0.0.1 "$P7" /usr/bin/id -u
  up "$P7"
  is "$(fetch 127.0.0.1 "$P7")" "65534" "-u: the child runs as the given user"
  is "$(awk '/^Uid:/ { print $2 }' /proc/$SPID/status)" "65534" "-u: the server itself runs as that user"
  kill "$SPID"
else
  skip "not root: -u/-g"; skip "not root: -u/-g"
fi

# ---- -r: ident, side by side with tcpserver (root: port 113) ----
if [ "$(id -u)" = 0 ] && ! ss -ltnH 'sport = :113' | grep -q .; then
  $PY - "$T/ident.log" <<'EOF' &
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', 113)); s.listen(5)
log = open(sys.argv[1], 'a', buffering=1)
while True:
    c, a = s.accept(); q = c.recv(100).decode().strip(); log.write(q + '\n')
    try: answer = open(sys.argv[1] + '.answer', 'rb').read()
    except OSError: answer = b'joe smith '
    c.sendall(q.encode() + b' : USERID : UNIX : ' + answer + b'\r\n'); c.close()
EOF
  kill_on_exit $!
  printf 'joesmith@127.0.0.1:allow,W="info"\n:allow\n' >"$T/ri"
  tcprules "$T/ri.cdb" "$T/ri.tmp" <"$T/ri"
  P8=$(free_port); P9=$(free_port)
  start "$T/ri.ts" tcpserver -v -H -l me -x "$T/ri.cdb" 127.0.0.1 "$P8" /usr/bin/env
  start "$T/ri.qt" "$QT" -v -H -l me -x "$T/ri.cdb" 127.0.0.1 "$P9" /usr/bin/env
  up "$P8"; up "$P9"
  wait_for 5 test -s "$T/ident.log"   # the probes' questions
  fetch 127.0.0.1 "$P8" | ucspi_env >"$T/ri.env.ts"
  fetch 127.0.0.1 "$P9" | ucspi_env >"$T/ri.env.qt"
  like "$(cat "$T/ri.env.qt")" 'TCPREMOTEINFO=joesmith' "-r (the default): TCPREMOTEINFO from the ident answer, blanks dropped"
  like "$(cat "$T/ri.env.qt")" 'W=info' "-r: an info@address rule applies"
  is "$(cat "$T/ri.env.qt")" "$(cat "$T/ri.env.ts")" "-r: the same variables as tcpserver's"
  like "$(tail -n 1 "$T/ident.log")" '^[0-9]+ , [0-9]+$' "the ident question names both ports"
  like "$(cat "$T/ri.qt")" 'ok [0-9]+ me:::ffff:127\.0\.0\.1:[0-9]+ :::ffff:127\.0\.0\.1:joesmith:[0-9]+' "-v logs the ident answer"
  # an answer with '%', ':', a control byte and 120 more bytes: logged as
  # tcpserver logs it
  printf 'jo%%e:x\001y%0120d' 0 >"$T/ident.log.answer"
  fetch 127.0.0.1 "$P8" >/dev/null; fetch 127.0.0.1 "$P9" >/dev/null
  sleep 0.3
  is "$(grep ' ok ' "$T/ri.qt" | tail -n 1 | cut -d' ' -f5)" "$(grep ' ok ' "$T/ri.ts" | tail -n 1 | cut -d' ' -f5 | sed 's/:[0-9]*$//'):$(grep ' ok ' "$T/ri.qt" | tail -n 1 | sed 's/.*://')" \
    "-v: an odd ident answer is logged as tcpserver logs it"
  like "$(grep ' ok ' "$T/ri.qt" | tail -n 1)" 'jo\?e:x\?y0+\.\.\.:' "(cleaned and cut at 100 bytes)"
  rm -f "$T/ident.log.answer"
  kill "$SPID"
  # no ident server on 127.0.0.2: no TCPREMOTEINFO, and still served
  P10=$(free_port)
  start "$T/ri2.qt" "$QT" -H -l me 127.0.0.2 "$P10" /usr/bin/env
  wait_for 5 $PY -c "import socket; socket.create_connection(('127.0.0.2', $P10), 1)"
  out=$(fetch 127.0.0.2 "$P10" 127.0.0.2)
  like "$out" 'TCPREMOTEIP=127\.0\.0\.2' "-r without an ident server: served"
  unlike "$out" 'TCPREMOTEINFO' "and no TCPREMOTEINFO"
  kill "$SPID"
else
  for i in 1 2 3 4 5 6 7 8 9; do skip "not root, or port 113 in use: -r"; done
fi

# ---- usage and errors ----
"$QT" 2>"$T/err"; is "$?" 100 "no arguments: usage, exit 100"
like "$(cat "$T/err")" 'usage: quail-tcpserver' "usage text"
"$QT" -c 0 127.0.0.1 1 /bin/true 2>/dev/null; is "$?" 100 "-c 0: exit 100"
"$QT" -R -H -l me 192.0.2.1 "$(free_port)" /bin/true 2>"$T/err"; is "$?" 111 "an address not ours: exit 111"
like "$(cat "$T/err")" 'unable to bind' "and says so"
done_testing
