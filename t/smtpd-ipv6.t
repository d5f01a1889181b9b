#!/bin/bash
# smtpd over IPv6: tcpserver (ucspi-tcp-ipv6) on ::1, tcprules for an IPv6
# client, the Received line's address literal, relaying only when the rules
# allow it, and the same tcpserver still serving IPv4 as before.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/smtpd-lib.sh"
"$PY" -c 'import socket; s=socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2>/dev/null ||
  skip_all "no IPv6 loopback (::1) on this machine"
inst_new
rcpthosts localhost

# v6 ADDRESS PORT RULES: tcpserver with bin/smtpd on ADDRESS, rules text RULES
v6() {
  printf '%s\n' "$3" > "$T/rules.txt"
  tcprules "$T/rules.cdb" "$T/rules.tmp" < "$T/rules.txt" || { echo "Bail out! tcprules failed"; exit 1; }
  SLOG=$INST/smtpd6.$2.log
  tcpserver -v -R -H -l localhost -x "$T/rules.cdb" "$1" "$2" "$BIN/smtpd" >>"$SLOG" 2>&1 &
  kill_on_exit $!
  SPID=$!
  wait_for 5 grep -q 'status: 0/' "$SLOG" || { echo "Bail out! tcpserver did not start on $1"; exit 1; }
}
# send HOST PORT RCPT: python smtplib; prints the reply to DATA, or the refusal
send() {
  "$PY" - "$1" "$2" "$3" <<'EOS'
import smtplib, sys
host, port, rcpt = sys.argv[1], int(sys.argv[2]), sys.argv[3]
try:
    s = smtplib.SMTP(host, port, timeout=10)
    s.ehlo("client.example")
    r = s.sendmail("a@example.org", [rcpt], "Subject: six\r\n\r\nover IPv6\r\n")
    print("accepted")
    s.quit()
except smtplib.SMTPRecipientsRefused as e:
    code, text = list(e.recipients.values())[0]
    print("refused", code, text.decode())
EOS
}

P1=$(free_port)
v6 ::1 "$P1" '::1:allow
:allow'
is "$(send ::1 "$P1" test@localhost)" "accepted" "IPv6 client: a local recipient accepted"
like "$(mess_all)" 'Received: from client\.example \(\[IPv6:::1\]\)' "Received names the client as [IPv6:::1]"
like "$(cat "$SLOG")" 'smtpd: pid [0-9]+ from ::1: accepted' "the log names the IPv6 client"
like "$(send ::1 "$P1" victim@elsewhere.example)" '^refused 553 5\.7\.1' "IPv6 client without RELAYCLIENT: no relaying"
kill "$SPID"; wait "$SPID" 2>/dev/null

mess_clear
P2=$(free_port)
v6 ::1 "$P2" '::1:allow,RELAYCLIENT=""
:allow'
is "$(send ::1 "$P2" victim@elsewhere.example)" "accepted" "an IPv6 rule with RELAYCLIENT lets ::1 relay"
is "$(env_all)" 'Fa@example.org|Tvictim@elsewhere.example||' "and the envelope is as sent"
kill "$SPID"; wait "$SPID" 2>/dev/null

# the same tcpserver on 127.0.0.1: TCPREMOTEIP as ever, "127." rules match
mess_clear
P3=$(free_port)
v6 127.0.0.1 "$P3" '127.:allow,RELAYCLIENT=""
:allow'
is "$(send 127.0.0.1 "$P3" victim@elsewhere.example)" "accepted" "IPv4 on the same tcpserver: 127. rules still match"
like "$(mess_all)" 'Received: from client\.example \(\[127\.0\.0\.1\]\)' "and the Received line has the plain IPv4 literal"
kill "$SPID"; wait "$SPID" 2>/dev/null
done_testing
