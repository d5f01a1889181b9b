#!/bin/bash
# quail-listen and the run scripts of an instance: what the servers they
# start under ucspi-tcp's tcpserver see (IPv4 and ::1), the defaults of
# missing control files, the listen backlog, an unreadable control file
# (exit 111, the file named), {NAME:DEFAULT} arguments, rbls, usage.
# Every tcpserver here gets -H (an instance's run script passes it).
. "$(dirname "$0")/lib.sh"
P=$(free_port)
SMTP_PORT=$P POP3_PORT=$(free_port) "$BIN/mkinstance" "$T/i" me.test >/dev/null || { echo "Bail out! mkinstance"; exit 1; }
C=$T/i/control
cat >"$T/showenv" <<'EOF'
#!/bin/sh
echo "ARGS=$*"; env
EOF
chmod 755 "$T/showenv"
# each service's run script with its server replaced by showenv
for s in smtpd qmtpd qmqpd pop3d; do
  sed -e "s|$BIN/smtpd |$T/showenv |; s|$BIN/qmtpd\$|$T/showenv|; s|$BIN/qmqpd\$|$T/showenv|" \
      -e "s|$BIN/pop3-login |$T/showenv |" "$T/i/service/$s/run" >"$T/$s.run"
done
ok "every run script names quail-listen" eval '[ "$(grep -l "quail-listen" "$T/i/service/"{smtpd,qmtpd,qmqpd,pop3d}/run | wc -l)" = 4 ]'

# fetch ADDR PORT: what the child wrote
fetch() {
  $PY - "$@" <<'EOF'
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), 5)
d = b''
while True:
    x = s.recv(65536)
    if not x: break
    d += x
