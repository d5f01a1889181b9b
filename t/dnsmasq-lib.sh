# t/dnsmasq-lib.sh: a real DNS server and scriptable peers for the
# deliver-remote tests (bash, sourced after lib.sh).
#
#   net_pick                    # $NET: a random 127.A.B prefix of our own
#   dns_start ARGS...           # dnsmasq on $NET.53, answering for *.test with
#                               # ARGS (--mx-host=..., --host-record=...);
#                               # QUAIL_RESOLVCONF points at it
#   peer_start NAME ADDR PORT [OPTION...]   # t/remote-peer.py; log in $T/NAME.log
#   peer_stop NAME
#   need_root REASON            # skip_all unless root (port 25 for MX peers)
#
# Names under .test that dnsmasq is not told about are NXDOMAIN (--local),
# so nothing is ever asked of a real name server. The resolv.conf uses
# quail's "nameserver IP#PORT" form (deliver-remote(8)), so dnsmasq needs no
# privileged port.

net_pick() { NET=127.$((RANDOM % 200 + 20)).$((RANDOM % 250 + 1)); }

need_root() { [ "$(id -u)" = 0 ] || skip_all "$1 (needs root)"; }

dns_start() {
  local port
  [ -n "${NET:-}" ] || net_pick
  port=$($PY -c 'import socket,sys; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind((sys.argv[1],0)); print(s.getsockname()[1])' "$NET.53")
  dnsmasq --keep-in-foreground --port="$port" --listen-address="$NET.53" --bind-interfaces \
    --no-resolv --no-hosts --no-negcache --cache-size=0 --local=/test/ --pid-file= \
    --log-facility="$T/dnsmasq.log" "$@" 2>>"$T/dnsmasq.err" &
  DNS_PID=$!
  kill_on_exit $DNS_PID
  printf 'nameserver %s#%s\noptions timeout:1 attempts:1\n' "$NET.53" "$port" > "$T/resolv.conf"
  export QUAIL_RESOLVCONF=$T/resolv.conf
  DNS_PORT=$port
  wait_for 5 grep -q 'started' "$T/dnsmasq.log" || { cat "$T/dnsmasq.err" >&2; echo "Bail out! dnsmasq did not start"; exit 1; }
}
dns_stop() { kill "$DNS_PID" 2>/dev/null; wait "$DNS_PID" 2>/dev/null; }

peer_start() {
  local name=$1 addr=$2 port=$3; shift 3
  rm -f "$T/$name.log" "$T/$name.log".*
  : > "$T/$name.log"
  $PY "$SRC/t/remote-peer.py" "$addr" "$port" "$T/$name.log" "$@" > "$T/$name.ready" 2>"$T/$name.err" &
  eval "PEER_$name=$!"
  kill_on_exit $!
  wait_for 5 grep -q ready "$T/$name.ready" || { cat "$T/$name.err" >&2; echo "Bail out! peer $name did not start"; exit 1; }
}
peer_stop() { local v="PEER_$1"; kill "${!v}" 2>/dev/null; wait "${!v}" 2>/dev/null; }
peer_log() { cat "$T/$1.log"; }

# dr DOMAIN SENDER RCPT... < message: deliver-remote's report on one
# line, NULs as '|' and newlines as spaces
dr() { "$BIN/deliver-remote" "$@" | tr '\0\n' '| '; }
# a message file
msgfile() { printf 'From: a@quail.test\nSubject: %s\n\n%s\n' "$1" "${2:-body}" > "$T/msg"; }
