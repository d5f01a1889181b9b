#!/bin/bash
# quail-scale(7), two MX hosts sharing the load: quail.test has MX 10 mx1
# and MX 10 mx2, both quail-setup internet for quail.test with the same
# user ann. Hosts are network namespaces on one LAN; dnsmasq in the
# sender's serves the records. The sender's deliver-remote shuffles equal
# preferences, so 20 messages end up split between the two: both get
# some, and the two Maildirs hold each of the 20 exactly once.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netns-lib.sh"
ns_need
command -v dnsmasq >/dev/null || skip_all "dnsmasq is not installed"
N=20
ns_lan net
ns_host mx1; ns_host mx2; ns_host snd
ns_plug net mx1 10.209.0.1/24
ns_plug net mx2 10.209.0.2/24
ns_plug net snd 10.209.0.10/24
M1=$T/mx1 M2=$T/mx2 S=$T/snd
ns_inst mx1 "$M1" mx1.quail.test
ns_inst mx2 "$M2" mx2.quail.test
ns_inst snd "$S" mail.sender.test
for h in "$M1" "$M2"; do
  QUAIL_HOME=$h quail-setup internet --domain quail.test --user ann >/dev/null \
    || { echo "Bail out! quail-setup internet failed in $h"; exit 1; }
done
ok "both MX hosts are local for quail.test" eval 'grep -qx quail.test "$M1/control/locals" && grep -qx quail.test "$M2/control/locals"'

ns snd dnsmasq --keep-in-foreground --listen-address=10.209.0.10 --bind-interfaces --no-resolv --no-hosts \
  --local=/test/ --pid-file= --log-facility="$T/dnsmasq.log" \
  --mx-host=quail.test,mx1.quail.test,10 --mx-host=quail.test,mx2.quail.test,10 \
  --host-record=mx1.quail.test,10.209.0.1 --host-record=mx2.quail.test,10.209.0.2 2>>"$T/dnsmasq.err" &
kill_on_exit $!
wait_for 5 grep -q started "$T/dnsmasq.log" || { cat "$T/dnsmasq.err" >&2; echo "Bail out! dnsmasq did not start"; exit 1; }
printf 'nameserver 10.209.0.10#53\noptions timeout:2 attempts:1\n' > "$T/resolv.conf"
export QUAIL_RESOLVCONF=$T/resolv.conf
for s in queue-manager smtpd; do ns_service mx1 "$M1" "$s"; ns_service mx2 "$M2" "$s"; done
ns_service snd "$S" queue-manager
A1=$M1/mail/ann/Maildir A2=$M2/mail/ann/Maildir

bad=0
for i in $(seq 1 $N); do
  printf 'From: joe@sender.test\nSubject: load %s\n\nmessage %s\n' "$i" "$i" |
    QUAIL_HOME=$S ns snd "$S/bin/sendmail" -f joe@sender.test ann@quail.test || bad=$((bad + 1))
done
is "$bad" 0 "the sender queues $N messages for ann@quail.test"
total() { echo $(( $(md_count "$A1") + $(md_count "$A2") )); }
all_in() { [ "$(total)" -ge "$N" ]; }
ok "all $N reach ann on one MX or the other" wait_for 25 all_in
ok "the sender's queue empties" wait_for 5 queue_empty_in "$S"
n1=$(md_count "$A1") n2=$(md_count "$A2")
diag "mx1 took $n1, mx2 took $n2"
ok "mx1 took some ($n1)" test "$n1" -gt 0
ok "mx2 took some ($n2)" test "$n2" -gt 0
is "$((n1 + n2))" "$N" "exactly $N in all"
got=$( { md_cat "$A1"; md_cat "$A2"; } | grep -E '^Subject: load [0-9]+$' | sort -u | wc -l)
is "$got" "$N" "each of the $N subjects arrived (no duplicate, none lost)"
like "$(md_cat "$A1")" 'Received: from mail\.sender\.test \(\[10\.209\.0\.10\]\)' "mx1's came straight from the sender"
like "$(md_cat "$A2")" 'Received: from mail\.sender\.test \(\[10\.209\.0\.10\]\)' "so did mx2's"
is "$(queued "$M1")/$(queued "$M2")" 0/0 "neither MX holds anything in its queue"
unlike "$(cat "$S/queue-manager.log")" 'deferral|failure' "the sender had no deferral or failure"
done_testing
