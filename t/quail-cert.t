#!/bin/bash
# quail-cert: mkinstance's self-signed certificate (smtpd offers STARTTLS,
# pop3-login STLS); install checks that key and chain match (a mismatched
# pair, an expired certificate, a key that is no key: refused, nothing
# changed) and installs both files atomically; certbot's deploy hook; a
# replacement while a TLS session is open: the session goes on, a new one
# sees the new certificate (openssl s_client); deliver-remote shows
# control/clientcert.pem to a server that asks.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/smtpd-lib.sh"
command -v openssl >/dev/null || skip_all "openssl is not installed"
inst_new
C=$INST/control

# the instance's own certificate
ok "mkinstance made control/servercert.pem" test -s "$C/servercert.pem"
like "$(openssl x509 -in "$C/servercert.pem" -noout -subject -ext subjectAltName | tr '\n' ' ')" 'CN = localhost.*DNS:localhost' \
  "  self-signed for the instance's host"
is "$(stat -c %a "$C/servercert.pem")" 600 "  mode 600"
like "$("$BIN/quail-cert" selfsigned 2>&1)" 'keeping .*servercert.pem' "selfsigned keeps an existing certificate"
smtpd_start
like "$(raw "$HELLO" 1 'QUIT\r\n' 1)" '250[- ]STARTTLS' "smtpd offers STARTTLS"
POP=$(free_port)
tcpserver -v -R -H -l localhost 127.0.0.1 "$POP" "$BIN/pop3-login" localhost "$BIN/checkpassword" \
  "$BIN/pop3d" Maildir >"$INST/pop3.log" 2>&1 &
kill_on_exit $!
wait_for 5 grep -q 'status: 0/' "$INST/pop3.log" || { echo "Bail out! pop3 did not start"; exit 1; }
like "$(printf 'CAPA\r\nQUIT\r\n' | $PY -c 'import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1]))); s.sendall(sys.stdin.buffer.read()); time.sleep(0.5)
print(s.recv(4096).decode())' "$POP")" 'STLS' "pop3-login offers STLS"

# certificates for a.example and b.example
cert() { # NAME DAYS: $T/NAME.crt and $T/NAME.key
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days "$2" -subj "/CN=$1" \
    -keyout "$T/$1.key" -out "$T/$1.crt" 2>/dev/null
}
cert a.example 30 && cert b.example 30 || { echo "Bail out! openssl req failed"; exit 1; }
# an expired one: it ended a day before it began
openssl req -new -key "$T/a.example.key" -subj /CN=old.example -out "$T/old.csr" 2>/dev/null &&
  openssl x509 -req -in "$T/old.csr" -signkey "$T/a.example.key" -days -1 -out "$T/old.crt" 2>/dev/null ||
  { echo "Bail out! openssl x509 -req failed"; exit 1; }
cp "$C/servercert.pem" "$T/before.pem"

subject() { # PORT: the subject of the certificate a new STARTTLS session shows
  openssl s_client -starttls smtp -connect "127.0.0.1:$1" -servername localhost </dev/null 2>/dev/null | grep '^subject='
}
like "$(subject "$PORT")" 'CN ?= ?localhost' "openssl s_client sees the self-signed certificate"

out=$("$BIN/quail-cert" install "$T/a.example.crt" "$T/b.example.key" 2>&1); rc=$?
is "$rc" 100 "a key that does not match the chain: refused"
like "$out" 'does not belong to the certificate.*nothing changed' "  saying why"
ok "  servercert.pem unchanged" cmp -s "$C/servercert.pem" "$T/before.pem"
ok "  no clientcert.pem made" test ! -e "$C/clientcert.pem"
"$BIN/quail-cert" install "$T/old.crt" "$T/a.example.key" >/dev/null 2>&1; is "$?" 100 "an expired certificate: refused"
"$BIN/quail-cert" install "$T/a.example.crt" "$T/a.example.crt" >/dev/null 2>&1; is "$?" 100 "a key file without a key: refused"
"$BIN/quail-cert" install "$T/a.example.key" "$T/a.example.key" >/dev/null 2>&1; is "$?" 100 "a chain without a certificate: refused"
"$BIN/quail-cert" install "$T/nothing.crt" "$T/a.example.key" >/dev/null 2>&1; is "$?" 100 "a missing file: refused"
ok "  still unchanged" cmp -s "$C/servercert.pem" "$T/before.pem"
ls -a "$C" > "$T/ls"
unlike "$(cat "$T/ls")" 'tmp' "  and no temporary file left"

# a session in TLS held open across the replacement
mkfifo "$T/in"
openssl s_client -starttls smtp -connect "127.0.0.1:$PORT" -servername localhost -crlf -ign_eof <"$T/in" >"$T/s1.out" 2>&1 &
S1=$!
kill_on_exit $S1
exec 7>"$T/in"
wait_for 10 grep -q '^subject=' "$T/s1.out"
like "$(grep '^subject=' "$T/s1.out")" 'CN ?= ?localhost' "an open session with the old certificate"

