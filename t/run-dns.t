#!/bin/bash
# The run scripts of smtpd, qmtpd and qmqpd and the name server: an
# instance (make run, the tests) asks none about its clients (-H), an
# installed system looks each client up (TCPREMOTEHOST). tcpserver asks
# the server in DNSCACHEIP, else /etc/resolv.conf's: here both name, in a
# mount namespace of the test's own, a recorder on 127.53.0.1:53 that
# answers NXDOMAIN and writes down each question, and the client connects
# from 127.0.0.2, which /etc/hosts does not name. No question ever
# reaches the machine's own resolver.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip_all "binds port 53: root only"
export SMTP_PORT=$(free_port) QMTP_PORT=$(free_port) QMQP_PORT=$(free_port)
inst_new
NS=127.53.0.1

$PY - "$NS" "$T/questions" <<'EOF' 2>"$T/ns.err" &
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 53))
open(sys.argv[2], 'w').close()
while True:
    q, peer = s.recvfrom(512)
    if len(q) < 12: continue
    i, name = 12, []
    while i < len(q) and q[i]:
        name.append(q[i + 1:i + 1 + q[i]].decode(errors='replace')); i += 1 + q[i]
    with open(sys.argv[2], 'a') as f: f.write('.'.join(name) + '\n')
    # the question back, QR and RA set, RCODE 3 (NXDOMAIN), no answers
    s.sendto(q[:2] + bytes([0x81 | (q[2] & 0x01), 0x83]) + q[4:6] + b'\0\0\0\0\0\0' + q[12:i + 5], peer)
EOF
kill_on_exit $!
wait_for 30 test -f "$T/questions" || { cat "$T/ns.err"; echo "Bail out! no recorder"; exit 1; }

echo "nameserver $NS" > "$T/resolv.conf"
unshare -m sh -c "mount --bind '$T/resolv.conf' /etc/resolv.conf" ||
  skip_all "no mount namespace for a resolv.conf of the test's own"

# run SCRIPT PORT: start a run script, connect once from 127.0.0.2, read
# what comes, stop
run() {
  DNSCACHEIP=$NS unshare -m sh -c "mount --bind '$T/resolv.conf' /etc/resolv.conf && exec sh '$1'" > "$T/run.log" 2>&1 &
  local pid=$!
  # the probe connects from 127.0.0.2 too: its child's question, which
  # may come late, is the same
  wait_for 10 $PY -c "import socket; socket.create_connection(('127.0.0.1', $2), 1, ('127.0.0.2', 0))"
  : > "$T/questions"
  $PY -c "
import socket
s = socket.create_connection(('127.0.0.1', $2), 5, ('127.0.0.2', 0)); s.settimeout(3)
try: print(s.recv(100).decode().strip())
except socket.timeout: print('(silent)')"
  kill $pid; wait $pid 2>/dev/null
}

like "$(run "$INST/service/smtpd/run" "$SMTP_PORT")" '^220 ' "an instance's smtpd answers"
is "$(cat "$T/questions")" "" "an instance's smtpd asks the name server nothing"
for s in qmtpd:$QMTP_PORT qmqpd:$QMQP_PORT; do
  run "$INST/service/${s%:*}/run" "${s#*:}" >/dev/null
  is "$(cat "$T/questions")" "" "an instance's ${s%:*} asks the name server nothing"
done

# the installed systems' way: the same scripts on a copy of the instance
# whose bin/ is a directory, as where make install put the programs (and
# without -u quaild: this machine need not have the user)
cp -a "$INST" "$T/inst2" && rm "$T/inst2/bin" && mkdir "$T/inst2/bin"
for s in smtpd qmtpd qmqpd; do
  sed -e "s|$INST|$T/inst2|g" -e 's/ -u quaild//' "$INST/service/$s/run" > "$T/$s.installed"
  echo 127.0.0.1 > "$T/inst2/control/listenip"
done
like "$(run "$T/smtpd.installed" "$SMTP_PORT")" '^220 ' "with lookups, smtpd answers (the name server said NXDOMAIN)"
is "$(sort -u "$T/questions")" "2.0.0.127.in-addr.arpa" "with lookups, the client's name is asked for"
for s in qmtpd:$QMTP_PORT qmqpd:$QMQP_PORT; do
  run "$T/${s%:*}.installed" "${s#*:}" >/dev/null
  is "$(sort -u "$T/questions")" "2.0.0.127.in-addr.arpa" "with lookups, ${s%:*}'s script asks too"
done
done_testing