sys.stdout.write(d.decode())
EOF
}
up() { wait_for 10 $PY -c "import socket; socket.create_connection(('$1', $2), 1)"; }
# start SCRIPT: run it (sets SPID), its output in $T/run.log
start() { sh "$1" >"$T/run.log" 2>&1 & SPID=$!; kill_on_exit $SPID; }
stop() { kill "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null; }

# ---- the child's environment from the smtpd run script, IPv4 and ::1 ----
start "$T/smtpd.run"
up 127.0.0.1 "$P"
out=$(fetch 127.0.0.1 "$P")
like "$out" $'\nTCPREMOTEIP=127\\.0\\.0\\.1\n' "IPv4: TCPREMOTEIP"
like "$out" $'\nTCPLOCALIP=127\\.0\\.0\\.1\n' "IPv4: TCPLOCALIP"
like "$out" $'\nTCPLOCALPORT='"$P"$'\n' "IPv4: TCPLOCALPORT"
like "$out" $'\nTCPREMOTEPORT=[0-9]+\n' "IPv4: TCPREMOTEPORT"
like "$out" $'\nPROTO=TCP\n' "IPv4: PROTO=TCP"
like "$out" $'\nTCPLOCALHOST=me\\.test\n' "TCPLOCALHOST is control/me"
unlike "$out" 'TCPREMOTEHOST=' "no TCPREMOTEHOST: an instance asks no name server (-H)"
like "$out" $'\nRELAYCLIENT=\n' "the default tcp.smtp: loopback gets RELAYCLIENT"
like "$out" $'\nQUAIL_HOME='"$T/i"$'\n' "QUAIL_HOME is the instance"
like "$out" "ARGS=$BIN/verifypw /bin/true" "no control/checkpassword: smtpd gets bin/verifypw /bin/true"
like "$(ps -o args= -p "$SPID")" "^tcpserver -v -R -H -l me\\.test -x $C/tcp\\.smtp\\.cdb -c 100 -b 1024 127\\.0\\.0\\.1 $P " \
  "the run script execs tcpserver: -c 100 (concurrencyincoming), -b 1024, 127.0.0.1 in an instance"
like "$(ss -ltnH "sport = :$P")" "^LISTEN +0 +1024 " "the listen backlog is 1024"
like "$(cat "$T/run.log")" 'tcpserver: status: 0/100' "tcpserver logs its limit: 100 sessions"
stop
echo ::1 >"$C/listenip"
start "$T/smtpd.run"
if up ::1 "$P"; then
  out=$(fetch ::1 "$P")
  like "$out" $'\nTCPREMOTEIP=::1\n' "::1: TCPREMOTEIP"
  like "$out" $'\nTCPLOCALIP=::1\n' "::1: TCPLOCALIP"
  like "$out" $'\nPROTO=TCP6\n' "::1: PROTO=TCP6"
  like "$out" $'\nTCP6REMOTEIP=::1\n' "::1: TCP6REMOTEIP (ucspi-tcp-ipv6)"
  like "$out" $'\nRELAYCLIENT=\n' "::1: the default tcp.smtp gives RELAYCLIENT"
else
  for i in 1 2 3 4 5; do skip "no ::1 here"; done
fi
stop
rm "$C/listenip"

# ---- the other services' scripts ----
for s in qmtpd:tcp.qmtp qmqpd:tcp.qmqp; do
  port=$(free_port)
  sed -E "s| [0-9]+ ([^ ]*/showenv)\$| $port \\1|" "$T/${s%:*}.run" >"$T/x.run"
  start "$T/x.run"
  up 127.0.0.1 "$port"
  out=$(fetch 127.0.0.1 "$port")
  like "$out" $'\nTCPREMOTEIP=127\\.0\\.0\\.1\n' "${s%:*}: TCPREMOTEIP"
  ok "${s%:*}: ${s#*:} compiled" test -s "$C/${s#*:}.cdb"
  stop
done
port=$(grep -o ' [0-9][0-9]* \\$' "$T/pop3d.run" | tr -dc 0-9)
start "$T/pop3d.run"
up 127.0.0.1 "$port"
out=$(fetch 127.0.0.1 "$port")
like "$out" $'\nAUTHPLAINTEXT=\n' "pop3d: the default tcp.pop3 allows plaintext from loopback"
like "$out" "ARGS=me\\.test $BIN/checkpassword $BIN/pop3d Maildir" "pop3d: pop3-login gets bin/checkpassword without control/checkpasswordpop3"
stop
printf '# another\n/bin/echo hi\n' >"$C/checkpasswordpop3"
start "$T/pop3d.run"; up 127.0.0.1 "$port"
like "$(fetch 127.0.0.1 "$port")" "ARGS=me\\.test /bin/echo hi $BIN/pop3d Maildir" "control/checkpasswordpop3: its first line that is no comment, as words"
stop
rm "$C/checkpasswordpop3"

# ---- control files that exist but cannot be read: exit 111, named ----
# runfails SCRIPT: run it, which must exit at once; prints status and output
runfails() { timeout 10 sh "$1" >"$T/fail.log" 2>&1; echo "$?"; }
mv "$C/concurrencyincoming" "$T/ci"; mkdir "$C/concurrencyincoming"
is "$(runfails "$T/smtpd.run")" 111 "control/concurrencyincoming a directory: exit 111"
like "$(cat "$T/fail.log")" 'quail-listen: fatal: unable to read control/concurrencyincoming' "the file is named"
rmdir "$C/concurrencyincoming"
echo lots >"$C/concurrencyincoming"
is "$(runfails "$T/smtpd.run")" 111 "control/concurrencyincoming not a number: exit 111"
like "$(cat "$T/fail.log")" 'control/concurrencyincoming does not start with a number' "and says so"
echo 0 >"$C/concurrencyincoming"
is "$(runfails "$T/smtpd.run")" 111 "concurrency 0: exit 111"
mv "$T/ci" "$C/concurrencyincoming"
for f in listenip me checkpassword rbls tcp.smtp; do
  mkdir "$C/$f.new"; [ -e "$C/$f" ] && mv "$C/$f" "$T/saved"; mv "$C/$f.new" "$C/$f"
  is "$(runfails "$T/smtpd.run")" 111 "control/$f a directory: exit 111"
  like "$(cat "$T/fail.log")" "control/$f" "(control/$f named)"
  rmdir "$C/$f"; [ -e "$T/saved" ] && mv "$T/saved" "$C/$f"
done
mv "$C/tcp.smtp" "$T/saved"
is "$(runfails "$T/smtpd.run")" 111 "control/tcp.smtp missing: exit 111 (rules have no default)"
like "$(cat "$T/fail.log")" 'control/tcp\.smtp is missing' "and says so"
mv "$T/saved" "$C/tcp.smtp"
# unreadable for the user who runs it (chmod 000), as nobody
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
  cp -a "$T/i" "$T/u"; chown -R nobody "$T/u"; chmod 755 "$T"
  sed "s|$T/i|$T/u|g" "$T/smtpd.run" >"$T/u.run"; chmod 644 "$T/u.run"
  # nobody runs a copy of quail-listen when it cannot reach the checkout
  if ! reachable_by 65534 "$BIN/quail-listen"; then
    cp "$BIN/quail-listen" "$T/quail-listen"; chmod 755 "$T/quail-listen"
    sed -i "s|$BIN/quail-listen|$T/quail-listen|" "$T/u.run"
  fi
  chmod 000 "$T/u/control/concurrencyincoming"
  timeout 10 setpriv --reuid=nobody --regid=nogroup --clear-groups sh "$T/u.run" >"$T/fail.log" 2>&1
  is "$?" 111 "control/concurrencyincoming chmod 000, run as nobody: exit 111"
  like "$(cat "$T/fail.log")" 'unable to read control/concurrencyincoming' "the file is named"
else
  skip "not root: setpriv"; skip "not root: setpriv"
fi

# ---- rbls: rblsmtpd in front, zones from the list, comments skipped ----
printf '# blocklists\nrbl.test\n  other.test\n' >"$C/rbls"
start "$T/smtpd.run"; up 127.0.0.1 "$P"
like "$(ps -o args= -p "$SPID")" " $P rblsmtpd -r rbl\\.test -r other\\.test $T/showenv " "control/rbls: rblsmtpd -r ZONE for each"
stop
rm "$C/rbls"

# ---- usage ----
"$BIN/quail-listen" 2>"$T/err"; is "$?" 100 "no arguments: exit 100"
like "$(cat "$T/err")" 'usage: quail-listen' "usage text"
QUAIL_HOME=$T/i "$BIN/quail-listen" -x tcp.smtp 25 /bin/true 2>/dev/null; is "$?" 100 "no -c: exit 100"
done_testing