out=$("$BIN/quail-cert" install "$T/a.example.crt" "$T/a.example.key"); rc=$?
is "$rc" 0 "install of a matching pair"
like "$out" 'installed subject=CN ?= ?a\.example' "  says what it installed"
is "$(openssl x509 -in "$C/servercert.pem" -noout -subject)" "$(openssl x509 -in "$T/a.example.crt" -noout -subject)" \
  "  servercert.pem holds the new certificate"
ok "  and its key" bash -c "openssl pkey -in '$C/servercert.pem' -pubout | cmp -s - <(openssl pkey -in '$T/a.example.key' -pubout)"
ok "  clientcert.pem the same" cmp -s "$C/servercert.pem" "$C/clientcert.pem"
is "$(stat -c %a "$C/servercert.pem") $(stat -c %a "$C/clientcert.pem")" "600 600" "  both mode 600"
like "$(subject "$PORT")" 'CN ?= ?a\.example' "a new STARTTLS session sees the new certificate"
like "$(openssl s_client -starttls pop3 -connect "127.0.0.1:$POP" </dev/null 2>/dev/null | grep '^subject=')" 'CN ?= ?a\.example' \
  "  and a new STLS session too"
printf 'EHLO client.example\nMAIL FROM:<a@example.org>\nRCPT TO:<test@localhost>\nDATA\nSubject: held\n\nsent in the old session\n.\nQUIT\n' >&7
exec 7>&-
wait_for 10 sh -c "! kill -0 $S1 2>/dev/null"
like "$(cat "$T/s1.out")" '250 2\.0\.0 ok: queued' "the open session went on after the replacement"
like "$(mess_all)" 'sent in the old session' "  its message queued"

# certbot's deploy hook
mkdir -p "$T/live/b.example"
cp "$T/b.example.crt" "$T/live/b.example/fullchain.pem"
cp "$T/b.example.key" "$T/live/b.example/privkey.pem"
chmod 644 "$C/servercert.pem"   # a mode the administrator chose is kept
RENEWED_LINEAGE=$T/live/b.example "$BIN/quail-cert" --deploy-hook >/dev/null; is "$?" 0 "--deploy-hook"
like "$(subject "$PORT")" 'CN ?= ?b\.example' "  installs RENEWED_LINEAGE's certificate"
is "$(stat -c %a "$C/servercert.pem")" 644 "  keeping the mode of the file it replaced"
cp "$T/a.example.crt" "$T/live/b.example/fullchain.pem"
RENEWED_LINEAGE=$T/live/b.example "$BIN/quail-cert" >/dev/null 2>&1; is "$?" 100 "no arguments with RENEWED_LINEAGE: the hook, which refuses a mismatch"
like "$(subject "$PORT")" 'CN ?= ?b\.example' "  nothing changed"
"$BIN/quail-cert" --deploy-hook >/dev/null 2>&1; is "$?" 100 "--deploy-hook without RENEWED_LINEAGE: usage"
"$BIN/quail-cert" >/dev/null 2>&1; is "$?" 100 "no arguments: usage"
like "$("$BIN/quail-cert" show | tr '\n' ' ')" 'servercert\.pem:.*subject=CN ?= ?b\.example' "show"

# deliver-remote shows clientcert.pem to a server that asks for one
cat "$T/a.example.crt" "$T/a.example.key" > "$T/peer.pem"
RP=$(free_port)
: > "$T/peer.log"
$PY "$SRC/t/remote-peer.py" 127.0.0.2 "$RP" "$T/peer.log" tls="$T/peer.pem" clientca="$T/b.example.crt" >"$T/peer.ready" 2>"$T/peer.err" &
kill_on_exit $!
wait_for 5 grep -q ready "$T/peer.ready" || { cat "$T/peer.err" >&2; echo "Bail out! the peer did not start"; exit 1; }
printf 'peer.test:[127.0.0.2]:%s\n' "$RP" > "$C/smtproutes"
printf 'Subject: client\n\nhello\n' > "$T/dr.msg"
"$BIN/deliver-remote" peer.test a@localhost joe@peer.test < "$T/dr.msg" > "$T/dr.out"
like "$(tr '\0' '|' < "$T/dr.out")" '^r\|K' "deliver-remote delivers over TLS"
like "$(cat "$T/peer.log")" 'CLIENT-CERT commonName=b\.example' "  showing control/clientcert.pem"
cat "$T/a.example.crt" "$T/a.example.key" > "$T/both.pem"
"$BIN/quail-cert" install "$T/both.pem" "$T/both.pem" >/dev/null; is "$?" 0 "one file holding chain and key, named twice"
is "$(grep -c 'BEGIN CERTIFICATE' "$C/servercert.pem") $(grep -c 'BEGIN PRIVATE KEY' "$C/servercert.pem")" "1 1" "  taken once"
"$BIN/quail-cert" install 2>/dev/null; is "$?" 100 "install without files: usage"
done_testing
