#!/bin/bash
# deliver-remote between two hosts: two network namespaces joined by a
# veth pair (addresses exist only inside them); the sender's queue-manager
# finds the receiver through DNS (dnsmasq in the receiver's namespace) and
# hands the message to its smtpd.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip_all "network namespaces need root"
command -v ip >/dev/null || skip_all "iproute2 is not installed"
command -v dnsmasq >/dev/null || skip_all "dnsmasq is not installed"
A=qsend$$ B=qrecv$$
ip netns add "$A" 2>/dev/null || skip_all "ip netns add failed (no namespace support here)"
ip netns add "$B" || { ip netns del "$A"; skip_all "ip netns add failed"; }
. "$(dirname "$0")/netns-lib.sh"
trap '_cleanup; ip netns del "$A" 2>/dev/null; ip netns del "$B" 2>/dev/null; ns_unmount_idle' EXIT
ip link add "va$$" type veth peer name "vb$$" || skip_all "no veth support"
ip link set "va$$" netns "$A" && ip link set "vb$$" netns "$B" || { echo "Bail out! veth move failed"; exit 1; }
ip -n "$A" addr add 10.199.0.1/24 dev "va$$" && ip -n "$B" addr add 10.199.0.2/24 dev "vb$$"
ip -n "$A" link set lo up; ip -n "$B" link set lo up
ip -n "$A" link set "va$$" up; ip -n "$B" link set "vb$$" up
# background processes are started with "ip netns exec" itself, which execs
# the program: $! is then its pid, for kill_on_exit
inA() { ip netns exec "$A" "$@"; }

# the receiving host: DNS for far.test, quail's smtpd on port 25
ip netns exec "$B" dnsmasq --keep-in-foreground --listen-address=10.199.0.2 --bind-interfaces --no-resolv --no-hosts \
  --local=/test/ --pid-file= --log-facility="$T/dnsmasq.log" \
  --mx-host=far.test,mx.far.test,10 --host-record=mx.far.test,10.199.0.2 &
kill_on_exit $!
PEER=$T/peer
mkinstance "$PEER" mx.far.test >/dev/null
echo far.test > "$PEER/control/rcpthosts"
QUAIL_HOME=$PEER ip netns exec "$B" tcpserver -v -R -H -l mx.far.test 10.199.0.2 25 "$BIN/smtpd" > "$T/smtpd.log" 2>&1 &
kill_on_exit $!
wait_for 5 grep -q 'status: 0/' "$T/smtpd.log" || { echo "Bail out! smtpd did not start"; exit 1; }
wait_for 5 grep -q started "$T/dnsmasq.log" || { echo "Bail out! dnsmasq did not start"; exit 1; }

# the sending host: its own instance and resolver
inst_new sender.test
printf 'nameserver 10.199.0.2\noptions timeout:2 attempts:1\n' > "$T/resolv.conf"
export QUAIL_RESOLVCONF=$T/resolv.conf
ip netns exec "$A" "$BIN/queue-manager" >> "$INST/qm.log" 2>&1 &
QM_PID=$!
kill_on_exit $QM_PID
ok "the namespaces see each other" inA $PY -c 'import socket; socket.create_connection(("10.199.0.2", 25), 2)'
unlike "$(ip -4 addr)" '10\.199\.0\.' "the test's addresses exist only inside its namespaces"

printf 'From: joe@sender.test\nSubject: across\n\nover the wire\n' | sendmail -f joe@sender.test ann@far.test
ok "the sender's queue empties" wait_for 15 queue_empty
like "$(cat "$INST/qm.log")" 'success: Remote host said: 250 ' "delivered: the receiver said 250"
like "$(cat "$INST/qm.log")" 'mx.far.test \[10.199.0.2\] accepted the message' "to the MX found through DNS"
env=$(q_cat "$PEER/queue" 2>/dev/null | tr '\0' '|')
is "$env" 'Fjoe@sender.test|Tann@far.test||' "the receiving host queued it"
like "$(cat "$T/smtpd.log")" '10\.199\.0\.1' "the connection came from the other host"
done_testing
