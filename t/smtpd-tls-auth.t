#!/bin/bash
# smtpd: STARTTLS (libtls) and AUTH PLAIN/LOGIN through checkpassword.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/smtpd-lib.sh"
command -v openssl >/dev/null || skip_all "openssl is needed to make a test certificate"
inst_new
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=localhost \
  -keyout "$T/key.pem" -out "$T/cert.pem" 2>/dev/null || { echo "Bail out! openssl req failed"; exit 1; }
cat "$T/cert.pem" "$T/key.pem" > "$INST/control/servercert.pem"

# the checkpassword interface: user NUL password NUL timestamp NUL on fd 3
cat > "$T/checkpw" <<EOS
#!/bin/bash
IFS= read -r -d '' user <&3; IFS= read -r -d '' pass <&3; IFS= read -r -d '' stamp <&3
printf '%s|%s|%s\n' "\$user" "\$pass" "\$stamp" >> "$T/checkpw.log"
[ "\$user" = temp ] && exit 111
[ "\$user" = alice ] && [ "\$pass" = 'sEcret pw' ] && exec "\$@"
exit 1
EOS
chmod 755 "$T/checkpw"
smtpd_start -- "$T/checkpw" /bin/true
b64() { printf "$1" | base64 -w0; }
PLAIN=$(b64 '\0alice\0sEcret pw')

out=$(raw "$HELLO" 1 'AUTH PLAIN '"$PLAIN"'\r\nQUIT\r\n' 2)
like "$out" '250-STARTTLS' "STARTTLS offered with control/servercert.pem"
unlike "$out" 'AUTH' "AUTH not offered without TLS"
like "$out" '538 5.7.11 encryption required' "AUTH before TLS: 538 5.7.11"
is "$(cat "$T/checkpw.log" 2>/dev/null)" "" "checkpassword not run for a refused AUTH"

# raw over TLS: the session starts afresh, AUTH is offered
out=$(raw -t 'MAIL FROM:<a@example.org>\r\n' 1 "$HELLO" 1 'STARTTLS\r\nQUIT\r\n' 2)
like "$out" '220 2.0.0 ready to start TLS' "STARTTLS: 220 2.0.0"
like "$out" '503 5.5.1 send HELO' "after TLS the session is reset: MAIL needs a new EHLO"
like "$out" '250-AUTH PLAIN LOGIN' "AUTH PLAIN LOGIN offered under TLS"
unlike "$(printf '%s' "$out" | sed -n '/^220 2.0.0/,$p')" 'STARTTLS' "no STARTTLS offered once TLS is on"
like "$out" '503 5.5.1 TLS is already active' "a second STARTTLS: 503"
like "$(cat "$SLOG")" 'from 127.0.0.1: tls TLSv1.[23] ' "the TLS version and cipher are logged"

# AUTH PLAIN, then relaying, and what the Received line says
mess_clear
out=$(raw -t "$HELLO" 1 "AUTH PLAIN $PLAIN\\r\\n" 1 "$(txn a@example.org victim@elsewhere.example)" 3 'Subject: auth\r\n\r\nx\r\n.\r\nQUIT\r\n' 2)
like "$out" '235 2.7.0 authentication successful' "AUTH PLAIN with an initial response: 235 2.7.0"
like "$out" '250 2.0.0 ok' "an authenticated client may relay"
is "$(env_all)" 'Fa@example.org|Tvictim@elsewhere.example||' "relayed recipient in the envelope"
mlike "$(mess_all)" 'with ESMTPSA\n\t\(TLSv1\.[23] [A-Z0-9_-]+\)\n\t\(authenticated as alice\);' "Received names ESMTPSA, the TLS version and cipher, the user"
is "$(tail -1 "$T/checkpw.log")" "alice|sEcret pw|" "checkpassword got user NUL password NUL NUL on fd 3"
like "$(cat "$SLOG")" 'auth user=alice' "the authentication is logged"
like "$(cat "$SLOG")" 'accepted from=<a@example.org> to=<victim@elsewhere.example> .*tls=TLSv1.* auth=alice' "the transaction log names TLS and the user"

# AUTH PLAIN without an initial response; AUTH LOGIN both ways
out=$(raw -t "$HELLO" 1 'AUTH PLAIN\r\n' 1 "$PLAIN"'\r\n' 1 'QUIT\r\n' 1)
like "$out" '334 ' "AUTH PLAIN: empty 334 challenge"
like "$out" '235 2.7.0' "AUTH PLAIN in two steps: 235"
out=$(raw -t "$HELLO" 1 'AUTH LOGIN\r\n' 1 "$(b64 alice)"'\r\n' 1 "$(b64 'sEcret pw')"'\r\n' 1 'AUTH LOGIN\r\nQUIT\r\n' 2)
like "$out" '334 VXNlcm5hbWU6' "AUTH LOGIN asks Username:"
like "$out" '334 UGFzc3dvcmQ6' "AUTH LOGIN asks Password:"
like "$out" '235 2.7.0' "AUTH LOGIN: 235"
like "$out" '503 5.5.1 already authenticated' "a second AUTH: 503"
out=$(raw -t "$HELLO" 1 "AUTH LOGIN $(b64 alice)\\r\\n" 1 "$(b64 'sEcret pw')"'\r\n' 1 'QUIT\r\n' 1)
like "$out" '235 2.7.0' "AUTH LOGIN with the user as initial response: 235"

