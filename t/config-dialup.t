#!/bin/bash
# quail-setup dialup: an isolated machine with an intermittent link to a
# provider. Mail for outside waits while the link is down (taken down
# with ip link and quail-link) and goes, once, when it is up; fetchmail
# brings in the mail the provider holds for the machine over POP3.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netns-lib.sh"
ns_need
command -v fetchmail >/dev/null || skip_all "fetchmail is not installed"
dead_resolver
ns_host home; ns_host isp
ns_wire home 10.204.0.2/24 isp 10.204.0.1/24 ppp0
# the provider: relays for its customer, holds the customer's mail (dan)
P=$T/isp
ns_inst isp "$P" mail.isp.test
QUAIL_HOME=$P quail-setup lan-server --domain isp.test --lan 10.204.0. --user carol --user dan >/dev/null
printf '0\n' > "$P/control/pop3faildelay"
for s in queue-manager smtpd pop3d; do ns_service isp "$P" "$s"; done
# the machine at home
H=$T/home
ns_inst home "$H" box.home.test
export QUAIL_HOME=$H
quail-setup dialup --domain home.test 2>/dev/null; is "$?" 100 "dialup without --provider is a usage error"
ok "quail-setup dialup succeeds" quail-setup dialup --domain home.test --provider 10.204.0.1 --link isp --user ann
is "$(cat "$H/control/smtproutes")" ':10.204.0.1:25:isp' "the provider is the smarthost, on the link isp"
is "$(cat "$H/control/linksdown")" isp "the link starts down"
is "$(cat "$H/control/listenip")" 127.0.0.1 "the machine listens on loopback only"
for s in queue-manager smtpd; do ns_service home "$H" "$s"; done
C=$P/mail/carol/Maildir AN=$H/mail/ann/Maildir

ns_down home ppp0
for i in 1 2 3; do printf 'Subject: held %s\n\nwaiting for the link\n' $i | ns home sendmail -f ann carol@isp.test; done
ok "with the link down the messages are deferred" wait_for 10 grep -q 'link isp is down' "$H/queue-manager.log"
is "$(queued "$H")" 3 "three messages wait in the queue"
is "$(md_count "$C")" 0 "nothing reached the provider"
ns_up home ppp0
wait_for 5 ns_connect home 10.204.0.1 25
ok "quail-link up isp" quail-link up isp
ok "the queue empties" wait_for 15 queue_empty_in "$H"
ok "the messages reach carol at the provider" wait_for 10 md_has "$C" 3
is "$(md_count "$C")" 3 "each once, no duplicate"
like "$(md_cat "$C")" 'Return-Path: <ann@home.test>' "from ann@home.test (masqueraded)"
ok "the link is no longer listed down" test ! -e "$H/control/linksdown"

# mail held at the provider for the machine, fetched by fetchmail
printf 'Subject: for home\n\nfetched over pop3\n' | QUAIL_HOME=$P ns isp sendmail -f carol dan
ok "the provider holds a message for the machine" wait_for 10 md_has "$P/mail/dan/Maildir" 1
printf 'poll 10.204.0.1 protocol pop3 port 110 user "dan" password "%s" is root here mda "%s -oi -f %%F ann"\n' \
  "$(cat "$P/mail/dan/password")" "$BIN/sendmail" > "$T/fetchmailrc"
chmod 600 "$T/fetchmailrc"
HOME=$T ns home fetchmail -f "$T/fetchmailrc" --nosyslog --sslproto '' -s >"$T/fetchmail.log" 2>&1
ok "fetchmail brings the message in" wait_for 10 md_has "$AN" 1
like "$(md_cat "$AN")" 'fetched over pop3' "into ann's Maildir"
is "$(md_count "$P/mail/dan/Maildir")" 0 "and it is gone from the provider"
HOME=$T ns home fetchmail -f "$T/fetchmailrc" --nosyslog --sslproto '' -s >>"$T/fetchmail.log" 2>&1
is "$(md_count "$AN")" 1 "a second fetch brings nothing twice"
done_testing
