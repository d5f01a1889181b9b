#!/bin/bash
# quail-setup lan-client-qmqp: a LAN client without an SMTP port and
# without a queue. Its programs hand every message to the hub by QMQP;
# with the LAN cable out the sender is told at once and nothing is lost.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netns-lib.sh"
ns_need
dead_resolver
lan_hub
ns_host pc1; ns_plug lan pc1 10.202.0.11/24
C=$T/pc1
ns_inst pc1 "$C" pc1.corp.test
export QUAIL_HOME=$C
A=$HUB/mail/ann/Maildir B=$HUB/mail/bob/Maildir

quail-setup lan-client-qmqp --domain corp.test 2>/dev/null; is "$?" 100 "without --hub it is a usage error"
ok "quail-setup lan-client-qmqp succeeds" quail-setup lan-client-qmqp --hub 10.202.0.1 --domain corp.test
is "$(cat "$C/control/qmqpservers")" 10.202.0.1 "qmqpservers names the hub"
is "$(readlink "$C/bin/queue-writer" | xargs basename)" qmqp-client "bin/queue-writer is qmqp-client"
is "$(ls "$C/service" | wc -l)" 0 "no service runs on the client"
is "$(cat "$C/control/defaulthost")" corp.test "addresses are masqueraded as corp.test"

printf 'Subject: via qmqp\n\nno queue here\n' | ns pc1 "$C/bin/sendmail" -f joe ann
is "$?" 0 "sendmail on the client succeeds"
ok "the hub delivers to ann" wait_for 10 md_has "$A" 1
like "$(md_cat "$A")" 'no queue here' "with the text"
like "$(md_cat "$A")" 'Return-Path: <joe@corp.test>' "the sender joe is masqueraded as joe@corp.test"
like "$(md_cat "$A")" 'From: joe@corp.test' "so is the From field"
is "$(queued "$C")" 0 "nothing is queued on the client"
nok "nothing listens on the client's port 25" ns_connect hub 10.202.0.11 25

ns_down pc1 e-lan
printf 'Subject: cable out\n\nheld by the sender\n' | ns pc1 "$C/bin/sendmail" -f joe bob 2>"$T/err"
is "$?" 111 "with the LAN down sendmail fails temporarily"
like "$(cat "$T/err")" 'qmqp|10\.202\.0\.1|unable' "and says why"
ns_up pc1 e-lan
wait_for 5 ns_connect pc1 10.202.0.1 628
printf 'Subject: cable in\n\nagain\n' | ns pc1 "$C/bin/sendmail" -f joe bob
is "$?" 0 "back up, the message goes through"
ok "bob gets it" wait_for 10 md_has "$B" 1
is "$(md_count "$A")/$(md_count "$B")" 1/1 "one each: nothing lost, nothing doubled"
done_testing
