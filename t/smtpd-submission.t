#!/bin/bash
# smtpd as message submission (SUBMISSION, RFC 6409: port 587) and with
# implicit TLS (SMTPS, RFC 8314: port 465): no MAIL before AUTH whatever the
# client's address, AUTH then relays; on SMTPS the greeting, AUTH and the
# message all travel inside TLS (python's smtplib.SMTP_SSL, swaks -tlsc).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/smtpd-lib.sh"
inst_new
# mkinstance's self-signed certificate (quail-cert selfsigned)
[ -s "$INST/control/servercert.pem" ] || skip_all "no certificate: mkinstance needs openssl"
cat > "$T/checkpw" <<'EOS'
#!/bin/bash
IFS= read -r -d '' user <&3; IFS= read -r -d '' pass <&3
[ "$user" = alice ] && [ "$pass" = 'sEcret pw' ] && exec "$@"
exit 1
EOS
chmod 755 "$T/checkpw"
PLAIN=$(printf '\0alice\0sEcret pw' | base64 -w0)

# --- submission: RELAYCLIENT set as for loopback, still no mail without AUTH
smtpd_start SUBMISSION=1 RELAYCLIENT= -- "$T/checkpw" /bin/true
out=$(raw "$HELLO" 1 "$(txn a@example.org b@elsewhere.example)" 3 'QUIT\r\n' 1)
like "$out" '530 5.7.0 authentication required' "submission: MAIL before AUTH is refused, 530 5.7.0"
unlike "$out" '354' "and no DATA follows"
is "$(mess_count)" 0 "nothing queued"
out=$(raw -t "$HELLO" 1 "AUTH PLAIN $PLAIN\\r\\n" 1 "$(txn a@example.org b@elsewhere.example)" 3 'Subject: sub\r\n\r\nx\r\n.\r\nQUIT\r\n' 2)
like "$out" '235 2.7.0' "submission: AUTH over STARTTLS"
like "$out" '250 2.0.0 ok' "then the message is accepted and relayed"
is "$(env_all)" 'Fa@example.org|Tb@elsewhere.example||' "its envelope"
out=$(raw -t "$HELLO" 1 "AUTH PLAIN $(printf '\0alice\0wrong' | base64 -w0)\\r\\n" 1 'MAIL FROM:<a@example.org>\r\nQUIT\r\n' 2)
like "$out" '535 5.7.8' "a wrong password: 535"
like "$out" '530 5.7.0 authentication required' "and still no MAIL"
smtpd_stop

# --- without SUBMISSION the same client relays by RELAYCLIENT (port 25's rule)
mess_clear
smtpd_start RELAYCLIENT= -- "$T/checkpw" /bin/true
out=$(raw "$HELLO" 1 "$(txn a@example.org b@elsewhere.example)" 3 'Subject: x\r\n\r\nx\r\n.\r\nQUIT\r\n' 2)
like "$out" '250 2.0.0 ok' "port 25 is unchanged: RELAYCLIENT relays without AUTH"
smtpd_stop

# --- SMTPS: TLS before the greeting
mess_clear
smtpd_start SMTPS=1 SUBMISSION=1 -- "$T/checkpw" /bin/true
out=$($PY - "$PORT" 2>&1 <<'PY'
import smtplib, ssl, sys
c = ssl.create_default_context(); c.check_hostname = False; c.verify_mode = ssl.CERT_NONE
s = smtplib.SMTP_SSL("127.0.0.1", int(sys.argv[1]), context=c, timeout=10)
print("greeting", s.ehlo()[0])
print("version", s.sock.version())
print("mail", s.mail("a@example.org")[0])
s.rset()
s.login("alice", "sEcret pw")
s.sendmail("a@example.org", ["c@elsewhere.example"], "Subject: smtps\r\n\r\nover implicit TLS\r\n")
print("sent")
s.quit()
PY
)
like "$out" "greeting 250" "SMTPS: EHLO answered inside TLS"
like "$out" "version TLSv1\.[23]" "the session is TLS from the first byte"
like "$out" "mail 530" "SMTPS with SUBMISSION: no MAIL before AUTH"
like "$out" "sent" "AUTH and the message inside TLS"
like "$(mess_all)" "over implicit TLS" "queued"
like "$(cat "$SLOG")" "tls TLSv1\.[23]" "the TLS session is logged"
# a plaintext client on the SMTPS port gets no greeting in the clear
out=$(printf 'EHLO x\r\n' | timeout 5 $PY -c 'import socket,sys; s=socket.create_connection(("127.0.0.1",int(sys.argv[1])),5); s.sendall(sys.stdin.buffer.read()); s.settimeout(5)
try: d=s.recv(100)
except Exception: d=b""
sys.stdout.write(repr(d))' "$PORT")
unlike "$out" "220" "a plaintext client on the SMTPS port gets no 220 in the clear"
if command -v swaks >/dev/null; then
  out=$(swaks -tlsc -s 127.0.0.1 -p "$PORT" -au alice -ap 'sEcret pw' -f a@example.org -t d@elsewhere.example 2>&1)
  like "$out" "<~  250 2.0.0 ok" "swaks --tls-on-connect with AUTH: accepted"
else
  skip "no swaks"
fi
done_testing