# failures
out=$(raw -t "$HELLO" 1 "AUTH PLAIN $(b64 '\0alice\0wrong')\\r\\n" 1 "$(txn a@example.org victim@elsewhere.example)" 2 'QUIT\r\n' 1)
like "$out" '535 5.7.8 authentication failed' "wrong password: 535 5.7.8"
like "$out" '553 5.7.1 relaying denied' "no relaying after a failed AUTH"
like "$(cat "$SLOG")" 'auth failed user=alice' "the failure is logged"
out=$(raw -t "$HELLO" 1 "AUTH PLAIN $(b64 'bob\0alice\0sEcret pw')\\r\\nQUIT\\r\\n" 2)
like "$out" '535 5.7.8 authorization identity' "AUTH PLAIN as someone else: 535"
out=$(raw -t "$HELLO" 1 "AUTH PLAIN $(b64 '\0temp\0x')\\r\\nQUIT\\r\\n" 2)
like "$out" '454 4.7.0 temporary authentication failure' "checkpassword exit 111: 454 4.7.0"
out=$(raw -t "$HELLO" 1 'AUTH PLAIN\r\n' 1 '*\r\nAUTH PLAIN %%%\r\nAUTH CRAM-MD5\r\nAUTH PLAIN '"$(b64 'alice\0sEcret pw')"'\r\nQUIT\r\n' 5)
like "$out" '501 5.5.4 authentication cancelled' "'*' cancels: 501"
like "$out" '501 5.5.2 malformed base64' "bad base64: 501 5.5.2"
like "$out" '504 5.5.4 unrecognized authentication type' "unknown mechanism: 504 5.5.4"
like "$out" '501 5.5.2 malformed AUTH PLAIN' "PLAIN without two NULs: 501"
bad=$(b64 '\0alice\0no')
out=$(raw -t "$HELLO" 1 "AUTH PLAIN $bad\\r\\nAUTH PLAIN $bad\\r\\nAUTH PLAIN $bad\\r\\nNOOP\\r\\n" 3)
like "$out" '421 4.7.0 too many failed authentications' "the third failure: 421 and hang up"
unlike "$out" '250 2.0.0 ok' "nothing answered after the hang-up"

# real clients: swaks and python smtplib with STARTTLS and AUTH, curl
mess_clear
out=$(swaks --server 127.0.0.1:$PORT -tls --auth PLAIN --auth-user alice --auth-password 'sEcret pw' \
  --from s@example.org --to victim@elsewhere.example --body 'swaks plain' 2>&1)
like "$out" '<~ *235 2.7.0' "swaks -tls AUTH PLAIN: 235"
like "$out" '<~ *250 2.0.0 ok' "swaks -tls AUTH PLAIN: accepted"
out=$(swaks --server 127.0.0.1:$PORT -tls --auth LOGIN --auth-user alice --auth-password 'sEcret pw' \
  --from s@example.org --to test@localhost --body 'swaks login' 2>&1)
like "$out" '<~ *250 2.0.0 ok' "swaks -tls AUTH LOGIN: accepted"
out=$(swaks --server 127.0.0.1:$PORT -tls --from s@example.org --to test@localhost --body 'swaks tls' 2>&1)
like "$out" '<~ *250 2.0.0 ok' "swaks -tls without AUTH: accepted for a local recipient"
$PY - "$PORT" <<'PY'
import smtplib, ssl, sys
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), local_hostname="py.example")
s.starttls(context=ctx)
s.login("alice", "sEcret pw")
s.sendmail("py@example.org", ["victim@elsewhere.example"], "Subject: python tls\r\n\r\nhello\r\n")
s.quit()
PY
is "$?" 0 "python smtplib: starttls, login, relay"
printf 'Subject: curl tls\r\n\r\ncurl\r\n' > "$T/mail.txt"
curl -s --ssl-reqd --insecure --user 'alice:sEcret pw' --url "smtp://127.0.0.1:$PORT" \
  --mail-from c@example.org --mail-rcpt victim@elsewhere.example --upload-file "$T/mail.txt"
is "$?" 0 "curl: STARTTLS, AUTH and relay"
is "$(mess_count)" 5 "five messages from the real clients"
mlike "$(mess_all)" 'Subject: python tls' "the python message is stored"

