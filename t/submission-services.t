#!/bin/bash
# covers run/submission, run/smtps and run/pop3s (and pop3-login's POP3S)
# A mail host's user-facing services, started by an instance's own run
# scripts: submission (587's) needs AUTH for every message, over STARTTLS;
# smtps (465's) speaks TLS from the first byte; pop3s (995's) too. A user
# made with quail-passwd sends with swaks on both and reads with curl and
# fetchmail over POP3S; a client that speaks in the clear gets nothing.
. "$(dirname "$0")/lib.sh"
command -v openssl >/dev/null || skip_all "openssl is needed for the instance's certificate"
SUBMISSION_PORT=$(free_port) SMTPS_PORT=$(free_port) POP3S_PORT=$(free_port)
export SUBMISSION_PORT SMTPS_PORT POP3S_PORT
inst_new
ok "mkinstance made a certificate" test -s "$INST/control/servercert.pem"
for s in submission smtps pop3s; do
  ok "service/$s made" test -x "$INST/service/$s/run" -a -x "$INST/service/$s/log/run"
done
uid=$(id -u) gid=$(id -g)
printf 'alice pw\n' | quail-passwd add alice "$uid" "$gid" "$INST/mail/test" >/dev/null
is "$?" 0 "quail-passwd adds alice (test's mailbox)"
start() {
  sh "$INST/service/$1/run" >"$T/$1.log" 2>&1 &
  kill_on_exit $!
  wait_for 10 grep -q 'status: 0/' "$T/$1.log" || { echo "Bail out! service/$1 did not start: $(cat "$T/$1.log")"; exit 1; }
}
for s in submission smtps pop3s; do start $s; done
qm_start

sw() { swaks --server "127.0.0.1:$1" --timeout 20 --from alice@localhost "${@:2}" 2>&1; }
# submission: no mail without AUTH, even from loopback
out=$(sw "$SUBMISSION_PORT" --to test@localhost --quit-after RCPT)
like "$out" '530 5\.7\.0 authentication required' "587: MAIL without AUTH is refused (530 5.7.0)"
out=$(sw "$SUBMISSION_PORT" --to test@localhost --quit-after EHLO)
like "$out" 'STARTTLS' "587: STARTTLS offered"
unlike "$(printf '%s' "$out" | sed -n '/EHLO/,$p')" '250-AUTH' "587: AUTH not offered in the clear"
out=$(sw "$SUBMISSION_PORT" --tls --auth PLAIN --auth-user alice --auth-password 'alice pw' --to test@localhost \
  --header 'Subject: over submission')
like "$out" '235 2\.7\.0' "587: AUTH PLAIN over STARTTLS"
like "$out" '250 2\.0\.0 ok' "587: the message is accepted"
out=$(sw "$SUBMISSION_PORT" --tls --auth LOGIN --auth-user alice --auth-password 'wrong' --to test@localhost)
like "$out" '535 5\.7\.8' "587: a wrong password, 535"
out=$(sw "$SUBMISSION_PORT" --tls --auth PLAIN --auth-user alice --auth-password 'alice pw' --to far@elsewhere.example \
  --quit-after RCPT)
like "$out" '<[-~]  250 2\.1\.5' "587: an authenticated user may relay"
# smtps: TLS first
out=$(sw "$SMTPS_PORT" --tlsc --auth LOGIN --auth-user alice --auth-password 'alice pw' --to test@localhost \
  --header 'Subject: over smtps')
like "$out" 'TLS started' "465: TLS before anything else"
like "$out" '235 2\.7\.0' "465: AUTH LOGIN"
like "$out" '250 2\.0\.0 ok' "465: the message is accepted"
out=$(sw "$SMTPS_PORT" --tlsc --to test@localhost --quit-after RCPT)
like "$out" '530 5\.7\.0' "465: no mail without AUTH"
clear() { $PY -c 'import socket,sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 5); s.sendall(sys.argv[2].encode()); s.settimeout(3)
try: d = s.recv(100)
except Exception: d = b""
print(repr(d))' "$@"; }
unlike "$(clear "$SMTPS_PORT" 'EHLO x\r\n')" "220" "465: a client speaking in the clear gets no greeting"
ok "both messages reach test's Maildir" wait_for 20 md_has "$MD" 2

# pop3s: curl and fetchmail over TLS from the first byte
pw=$(cat "$INST/mail/test/password")
out=$(curl -sk --max-time 20 "pop3s://127.0.0.1:$POP3S_PORT/" -u "test:$pw")
like "$out" '^1 [0-9]+' "995: curl lists the messages over POP3S"
out=$(curl -sk --max-time 20 "pop3s://127.0.0.1:$POP3S_PORT/1" -u "test:$pw")
like "$out" 'Subject: over (submission|smtps)' "995: curl reads one"
unlike "$(clear "$POP3S_PORT" 'CAPA\r\n')" "OK" "995: a client speaking in the clear gets no +OK"
like "$(cat "$INST/log/pop3s/current" "$T/pop3s.log" 2>/dev/null)" "tls TLSv1\.[23]" "995: the TLS session is logged"
if command -v fetchmail >/dev/null; then
  mkdir -p "$T/fm"
  sed -n '/BEGIN CERT/,/END CERT/p' "$INST/control/servercert.pem" > "$T/fm/cert.pem"
  cat > "$T/fm/rc" <<FMRC
set no syslog
poll 127.0.0.1 with protocol pop3 and port $POP3S_PORT:
  user "test" there with password "$pw" is "test" here
  ssl sslcertck sslcertfile "$T/fm/cert.pem" sslcommonname localhost
  keep
  mda "/bin/sh -c 'cat >> $T/fm/got'"
FMRC
  chmod 600 "$T/fm/rc"
  FETCHMAILHOME=$T/fm HOME=$T/fm fetchmail -v -f "$T/fm/rc" >"$T/fm/out" 2>&1
  ok "995: fetchmail over POP3S fetches (exit 0)" test $? = 0
  like "$(cat "$T/fm/got" 2>/dev/null)" 'Subject: over smtps' "995: and gets the messages"
else
  skip "no fetchmail"; skip "no fetchmail"
fi
done_testing
