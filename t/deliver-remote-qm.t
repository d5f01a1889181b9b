#!/bin/bash
# covers cmd/quail-link.sh
# deliver-remote end to end: sendmail -> queue-manager -> deliver-remote ->
# a peer found through DNS; batching, bounces quoting the peer, and an
# intermittent link held and released with quail-link.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dnsmasq-lib.sh"
need_root "MX peers listen on port 25 of 127/8 addresses"
command -v dnsmasq >/dev/null || skip_all "dnsmasq is not installed"
inst_new
C=$INST/control
net_pick
N=$NET
dns_start --mx-host=far.test,mx.far.test,10 --host-record=mx.far.test,$N.2
peer_start far $N.2 25
printf 'dial.test:mx.far.test::dialup\n' > "$C/smtproutes"
qm_start
msg() { printf 'From: test@localhost\nSubject: %s\n\nhello\n' "$1"; }

# one recipient
msg one | sendmail -f test@localhost joe@far.test
ok "the queue empties" wait_for 10 queue_empty
like "$(peer_log far)" 'RCPT TO:<joe@far.test>' "the MX got the recipient"
like "$(cat "$INST/qm.log")" 'success: Remote host said: 250 ok message 1' "queue-manager logged the peer's reply"

# fifty recipients of one domain: one transaction
rcpts=$(for i in $(seq 1 50); do echo "u$i@far.test"; done)
before=$(grep -c '^MAIL FROM' "$T/far.log")
msg fifty | sendmail -f test@localhost $rcpts
ok "fifty recipients delivered" wait_for 10 queue_empty
is "$(( $(grep -c '^MAIL FROM' "$T/far.log") - before ))" 1 "one MAIL for the fifty"
is "$(grep -c '^RCPT TO:<u[0-9]*@far.test>' "$T/far.log")" 50 "fifty RCPT in it"

# a refused recipient bounces, quoting the peer
msg bounce | sendmail -f test@localhost bad@far.test
ok "the bounce arrives" wait_for 10 md_has "$MD" 1
b=$(md_cat "$MD")
like "$b" '^<bad@far.test>:' "the bounce names the recipient"
like "$b" 'Remote host said: 550 5.1.1 no such user here' "the bounce quotes the peer"
like "$b" 'Diagnostic-Code: smtp; 550 5.1.1 no such user here' "the DSN's Diagnostic-Code is the peer's reply"
like "$b" 'Status: 5.1.1' "the DSN's Status comes from the reply"

# an intermittent link: held while down, released by quail-link up
quail-link down dialup >/dev/null
is "$(cat "$C/linksdown")" dialup "quail-link down writes control/linksdown"
msg dial | sendmail -f test@localhost sam@dial.test
ok "held: deferred with 'link down'" wait_for 10 grep -q 'deferral: The link dialup is down' "$INST/qm.log"
unlike "$(peer_log far)" 'sam@dial.test' "nothing sent while the link is down"
ok "the message stays queued" test -n "$(q_ids "$INST/queue")"
quail-link up dialup >/dev/null
ok "quail-link up removes the file" test ! -e "$C/linksdown"
ok "released at once by the flush" wait_for 10 queue_empty
like "$(peer_log far)" 'RCPT TO:<sam@dial.test>' "the peer got it after the link came up"
done_testing
