#!/bin/bash
# quail-scale(7), QMQP hubs: a web server without a queue (quail-setup
# lan-client-qmqp) lists two hubs in control/qmqpservers; both hubs are
# quail-setup lan-server for corp.test. Hosts are network namespaces on one
# LAN. With both up the first hub takes the mail; with the first hub's link
# down qmqp-client goes on to the second; with both down the web server's
# sendmail fails temporarily (the caller keeps the message); nothing is
# lost and nothing is doubled.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netns-lib.sh"
ns_need
dead_resolver
ns_lan lan
ns_host hub1; ns_host hub2; ns_host web
ns_plug lan hub1 10.210.0.1/24
ns_plug lan hub2 10.210.0.2/24
ns_plug lan web 10.210.0.11/24
H1=$T/hub1 H2=$T/hub2 W=$T/web
for n in 1 2; do
  h=$T/hub$n
  ns_inst "hub$n" "$h" "hub$n.corp.test"
  QUAIL_HOME=$h quail-setup lan-server --domain corp.test --lan 10.210.0. --user ann >/dev/null \
    || { echo "Bail out! quail-setup lan-server failed on hub$n"; exit 1; }
  for s in queue-manager qmqpd; do ns_service "hub$n" "$h" "$s"; done
done
ns_inst web "$W" www.corp.test
QUAIL_HOME=$W quail-setup lan-client-qmqp --hub 10.210.0.1 --domain corp.test >/dev/null \
  || { echo "Bail out! quail-setup lan-client-qmqp failed"; exit 1; }
printf '10.210.0.1\n10.210.0.2\n' > "$W/control/qmqpservers"
printf '2\n' > "$W/control/timeoutconnect"
A1=$H1/mail/ann/Maildir A2=$H2/mail/ann/Maildir
is "$(readlink "$W/bin/queue-writer" | xargs basename)" qmqp-client "the web server's queue program is qmqp-client"
is "$(ls "$W/service" | wc -l)" 0 "no service runs on the web server"

# web SUBJECT: the web application's mail to ann, through sendmail
web() { printf 'From: www@corp.test\nSubject: %s\n\nform %s\n' "$1" "$1" |
  QUAIL_HOME=$W ns web "$W/bin/sendmail" -f www@corp.test ann@corp.test 2>>"$T/web.err"; }
from_hub() { md_cat "$1" | grep -cE '^Subject: '"$2"'$'; }
sent_both=0 sent_one=0
web "both up" && sent_both=1
is "$sent_both" 1 "with both hubs up sendmail succeeds"
ok "the first hub delivers it" wait_for 10 md_has "$A1" 1
is "$(md_count "$A2")" 0 "the second hub got nothing"

ns_down hub1 e-lan
for i in 1 2 3 4 5; do web "hub1 down $i" && sent_one=$((sent_one + 1)); done
is "$sent_one" 5 "with the first hub down sendmail still succeeds, five times"
ok "the second hub delivers the five" wait_for 15 md_has "$A2" 5
is "$(from_hub "$A2" 'hub1 down [1-5]')" 5 "  all five of them"
is "$(md_count "$A1")" 1 "the first hub got none of them"
like "$(md_cat "$A2")" 'by hub2\.corp\.test \(quail qmqpd\) with QMQP' "  they came to hub2 by QMQP"
like "$(md_cat "$A2")" 'Received: from [^ ]+ \(\[10\.210\.0\.11\]\)' "  from the web server"

ns_down hub2 e-lan
web "both down"; is "$?" 111 "with both hubs down sendmail fails temporarily"
like "$(cat "$T/web.err")" '10\.210\.0\.2' "  and names the hubs it tried"
ns_up hub1 e-lan; ns_up hub2 e-lan
wait_for 10 ns_connect web 10.210.0.1 628; wait_for 10 ns_connect web 10.210.0.2 628
web "both up again"; is "$?" 0 "both back, the web application's retry goes through"
ok "  by the first hub again" wait_for 10 md_has "$A1" 2
is "$(from_hub "$A1" 'both up again')" 1 "  once"
all=$( { md_cat "$A1"; md_cat "$A2"; } | grep -cE '^Subject: ')
is "$all" 7 "seven accepted messages, seven delivered: nothing lost, nothing doubled"
is "$( { md_cat "$A1"; md_cat "$A2"; } | grep -c '^Subject: both down$')" 0 "the refused one was not delivered"
is "$(queued "$W")/$(queued "$H1")/$(queued "$H2")" 0/0/0 "no queue on the web server, and the hubs' are empty"
done_testing
