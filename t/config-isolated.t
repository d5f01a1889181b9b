#!/bin/bash
# covers cmd/quail-setup.sh
# quail-setup isolated: local mail only. The host is a network namespace
# with a neighbour on a wire; its smtpd listens on loopback alone, local
# mail reaches the Maildirs, and nothing outside can connect.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netns-lib.sh"
ns_need
ns_host iso; ns_host nb
ns_wire iso 10.201.0.1/24 nb 10.201.0.2/24 wire0
H=$T/iso
ns_inst iso "$H" iso.test
printf 'nameserver 127.0.0.1#9\noptions timeout:1 attempts:1\n' > "$T/resolv.dead"
export QUAIL_RESOLVCONF=$T/resolv.dead QUAIL_HOME=$H

out=$(quail-setup bogus 2>&1); is "$?" 100 "an unknown configuration is a usage error"
like "$out" 'usage: quail-setup' "with the usage text"
quail-setup isolated --user 'a;b' 2>/dev/null; is "$?" 100 "a bad user name is refused"
ok "quail-setup isolated succeeds" quail-setup isolated --user ann --user bob
is "$(cat "$H/control/listenip")" 127.0.0.1 "listenip is loopback"
is "$(ls "$H/service" | tr '\n' ' ')" "queue-manager smtpd " "only smtpd and queue-manager are kept"
is "$(cat "$H/control/locals" | tr '\n' ' ')" "iso.test localhost " "locals: the host and localhost"
ok "no smarthost route" test ! -e "$H/control/smtproutes"
ok "ann has a POP3 password kept" test -s "$H/mail/ann/password"
ok "ann is in passwd.cdb" grep -q '^ann:' <(quail-passwd list)
ok "running it again is harmless" quail-setup isolated --user ann
is "$(grep -c '^=ann:' "$H/users/assign")" 1 "ann is assigned once"

ns_service iso "$H" queue-manager
ns_service iso "$H" smtpd
A=$H/mail/ann/Maildir B=$H/mail/bob/Maildir
printf 'Subject: one\n\nfrom the command line\n' | ns iso sendmail -f bob ann
ok "sendmail to a bare name reaches ann" wait_for 10 md_has "$A" 1
like "$(md_cat "$A")" 'from the command line' "the message is in ann's Maildir"
like "$(md_cat "$A")" 'Return-Path: <bob@iso.test>' "the bare sender is made bob@iso.test"
ns iso swaks -4 --server 127.0.0.1 --port 25 --from ann@iso.test --to bob@iso.test \
  --header 'Subject: two' --body 'over loopback smtp' >"$T/swaks.log" 2>&1
ok "swaks over loopback reaches bob" wait_for 10 md_has "$B" 1
like "$(md_cat "$B")" 'over loopback smtp' "the SMTP message is in bob's Maildir"
nok "the neighbour cannot reach port 25 of the host" ns_connect nb 10.201.0.1 25
ok "the host itself reaches it on loopback" ns_connect iso 127.0.0.1 25
ns iso swaks -4 --server 127.0.0.1 --port 25 --from ann@iso.test --to ann@iso.test --header "Subject: three" --body third >"$T/swaks2.log" 2>&1
ok "a second message reaches ann" wait_for 10 md_has "$A" 2
ok "the queue is empty" wait_for 5 eval '! ls "$H/queue/mess" | grep -q env'
is "$(md_count "$A")/$(md_count "$B")" "2/1" "every message once, no duplicate"
done_testing
