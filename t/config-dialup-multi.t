#!/bin/bash
# quail-setup dialup-multi: an isolated machine with links to two
# providers, a route per link. Mail for outside waits while both links are
# down and leaves, once, through whichever provider's link is up (taken
# down and up with ip link and quail-link).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netns-lib.sh"
ns_need
dead_resolver
ns_host home; ns_host ispa; ns_host ispb
ns_wire home 10.205.0.2/24 ispa 10.205.0.1/24 ppp0
ns_wire home 10.206.0.2/24 ispb 10.206.0.1/24 ppp1
# each provider relays for the home machine and has a mailbox carol@isp.test
for isp in ispa ispb; do
  ns_inst "$isp" "$T/$isp" "mail.$isp.test"
  net=10.205.0.; [ "$isp" = ispb ] && net=10.206.0.
  QUAIL_HOME=$T/$isp quail-setup lan-server --domain isp.test --lan "$net" --user carol >/dev/null
  for s in queue-manager smtpd; do ns_service "$isp" "$T/$isp" "$s"; done
done
CA=$T/ispa/mail/carol/Maildir CB=$T/ispb/mail/carol/Maildir
H=$T/home
ns_inst home "$H" box.home.test
export QUAIL_HOME=$H
quail-setup dialup-multi --domain home.test --provider 10.205.0.1@ispa 2>/dev/null
is "$?" 100 "dialup-multi with one provider is a usage error"
ok "quail-setup dialup-multi succeeds" quail-setup dialup-multi --domain home.test --provider 10.205.0.1@ispa --provider 10.206.0.1@ispb --user ann
is "$(cat "$H/control/smtproutes" | tr '\n' ' ')" ':10.205.0.1:25:ispa :10.206.0.1:25:ispb ' "a default route per provider, in order"
is "$(cat "$H/control/linksdown" | tr '\n' ' ')" 'ispa ispb ' "both links start down"
for s in queue-manager smtpd; do ns_service home "$H" "$s"; done

ns_down home ppp0; ns_down home ppp1
for i in 1 2; do printf 'Subject: held %s\n\nwaiting\n' $i | ns home sendmail -f ann carol@isp.test; done
ok "both links down: deferred" wait_for 10 grep -q 'link ispa is down' "$H/queue-manager.log"
is "$(queued "$H")" 2 "two messages wait"
# only the second provider's link comes up
ns_up home ppp1
wait_for 5 ns_connect home 10.206.0.1 25
ok "quail-link up ispb" quail-link up ispb
ok "the queue empties" wait_for 15 queue_empty_in "$H"
ok "they went through ispb" wait_for 10 md_has "$CB" 2
is "$(md_count "$CB")" 2 "each once"
is "$(md_count "$CA")" 0 "nothing through ispa, which is down"
# now the other way round
ok "quail-link down ispb" quail-link down ispb
ns_down home ppp1; ns_up home ppp0
wait_for 5 ns_connect home 10.205.0.1 25
ok "quail-link up ispa" quail-link up ispa
printf 'Subject: third\n\nvia a\n' | ns home sendmail -f ann carol@isp.test
ok "the next message goes through ispa" wait_for 15 md_has "$CA" 1
is "$(md_count "$CB")" 2 "ispb got nothing more"
like "$(md_cat "$CA")" 'Return-Path: <ann@home.test>' "masqueraded as home.test"
done_testing
