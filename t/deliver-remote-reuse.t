#!/bin/bash
# covers cmd/queue-spawn.c
# deliver-remote's connection reuse and TLS session resumption, end to
# end (queue-writer -> queue-manager -> queue-spawn remote ->
# deliver-remote -> t/remote-peer.py), counted at the peers: connections,
# TLS handshakes, resumed sessions, and each message delivered once. The
# peers listen on free ports of 127.0.0.1, reached through smtproutes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dnsmasq-lib.sh"
inst_new
C=$INST/control
PEM=$C/servercert.pem
[ -r "$PEM" ] || skip_all "mkinstance made no certificate (no openssl)"

# start NAME OPTION...: a counting peer on a free port; $PORT_NAME
start() {
  local name=$1 port; shift
  port=$(free_port)
  peer_start "$name" 127.0.0.1 "$port" count "$@"
  eval "PORT_$name=$port"
}
route() { printf '%s:[127.0.0.1]:%s\n' "$1" "$2" >> "$C/smtproutes"; }
conns() { grep -c '^CONNECT' "$T/$1.log"; }
tlsn() { grep -c '^TLS ' "$T/$1.log"; }
# send SUBJECT RCPT: queue one message; sent1: and wait for the queue to empty
send() { printf 'From: a@localhost\nSubject: %s\n\nhi\n' "$1" | qw a@localhost "$2"; }
sent1() { send "$@" && wait_for 20 queue_empty; }
# once PEER SUBJECT...: each message reached the peer exactly once
once() {
  local p=$1 s n; shift
  for s in "$@"; do
    n=$(cat "$T/$p.log".[0-9]* 2>/dev/null | grep -c "^Subject: $s"$'\r'"\?$")
    [ "$n" = 1 ] || { diag "$s reached $p $n times"; return 1; }
  done
}
# mixed PEER: connections that carried recipients of two domains
mixed() {
  local f n=0
  for f in "$T/$1.log".c*; do
    [ "$(sed -n 's/^RCPT TO:<.*@\(.*\)>.*/\1/p' "$f" | sort -u | wc -l)" -le 1 ] || n=$((n + 1))
  done
  echo $n
}
# this instance's deliver-remote processes
drs() {
  local p n=0
  for p in $(pgrep -x deliver-remote); do
    { tr '\0' '\n' < "/proc/$p/environ"; } 2>/dev/null | grep -qx "QUAIL_HOME=$INST" && n=$((n + 1))
  done
  echo $n
}
deferrals() { grep -c 'deferral' "$INST/qm.log"; }

start a tls="$PEM"
start r tls="$PEM" tls12
start d droprset
start e bye421
start b
start c1
start c2
start z
: > "$C/smtproutes"
route a.test "$PORT_a"; route r.test "$PORT_r"; route d.test "$PORT_d"; route e.test "$PORT_e"
route b1.test "$PORT_b"; route b2.test "$PORT_b"; route z.test "$PORT_z"
route c.test "$PORT_c1"
echo 2 > "$C/concurrencyremote"
qm_start

# ten messages at once, two at a time: the deliveries hand their sessions on
N=10
for i in $(seq 1 $N); do send "burst-$i" "u$i@a.test"; done
ok "$N messages to one domain delivered" wait_for 60 queue_empty
ok "  each exactly once" once a $(for i in $(seq 1 $N); do echo "burst-$i"; done)
n=$(conns a)
ok "  over fewer connections than messages ($n for $N)" test "$n" -lt $N
n=$(tlsn a)
ok "  with fewer TLS handshakes than messages ($n for $N)" test "$n" -lt $N
is "$(grep -c '^RSET' "$T/a.log")" "$(( N - $(conns a) ))" "  each reused session began with RSET"

# TLS resumption across processes: the second run resumes the first's session
echo 1 > "$C/remotereuse"
sent1 "resume-1" joe@r.test
ok "a session waits control/remotereuse (1 s), then QUITs" wait_for 20 grep -q '^QUIT' "$T/r.log"
sent1 "resume-2" joe@r.test
is "$(conns r)" 2 "  the next message comes over a new connection"
is "$(grep '^TLS ' "$T/r.log" | tr '\n' '/')" "TLS TLSv1.2 RESUMED no/TLS TLSv1.2 RESUMED yes/" \
  "  its TLS handshake resumed the session of the run before"
s=$(ls "$INST/queue/lock/tls" | grep -c '127\.0\.0\.1')
ok "  the session is kept in queue/lock/tls" test "$s" -ge 1
is "$(stat -c %a "$INST/queue/lock/tls/$(ls "$INST/queue/lock/tls" | head -1)")" 600 "  mode 600"
echo 5 > "$C/remotereuse"

# a session that dies between messages: the next goes over a new one, once
sent1 "drop-1" joe@d.test
sent1 "drop-2" joe@d.test
ok "the peer dropped the reused session at RSET" grep -q '^DROPPED' "$T/d.log"
is "$(conns d)" 2 "  the message went over a new connection"
ok "  both delivered exactly once" once d "drop-1" "drop-2"
is "$(deferrals)" 0 "  nothing was deferred"

# a peer that says 421 after each message: a new connection each time
sent1 "bye-1" joe@e.test
sent1 "bye-2" joe@e.test
sent1 "bye-3" joe@e.test
is "$(conns e)" 3 "after a 421 the next message takes a new connection"
unlike "$(cat "$T/e.log")" 'RSET' "  no command went to a session that said 421"
ok "  each delivered exactly once" once e "bye-1" "bye-2" "bye-3"
is "$(deferrals)" 0 "  nothing was deferred"

# two domains routed to one peer never share a connection
sent1 "b-1" x@b1.test; sent1 "b-2" x@b1.test; sent1 "b-3" x@b2.test; sent1 "b-4" x@b2.test; sent1 "b-5" x@b1.test
ok "five messages for two domains delivered once" once b "b-1" "b-2" "b-3" "b-4" "b-5"
is "$(mixed b)" 0 "  no connection carried both domains"
n=$(conns b)
ok "  each domain's connection was reused ($n connections)" test "$n" -lt 5

# a new route for the domain: the waiting session is not used for it
sent1 "route-1" x@c.test
sed -i "s/^c.test:.*/c.test:[127.0.0.1]:$PORT_c2/" "$C/smtproutes"
sent1 "route-2" x@c.test
ok "after smtproutes changed, the message went the new way" once c2 "route-2"
is "$(grep -c '^MAIL' "$T/c1.log")" 1 "  the old route's session took nothing more"

# control/remotereuse 0: one connection per message, as before
echo 0 > "$C/remotereuse"
sent1 "zero-1" x@z.test; sent1 "zero-2" x@z.test; sent1 "zero-3" x@z.test
is "$(conns z)" 3 "remotereuse 0: one connection per message"
is "$(grep -c '^QUIT' "$T/z.log")" 3 "  each QUIT at once"

# queue-manager's end ends the waiting deliveries too
echo 30 > "$C/remotereuse"
sent1 "last" x@b1.test
ok "a delivery waits with its session" wait_for 5 test "$(drs)" -ge 1
qm_stop
ok "  it QUITs and exits when queue-manager stops" wait_for 10 test "$(drs)" = 0
done_testing
