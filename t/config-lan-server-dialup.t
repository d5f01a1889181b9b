#!/bin/bash
# quail-setup lan-server-dialup: the hub of a LAN with an intermittent
# link to a provider. A LAN client's mail for outside waits on the hub
# while the link is down and reaches the provider, once, when it is up;
# LAN mail keeps flowing meanwhile.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netns-lib.sh"
ns_need
command -v swaks >/dev/null || skip_all "swaks is not installed"
dead_resolver
lan_hub
ns_host pc1; ns_plug lan pc1 10.202.0.11/24
ns_host isp; ns_wire hub 10.205.0.2/24 isp 10.205.0.1/24 ppp0
P=$T/isp
ns_inst isp "$P" mail.isp.test
QUAIL_HOME=$P quail-setup lan-server --domain isp.test --lan 10.205.0. --user carol >/dev/null
for s in queue-manager smtpd; do ns_service isp "$P" "$s"; done
export QUAIL_HOME=$HUB
ok "quail-setup lan-server-dialup on the running hub" \
  quail-setup lan-server-dialup --domain corp.test --lan 10.202.0. --provider 10.205.0.1 --link isp
is "$(cat "$HUB/control/smtproutes")" ':10.205.0.1:25:isp' "outside mail goes to the provider on the link isp"
like "$(cat "$HUB/control/tcp.smtp")" '^10\.202\.0\.:allow,RELAYCLIENT' "the LAN still relays"
C=$P/mail/carol/Maildir A=$HUB/mail/ann/Maildir

ns_down hub ppp0
sw() { ns pc1 swaks -4 --server 10.202.0.1 --from joe@corp.test --to "$1" --body "$2" >"$T/sw.log" 2>&1; grep -q '<-  250 2.0.0' "$T/sw.log"; }
ok "a LAN client sends outside mail through the hub" sw carol@isp.test 'out while down 1'
ok "and another" sw carol@isp.test 'out while down 2'
ok "and LAN mail" sw ann@corp.test 'inside while down'
ok "LAN mail is delivered while the link is down" wait_for 10 md_has "$A" 1
ok "outside mail is deferred: link isp is down" wait_for 10 grep -q 'link isp is down' "$HUB/queue-manager.log"
is "$(queued "$HUB")" 2 "two messages wait on the hub"
is "$(md_count "$C")" 0 "nothing reached the provider"
ns_up hub ppp0
wait_for 5 ns_connect hub 10.205.0.1 25
ok "quail-link up isp" quail-link up isp
ok "both reach carol at the provider" wait_for 15 md_has "$C" 2
ok "the hub's queue empties" wait_for 10 queue_empty_in "$HUB"
is "$(md_count "$C")/$(md_count "$A")" 2/1 "nothing lost, nothing doubled"
done_testing
