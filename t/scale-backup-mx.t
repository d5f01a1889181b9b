#!/bin/bash
# quail-scale(7), a backup MX: quail.test has MX 10 mx1 (the primary,
# quail-setup internet) and MX 20 mx2 (the backup: quail.test in its
# rcpthosts, not in its locals). Hosts are network namespaces on one LAN;
# dnsmasq in the sender's serves the records. With the primary's link
# down the sender's mail lands on the backup, which holds it (deferred:
# its ipme rule leaves only the primary); with the primary back and the
# backup's queue flushed, it reaches the primary's Maildir exactly once.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netns-lib.sh"
ns_need
command -v dnsmasq >/dev/null || skip_all "dnsmasq is not installed"
ns_lan net
ns_host mx1; ns_host mx2; ns_host snd
ns_plug net mx1 10.208.0.1/24
ns_plug net mx2 10.208.0.2/24
ns_plug net snd 10.208.0.10/24
P=$T/mx1 B=$T/mx2 S=$T/snd
ns_inst mx1 "$P" mx1.quail.test
ns_inst mx2 "$B" mx2.quail.test
ns_inst snd "$S" mail.sender.test
QUAIL_HOME=$P quail-setup internet --domain quail.test --user ann >/dev/null \
  || { echo "Bail out! quail-setup internet failed on the primary"; exit 1; }

# the backup: accepts quail.test (rcpthosts) without delivering it (locals)
printf 'quail.test\n' >> "$B/control/rcpthosts"
printf '0\n' > "$B/control/listenip"
for h in "$B" "$S"; do printf '2\n' > "$h/control/timeoutconnect"; done

ns snd dnsmasq --keep-in-foreground --listen-address=10.208.0.10 --bind-interfaces --no-resolv --no-hosts \
  --local=/test/ --pid-file= --log-facility="$T/dnsmasq.log" \
  --mx-host=quail.test,mx1.quail.test,10 --mx-host=quail.test,mx2.quail.test,20 \
  --host-record=mx1.quail.test,10.208.0.1 --host-record=mx2.quail.test,10.208.0.2 2>>"$T/dnsmasq.err" &
kill_on_exit $!
wait_for 5 grep -q started "$T/dnsmasq.log" || { cat "$T/dnsmasq.err" >&2; echo "Bail out! dnsmasq did not start"; exit 1; }
printf 'nameserver 10.208.0.10#53\noptions timeout:2 attempts:1\n' > "$T/resolv.conf"
export QUAIL_RESOLVCONF=$T/resolv.conf
for s in queue-manager smtpd; do ns_service mx1 "$P" "$s"; ns_service mx2 "$B" "$s"; done
ns_service snd "$S" queue-manager
A=$P/mail/ann/Maildir
send() { printf 'From: joe@sender.test\nSubject: %s\n\n%s\n' "$1" "$2" |
  QUAIL_HOME=$S ns snd "$S/bin/sendmail" -f joe@sender.test ann@quail.test; }
has_subject() { md_grep "$1" "^Subject: $2\$" >/dev/null; }
subjects() { md_cat "$1" | grep -cE "^Subject: $2\$"; }

# both up: the better MX takes the mail
ok "the sender queues a message for ann@quail.test" send "primary up" "straight to mx1"
ok "with the primary up it reaches ann on the primary" wait_for 15 has_subject "$A" "primary up"
ok "  and leaves the sender's queue" wait_for 5 queue_empty_in "$S"
is "$(queued "$B")" 0 "the backup saw nothing"

# the primary's link down: the backup takes the mail and holds it
ns_down mx1 e-net
ok "with the primary down the sender still queues" send "primary down" "held by mx2"
ok "the sender hands it to the backup MX (its queue empties)" wait_for 20 queue_empty_in "$S"
is "$(queued "$B")" 1 "the backup holds one message in its queue"
ok "  deferred: the backup could not reach the primary" wait_for 15 grep -q 'deferral' "$B/queue-manager.log"
unlike "$(cat "$B/queue-manager.log")" 'failure|bounce msg' "  neither failed nor bounced"
ok "  its envelope is for ann@quail.test" sh -c 'grep -qa Tann@quail.test' < <(q_cat "$B/queue")
is "$(md_count "$B/mail/test/Maildir")" 0 "the backup delivered nothing locally"
is "$(md_count "$A")" 1 "ann has only the first message"

# the primary back, the backup's queue flushed: delivered once
ns_up mx1 e-net
ok "the primary answers again" wait_for 10 ns_connect mx2 10.208.0.1 25
printf 'flush\n' > "$B/queue/lock/trigger"
ok "after a flush the held mail reaches ann on the primary" wait_for 20 has_subject "$A" "primary down"
ok "  and leaves the backup's queue" wait_for 10 queue_empty_in "$B"
like "$(md_cat "$A")" 'held by mx2' "  with its text"
like "$(md_cat "$A")" 'Received: from mx2\.quail\.test \(\[10\.208\.0\.2\]\)' "  handed over by mx2"
is "$(subjects "$A" 'primary down')" 1 "delivered exactly once"
is "$(md_count "$A")" 2 "ann has two messages in all"
is "$(queued "$P")/$(queued "$S")" 0/0 "no queue holds anything"
done_testing
