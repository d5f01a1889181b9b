#!/bin/bash
# quail-setup multidomain: one internet server for quail.test and
# other.test. Mail from a peer (through DNS MX) to users of both domains
# lands in the right Maildirs, each domain has its postmaster, unknown
# users of the extra domain get 550 at RCPT, and a user of the extra
# domain submits with AUTH and the mail leaves signed for other.test.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netns-lib.sh"
ns_need
command -v swaks >/dev/null || skip_all "swaks is not installed"
command -v dnsmasq >/dev/null || skip_all "dnsmasq is not installed"
ns_host mx; ns_host peer
ns_wire mx 10.209.0.1/24 peer 10.209.0.2/24 wnet
MX=$T/mx P=$T/peer
ns_inst mx "$MX" mx.quail.test
ns_inst peer "$P" mx.peer.test
QUAIL_HOME=$MX quail-setup multidomain --domain quail.test >/dev/null 2>&1
is "$?" 100 "multidomain with one domain is a usage error"
QUAIL_HOME=$MX quail-setup multidomain --domain quail.test --domain other.test --user eve@nowhere.test >/dev/null 2>&1
is "$?" 100 "a user of a domain not given is a usage error"
ok "quail-setup multidomain succeeds" eval 'QUAIL_HOME=$MX quail-setup multidomain --domain quail.test --domain other.test --user ann@quail.test --user bob@other.test >/dev/null'
QUAIL_HOME=$P quail-setup internet --domain peer.test --user carol >/dev/null || { echo "Bail out! peer setup failed"; exit 1; }
C=$MX/control
is "$(cat "$C/virtualdomains")" "other.test:vd-other-test" "other.test is a virtual domain"
is "$(cat "$C/rcpthosts" | tr '\n' ' ')" "localhost mx.quail.test other.test quail.test " "both domains in rcpthosts"
ok "a DKIM key per domain" test -s "$C/dkim/quail.test/mail.key" -a -s "$C/dkim/other.test/mail.key"

txt() { # DOMAIN HOME: dnsmasq's option for the DKIM record kept by quail-setup
  local val; val=$(sed 's/^[^"]*"//; s/"$//' "$2/control/dkim/$1/mail.txt")
  printf -- '--txt-record=mail._domainkey.%s' "$1"
  while [ -n "$val" ]; do printf ',%s' "${val:0:200}"; val=${val:200}; done
}
ns peer dnsmasq --keep-in-foreground --listen-address=10.209.0.2 --bind-interfaces --no-resolv --no-hosts \
  --local=/test/ --pid-file= --log-facility="$T/dnsmasq.log" \
  --mx-host=quail.test,mx.quail.test,10 --mx-host=other.test,mx.quail.test,10 --host-record=mx.quail.test,10.209.0.1 \
  --mx-host=peer.test,mx.peer.test,10 --host-record=mx.peer.test,10.209.0.2 \
  "$(txt quail.test "$MX")" "$(txt other.test "$MX")" 2>>"$T/dnsmasq.err" &
kill_on_exit $!
wait_for 5 grep -q started "$T/dnsmasq.log" || { cat "$T/dnsmasq.err" >&2; echo "Bail out! dnsmasq did not start"; exit 1; }
printf 'nameserver 10.209.0.2#53\noptions timeout:2 attempts:1\n' > "$T/resolv.conf"
export QUAIL_RESOLVCONF=$T/resolv.conf
for s in queue-manager smtpd; do ns_service mx "$MX" "$s"; ns_service peer "$P" "$s"; done
A=$MX/mail/ann/Maildir B=$MX/mail/other.test/bob/Maildir
PQ=$MX/mail/test/Maildir PO=$MX/mail/other.test/postmaster/Maildir CM=$P/mail/carol/Maildir

send() { # RCPT TEXT: from carol at the peer, through MX
  printf 'From: carol@peer.test\nSubject: %s\n\n%s\n' "$2" "$2" |
    QUAIL_HOME=$P ns peer "$P/bin/sendmail" -f carol@peer.test "$1"
}
send ann@quail.test 'to ann'; send bob@other.test 'to bob'
send postmaster@quail.test 'to the quail postmaster'; send postmaster@other.test 'to the other postmaster'
ok "ann@quail.test gets her mail" wait_for 15 md_has "$A" 1
ok "bob@other.test gets his" wait_for 15 md_has "$B" 1
ok "postmaster@quail.test reaches the instance's postmaster" wait_for 15 md_has "$PQ" 1
ok "postmaster@other.test reaches other.test's postmaster" wait_for 15 md_has "$PO" 1
like "$(md_cat "$A")" 'to ann' "ann's Maildir holds ann's message"
like "$(md_cat "$B")" 'to bob' "bob's holds bob's"
like "$(md_cat "$PQ")" 'to the quail postmaster' "each postmaster his own"
like "$(md_cat "$PO")" 'to the other postmaster' "  (other.test)"
is "$(md_count "$A")/$(md_count "$B")/$(md_count "$PQ")/$(md_count "$PO")" 1/1/1/1 "nothing landed twice or in the wrong place"

sw() { ns peer swaks -4 --server 10.209.0.1 "$@" >"$T/sw.log" 2>&1; cat "$T/sw.log"; }
like "$(sw --from x@peer.test --to nobody@other.test --quit-after RCPT)" \
  '<\*\* 550 5\.1\.1' "an unknown user of other.test gets 550 at RCPT"
like "$(sw --from x@peer.test --to ann@other.test --quit-after RCPT)" \
  '<\*\* 550 5\.1\.1' "  ann is not a user of other.test"
like "$(sw --from x@peer.test --to someone@far.test --quit-after RCPT)" \
  '<\*\* 553 5\.7\.1' "relaying without AUTH is refused"
pass=$(cat "$MX/mail/other.test/bob/password")
like "$(sw -tls -au bob@other.test -ap "$pass" --from bob@other.test --to carol@peer.test \
  --header 'From: bob@other.test' --header 'Subject: from bob' --body 'bob submits')" \
  '<~  250 2.0.0 ok' "bob@other.test submits with AUTH over STARTTLS"
ok "it reaches carol at the peer" wait_for 20 md_has "$CM" 1
like "$(md_cat "$CM")" 'DKIM-Signature: .*d=other\.test' "signed with other.test's key"
like "$(md_cat "$CM")" 'dkim=pass header\.d=other\.test' "  verified by the peer"
done_testing
