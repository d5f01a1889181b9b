#!/bin/bash
# deliver-remote: STARTTLS (opportunistic, verified for tlsdestinations)
# and AUTH to a smarthost, against quail's own smtpd under tcpserver.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dnsmasq-lib.sh"
need_root "MX peers listen on port 25 of 127/8 addresses"
command -v dnsmasq >/dev/null || skip_all "dnsmasq is not installed"
command -v openssl >/dev/null || skip_all "openssl is needed to make a test certificate"
inst_new
C=$INST/control
net_pick
N=$NET
dns_start --mx-host=tls.test,mx.tls.test,10 --host-record=mx.tls.test,$N.2 \
  --mx-host=plain.test,mx.plain.test,10 --host-record=mx.plain.test,$N.3

# the peer: another instance, smtpd with a self-signed certificate for mx.tls.test
PEER=$T/peer
mkinstance "$PEER" mx.tls.test >/dev/null
printf 'tls.test\n' > "$PEER/control/rcpthosts"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
  -subj /CN=mx.tls.test -addext subjectAltName=DNS:mx.tls.test \
  -keyout "$T/key.pem" -out "$T/cert.pem" 2>/dev/null || { echo "Bail out! openssl req failed"; exit 1; }
cat "$T/cert.pem" "$T/key.pem" > "$PEER/control/servercert.pem"
cat > "$T/checkpw" <<EOS
#!/bin/bash
IFS= read -r -d '' user <&3; IFS= read -r -d '' pass <&3
printf '%s|%s\n' "\$user" "\$pass" >> "$T/checkpw.log"
[ "\$user" = alice ] && [ "\$pass" = 'sEcret:pw' ] && exec "\$@"
exit 1
EOS
chmod 755 "$T/checkpw"
QUAIL_HOME=$PEER tcpserver -v -R -H -l mx.tls.test "$N.2" 25 "$BIN/smtpd" "$T/checkpw" /bin/true >"$T/smtpd.log" 2>&1 &
kill_on_exit $!
wait_for 5 grep -q 'status: 0/' "$T/smtpd.log" || { echo "Bail out! tcpserver did not start"; exit 1; }
peer_start plain $N.3 25
queued() { q_cat "$PEER/queue" 2>/dev/null | tr '\0' '|'; }
msgfile "tls"

# opportunistic TLS: any certificate will do
out=$(dr tls.test a@quail.test joe@tls.test < "$T/msg")
like "$out" '^r\|KRemote host said: 250 2.0.0 ok' "opportunistic STARTTLS to a self-signed peer: delivered"
like "$(cat "$T/smtpd.log")" 'tls TLSv1\.[23] ' "the peer logged the session as TLS"
like "$(queued)" 'Tjoe@tls.test' "the peer queued it"

# verified TLS: the system's CAs do not know the certificate
echo tls.test > "$C/tlsdestinations"
out=$(dr tls.test a@quail.test ann@tls.test < "$T/msg")
like "$out" '^ZTLS to mx.tls.test \[[0-9.]+\] failed: .*certificate.* \(control/tlsdestinations requires a verified certificate\). \(#4.7.5\)' \
  "tlsdestinations, self-signed certificate: Z"
unlike "$(queued)" 'ann@tls.test' "nothing was sent"
# ... the test's own CA file does
printf 'tls.test:%s\n' "$T/cert.pem" > "$C/tlsdestinations"
out=$(dr tls.test a@quail.test bob@tls.test < "$T/msg")
like "$out" '^r\|K' "tlsdestinations with the certificate as CA file: delivered"
like "$(queued)" 'Tbob@tls.test' "the peer queued it"
# ... and a peer without STARTTLS fails the requirement
printf 'plain.test\n' > "$C/tlsdestinations"
out=$(dr plain.test a@quail.test joe@plain.test < "$T/msg")
like "$out" '^Zmx.plain.test \[[0-9.]+\] offers no STARTTLS, which control/tlsdestinations requires' \
  "tlsdestinations and a peer without STARTTLS: Z"
unlike "$(peer_log plain)" 'MAIL' "no MAIL to it"
rm -f "$C/tlsdestinations"

# AUTH to a smarthost: relaying needs it
printf ':mx.tls.test\n' > "$C/smtproutes"
out=$(dr other.test a@quail.test carol@other.test < "$T/msg")
like "$out" "^hRemote host said: 553 5.7.1 relaying denied" "no credentials: the smarthost refuses to relay"
printf 'mx.tls.test:alice:sEcret:pw\n' > "$C/smtpcredentials"
chmod 644 "$C/smtpcredentials"
out=$(dr other.test a@quail.test carol@other.test < "$T/msg")
is "$out" "Zcontrol/smtpcredentials may be read by group or others: chmod 600 it. (#4.3.0)|" \
  "a credentials file others can read: Z, not used"
chmod 600 "$C/smtpcredentials"
out=$(dr other.test a@quail.test carol@other.test < "$T/msg")
like "$out" '^r\|K' "AUTH PLAIN to the smarthost: relayed"
is "$(tail -1 "$T/checkpw.log")" "alice|sEcret:pw" "the smarthost checked alice's password (colons kept)"
like "$(queued)" 'Tcarol@other.test' "the smarthost queued it"
printf 'mx.tls.test:alice:wrong\n' > "$C/smtpcredentials"
out=$(dr other.test a@quail.test dave@other.test < "$T/msg")
like "$out" '^Z.*refused my credentials' "a wrong password: Z"
printf ':mx.plain.test\n' > "$C/smtproutes"
printf 'mx.plain.test:alice:sEcret:pw\n' > "$C/smtpcredentials"
out=$(dr other.test a@quail.test erin@other.test < "$T/msg")
like "$out" '^Z.*offers no STARTTLS: the password in control/smtpcredentials is not sent in the clear' \
  "a smarthost without STARTTLS: the password is not sent"
unlike "$(peer_log plain)" 'AUTH|MAIL' "no AUTH and no MAIL to it"
done_testing