# STARTTLS command injection: plaintext read ahead is thrown away
mess_clear
out=$($PY - "$PORT" <<'PY'
import socket, ssl, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
f = s.makefile("rb")
def reply():
    lines = []
    while True:
        l = f.readline().decode()
        lines.append(l)
        if len(l) < 4 or l[3] != "-":
            return "".join(lines)
reply()
s.sendall(b"EHLO x\r\n"); reply()
s.sendall(b"STARTTLS\r\nMAIL FROM:<injected@example.org>\r\nRCPT TO:<test@localhost>\r\n")
print(reply(), end="")
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
t = ctx.wrap_socket(s)
g = t.makefile("rb")
t.sendall(b"EHLO x\r\nMAIL FROM:<real@example.org>\r\nQUIT\r\n")
print(g.read().decode(), end="")
PY
)
like "$out" '220 2.0.0 ready to start TLS' "injection: STARTTLS answered"
mlike "$out" '250 HELP\r\n250 2.1.0 sender ok\r\n221 ' "injection: the injected MAIL and RCPT are never answered"
unlike "$out" '503|nested' "injection: no trace of the injected commands"
like "$(cat "$SLOG")" 'discarded plaintext sent after STARTTLS' "injection: logged"

# control/authplaintext allows AUTH without TLS
touch "$INST/control/authplaintext"
out=$(raw "$HELLO" 1 "AUTH PLAIN $PLAIN\\r\\nQUIT\\r\\n" 2)
like "$out" '250-AUTH PLAIN LOGIN' "authplaintext: AUTH offered without TLS"
like "$out" '235 2.7.0' "authplaintext: AUTH without TLS works"
rm "$INST/control/authplaintext"
smtpd_stop

# no certificate: no STARTTLS; no checkpassword: no AUTH
rm "$INST/control/servercert.pem"
smtpd_start
out=$(raw "$HELLO" 1 'STARTTLS\r\nAUTH PLAIN '"$PLAIN"'\r\nQUIT\r\n' 3)
unlike "$out" '250-STARTTLS' "no certificate: STARTTLS not offered"
like "$out" '454 4.7.0 TLS not available' "no certificate: STARTTLS gets 454 4.7.0"
like "$out" '502 5.5.1 AUTH is not available' "no checkpassword program: AUTH gets 502"
smtpd_stop

# smtpd (musl, no TLS library) hands STARTTLS to smtpd-tls: a certificate
# that is readable but broken gets 454 from smtpd-tls, and the session goes
# on there in plaintext with the client's EHLO remembered
echo "not a certificate" > "$INST/control/servercert.pem"
smtpd_start
out=$(raw "$HELLO" 1 'STARTTLS\r\n' 1 'MAIL FROM:<a@example.org>\r\nQUIT\r\n' 2)
like "$out" '250-STARTTLS' "broken certificate: STARTTLS offered (the file is readable)"
like "$out" '454 4.7.0 TLS not available' "broken certificate: 454 4.7.0 from smtpd-tls"
like "$out" '250 2.1.0' "the EHLO given to smtpd still counts in smtpd-tls"
like "$(cat "$SLOG")" 'tls unavailable' "the failure is logged"
smtpd_stop

# no smtpd-tls in HOME/bin: smtpd answers 454 itself and goes on
cat "$T/cert.pem" "$T/key.pem" > "$INST/control/servercert.pem"
rm "$INST/bin"; mkdir "$INST/bin"
for p in queue-writer smtpd; do ln -s "$BIN/$p" "$INST/bin/$p"; done
smtpd_start
out=$(raw "$HELLO" 1 'STARTTLS\r\n' 1 'MAIL FROM:<a@example.org>\r\nQUIT\r\n' 2)
like "$out" '454 4.7.0 TLS not available' "no smtpd-tls: 454 4.7.0"
like "$out" '250 2.1.0' "no smtpd-tls: the session goes on with its EHLO"
like "$(cat "$SLOG")" 'unable to run bin/smtpd-tls' "no smtpd-tls: logged"
smtpd_stop
rm -r "$INST/bin"; ln -s "$BIN" "$INST/bin"
rm "$INST/control/servercert.pem"

# smtpd-tls takes the same arguments as smtpd
"$BIN/smtpd-tls" -x </dev/null >/dev/null 2>"$T/err"
is "$?" 100 "smtpd-tls -x: usage, exit 100"
like "$(cat "$T/err")" 'usage' "and says how to call it"
ok "smtpd is the lean build: no TLS library in it" sh -c "! grep -q -a 'OpenSSL' '$BIN/smtpd'"
ok "smtpd-tls is the whole one" sh -c "grep -q -a 'OpenSSL' '$BIN/smtpd-tls' || readelf -d '$BIN/smtpd-tls' | grep -q 'NEEDED.*libtls'"
done_testing
