#!/bin/bash
# quail-setup internet: an MX for quail.test on the internet. The server
# and a peer (another quail instance, MX for peer.test) are network
# namespaces; dnsmasq in the peer's serves the MX, SPF and DKIM records.
# The peer's mail reaches the server through MX; a user submits with AUTH
# over STARTTLS and the peer gets it DKIM-signed; relaying without AUTH
# and unknown local users are refused.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netns-lib.sh"
ns_need
command -v swaks >/dev/null || skip_all "swaks is not installed"
command -v dnsmasq >/dev/null || skip_all "dnsmasq is not installed"
ns_host mx; ns_host peer
ns_wire mx 10.207.0.1/24 peer 10.207.0.2/24 wnet
MX=$T/mx P=$T/peer
ns_inst mx "$MX" mx.quail.test
ns_inst peer "$P" mx.peer.test
QUAIL_HOME=$MX quail-setup internet --user ann >/dev/null 2>&1
is "$?" 100 "internet without --domain is a usage error"
ok "quail-setup internet succeeds" eval 'QUAIL_HOME=$MX quail-setup internet --domain quail.test --user ann >/dev/null'
QUAIL_HOME=$P quail-setup internet --domain peer.test --user carol >/dev/null || { echo "Bail out! peer setup failed"; exit 1; }
C=$MX/control
is "$(cat "$C/listenip")" 0 "it listens on every address"
is "$(stat -c %a "$C/servercert.pem")" 600 "a self-signed certificate, mode 600"
ok "  holding a key and a certificate" eval 'openssl x509 -noout -in "$C/servercert.pem" && grep -q "PRIVATE KEY" "$C/servercert.pem"'
is "$(cat "$C/spf")" mark "SPF marks"
ok "a DKIM key for the domain" test -s "$C/dkim/quail.test/mail.key"
like "$(cat "$C/tcp.smtp")" 'QMAILQUEUE=".*/bin/auth-check"' "auth-check for the internet (tcp.smtp)"
ok "users/rcpt.cdb for the RCPT check" test -s "$MX/users/rcpt.cdb"
is "$(ls "$MX/service" | tr '\n' ' ')" "queue-manager smtpd " "it runs smtpd and queue-manager"

# DNS: MX, A, SPF and DKIM records of both domains
txt() { # DOMAIN: dnsmasq's option for the DKIM record kept by quail-setup
  local val; val=$(sed 's/^[^"]*"//; s/"$//' "$2/control/dkim/$1/mail.txt")
  printf -- '--txt-record=mail._domainkey.%s' "$1"
  while [ -n "$val" ]; do printf ',%s' "${val:0:200}"; val=${val:200}; done
}
ns peer dnsmasq --keep-in-foreground --listen-address=10.207.0.2 --bind-interfaces --no-resolv --no-hosts \
  --local=/test/ --pid-file= --log-facility="$T/dnsmasq.log" \
  --mx-host=quail.test,mx.quail.test,10 --host-record=mx.quail.test,10.207.0.1 \
  --mx-host=peer.test,mx.peer.test,10 --host-record=mx.peer.test,10.207.0.2 \
  --txt-record=quail.test,"v=spf1 ip4:10.207.0.1 -all" --txt-record=peer.test,"v=spf1 ip4:10.207.0.2 -all" \
  "$(txt quail.test "$MX")" "$(txt peer.test "$P")" 2>>"$T/dnsmasq.err" &
kill_on_exit $!
wait_for 5 grep -q started "$T/dnsmasq.log" || { cat "$T/dnsmasq.err" >&2; echo "Bail out! dnsmasq did not start"; exit 1; }
printf 'nameserver 10.207.0.2#53\noptions timeout:2 attempts:1\n' > "$T/resolv.conf"
export QUAIL_RESOLVCONF=$T/resolv.conf
for s in queue-manager smtpd; do ns_service mx "$MX" "$s"; ns_service peer "$P" "$s"; done
A=$MX/mail/ann/Maildir CM=$P/mail/carol/Maildir

# the peer's users write to ann through the MX record, signed by the peer
printf 'From: carol@peer.test\nSubject: hello ann\n\nfrom the peer\n' |
  QUAIL_HOME=$P QMAILQUEUE=$P/bin/dkim-sign ns peer "$P/bin/sendmail" -f carol@peer.test ann@quail.test
ok "mail from the peer reaches ann through MX" wait_for 15 md_has "$A" 1
like "$(md_cat "$A")" 'from the peer' "  with its text"
like "$(md_cat "$A")" 'Authentication-Results: mx\.quail\.test;' "  checked by auth-check"
like "$(md_cat "$A")" 'dkim=pass header\.d=peer\.test' "  which found the peer's signature good"
like "$(md_cat "$A")" 'Received-SPF: pass' "  and SPF passes"

sw() { local h=$1; shift; ns "$h" swaks -4 --server 10.207.0.1 "$@" >"$T/sw.log" 2>&1; cat "$T/sw.log"; }
ehlo=$(sw peer --quit-after EHLO)
unlike "$ehlo" '250.AUTH' "no AUTH offered without TLS"
like "$ehlo" '250.STARTTLS' "STARTTLS offered"
like "$(sw peer -tls --quit-after EHLO)" '250.AUTH PLAIN' "AUTH offered under TLS"
pass=$(cat "$MX/mail/ann/password")
like "$(sw peer -tls -au ann -ap wrong --from ann@quail.test --to carol@peer.test --quit-after AUTH)" \
  '535' "a wrong password is refused"
like "$(sw peer -tls -au ann -ap "$pass" --from ann@quail.test --to carol@peer.test \
  --header 'From: ann@quail.test' --header 'Subject: submitted' --body 'over tls with auth')" \
  '<~  250 2.0.0 ok' "ann submits with AUTH over STARTTLS"
ok "it reaches carol at the peer" wait_for 20 md_has "$CM" 1
msg=$(md_cat "$CM")
like "$msg" 'over tls with auth' "  with its text"
like "$msg" 'DKIM-Signature: .*d=quail\.test' "  signed for quail.test"
like "$msg" 'dkim=pass header\.d=quail\.test' "  and the peer's auth-check verified it"
if $PY -c 'import dkim' 2>/dev/null; then
  cp "$(ls -d "$CM"/new/* | head -1)" "$T/signed"
  is "$(ns peer $PY "$SRC/t/dkim-verify.py" "$T/signed" | cut -d' ' -f1)" pass "python3-dkim verifies the signature"
else
  skip "python3-dkim is not installed"
fi
like "$(sw peer --from x@peer.test --to someone@else.test --quit-after RCPT)" \
  '<\*\* 553 5\.7\.1' "relaying without AUTH is refused"
like "$(sw peer -tls --from x@peer.test --to someone@else.test --quit-after RCPT)" \
  '<~\* 553 5\.7\.1' "  with TLS but no AUTH too"
like "$(sw peer --from x@peer.test --to nobody@quail.test --quit-after RCPT)" \
  '<\*\* 550 5\.1\.1' "an unknown local user gets 550 at RCPT"
like "$(sw peer --from x@peer.test --to postmaster@quail.test --body 'to the postmaster')" \
  '<-  250 2.0.0 ok' "postmaster@quail.test is accepted"
ok "  and reaches the postmaster (test)" wait_for 10 md_has "$MX/mail/test/Maildir" 1
is "$(md_count "$A")/$(md_count "$CM")" 1/1 "one message each, no duplicate"
done_testing
