#!/bin/bash
# quail-setup lan-client-smtp: a LAN client with its own queue and an SMTP
# port, sending everything not local through the hub. With the LAN cable
# out its mail waits in its queue and goes, once, when the cable is back.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netns-lib.sh"
ns_need
command -v swaks >/dev/null || skip_all "swaks is not installed"
dead_resolver
lan_hub
ns_host pc2; ns_plug lan pc2 10.202.0.12/24
C=$T/pc2
ns_inst pc2 "$C" pc2.corp.test
export QUAIL_HOME=$C
A=$HUB/mail/ann/Maildir B=$HUB/mail/bob/Maildir

ok "quail-setup lan-client-smtp succeeds" quail-setup lan-client-smtp --hub 10.202.0.1 --domain corp.test
is "$(cat "$C/control/smtproutes")" ':10.202.0.1' "the hub is the smarthost"
is "$(cat "$C/control/locals" | tr '\n' ' ')" 'localhost pc2.corp.test ' "only the client itself is local"
is "$(ls "$C/service" | tr '\n' ' ')" "queue-manager smtpd " "it runs smtpd and queue-manager"
ns_service pc2 "$C" queue-manager
ns_service pc2 "$C" smtpd

printf 'Subject: first\n\nthrough the hub\n' | ns pc2 sendmail -f joe ann
ok "the client's mail reaches ann on the hub" wait_for 15 md_has "$A" 1
like "$(md_cat "$A")" 'Return-Path: <joe@corp.test>' "masqueraded as joe@corp.test"
like "$(cat "$HUB/smtpd.log")" '10\.202\.0\.12' "the hub got it from the client over SMTP"

ns hub swaks -4 --server 10.202.0.12 --from ann@corp.test --to postmaster@pc2.corp.test --body 'to the client' >"$T/sw.log" 2>&1
ok "the client's SMTP port takes mail for itself" wait_for 10 md_has "$C/mail/test/Maildir" 1
ns hub swaks -4 --server 10.202.0.12 --from ann@corp.test --to x@far.test --quit-after RCPT >"$T/sw2.log" 2>&1
like "$(grep -A1 'RCPT TO' "$T/sw2.log")" '<\*\* 5' "but relays for nobody on the LAN"

ns_down pc2 e-lan
printf 'Subject: second\n\nwhile the cable is out\n' | ns pc2 sendmail -f joe bob
ok "with the LAN down the message waits in the client's queue" wait_for 10 grep -q 'deferral' "$C/queue-manager.log"
is "$(queued "$C")" 1 "one message queued"
is "$(md_count "$B")" 0 "bob has nothing yet"
ns_up pc2 e-lan
wait_for 5 ns_connect pc2 10.202.0.1 25
QUAIL_HOME=$C quail-link up >/dev/null
ok "back up, the queue flushes to the hub" wait_for 15 md_has "$B" 1
ok "the client's queue is empty" wait_for 5 queue_empty_in "$C"
like "$(md_cat "$B")" 'while the cable is out' "bob has the held message"
is "$(md_count "$A")/$(md_count "$B")" 1/1 "nothing lost, nothing doubled"
done_testing
