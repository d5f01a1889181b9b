# t/netns-lib.sh: network namespaces as hosts for the configuration tests
# (bash, sourced after lib.sh).
#
#   ns_need                      # skip_all unless root with namespace and veth support
#   ns_host NAME                 # a host: namespace q$$NAME with lo up; removed at exit
#   ns_lan LAN                   # a switch: a namespace holding bridge br0
#   ns_plug LAN HOST ADDR/LEN    # HOST on LAN with ADDR (interface e-LAN inside HOST)
#   ns_wire A ADDR/LEN B ADDR/LEN IF  # a point-to-point link IF between A and B
#   ns_down HOST IF / ns_up HOST IF   # take an interface down or up (ip link)
#   ns HOST CMD...               # run CMD inside HOST (exec: $! is CMD's pid)
#   ns_inst HOST DIR NAME        # mkinstance DIR NAME with the standard ports (25, 110, 628)
#   ns_service HOST DIR SERVICE  # start DIR/service/SERVICE/run inside HOST (killed at exit)
#
# Addresses exist only inside the namespaces. At exit every process left
# in the test's namespaces is killed and the namespaces are deleted.
_ns_list=

ns_need() {
  [ "$(id -u)" = 0 ] || skip_all "network namespaces need root"
  command -v ip >/dev/null || skip_all "iproute2 is not installed"
  ip netns add "q$$probe" 2>/dev/null || skip_all "ip netns add failed (no namespace support here)"
  ip netns del "q$$probe"
  trap '_cleanup; _ns_teardown' EXIT
}

_ns_teardown() {
  local n p
  for n in $_ns_list; do
    for p in $(ip netns pids "$n" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
  done
  for n in $_ns_list; do ip netns del "$n" 2>/dev/null; done
  ns_unmount_idle
}

# ns_unmount_idle: the first "ip netns add" makes /run/netns a mount point
# of its own; once no namespace is left in it, unmount it, so a test leaves
# no mount behind (a namespace someone still holds keeps it busy: umount
# then fails and changes nothing)
ns_unmount_idle() {
  [ -d /run/netns ] && [ -z "$(ls -A /run/netns 2>/dev/null)" ] || return 0
  grep -q ' /run/netns ' /proc/self/mounts && umount /run/netns 2>/dev/null
  return 0
}

_ns() { printf 'q%s%s' "$$" "$1"; }
ns() { local n; n=$(_ns "$1"); shift; ip netns exec "$n" "$@"; }

ns_host() {
  local n; n=$(_ns "$1")
  ip netns add "$n" || { echo "Bail out! ip netns add $n failed"; exit 1; }
  _ns_list="$_ns_list $n"
  ip -n "$n" link set lo up
}

ns_lan() {
  ns_host "$1"
  ip -n "$(_ns "$1")" link add br0 type bridge || { echo "Bail out! no bridge support"; exit 1; }
  ip -n "$(_ns "$1")" link set br0 up
}

# ns_plug LAN HOST ADDR/LEN: a veth from HOST (e-LAN) to LAN's bridge
ns_plug() {
  local lan host addr a b
  lan=$(_ns "$1") host=$(_ns "$2") addr=$3
  a="e-$1" b="p$$-$2"
  ip link add "$a" netns "$host" type veth peer name "$b" netns "$lan" || { echo "Bail out! veth failed"; exit 1; }
  ip -n "$lan" link set "$b" master br0 up
  ip -n "$host" addr add "$addr" dev "$a"
  ip -n "$host" link set "$a" up
}

# ns_wire A ADDR/LEN B ADDR/LEN IF: interface IF on both ends
ns_wire() {
  local a b
  a=$(_ns "$1") b=$(_ns "$3")
  ip link add "$5" netns "$a" type veth peer name "$5" netns "$b" || { echo "Bail out! veth failed"; exit 1; }
  ip -n "$a" addr add "$2" dev "$5"; ip -n "$b" addr add "$4" dev "$5"
  ip -n "$a" link set "$5" up; ip -n "$b" link set "$5" up
}

ns_down() { ip -n "$(_ns "$1")" link set "$2" down; }
ns_up() { ip -n "$(_ns "$1")" link set "$2" up; }

ns_inst() {
  SMTP_PORT=25 POP3_PORT=110 QMQP_PORT=628 QMTP_PORT=209 "$BIN/mkinstance" "$2" "$3" >/dev/null \
    || { echo "Bail out! mkinstance $2 failed"; exit 1; }
}

# ns_service HOST DIR SERVICE: the service's run script (it execs
# tcpserver or queue-manager), its output in DIR/SERVICE.log
ns_service() {
  ns "$1" sh "$2/service/$3/run" >>"$2/$3.log" 2>&1 &
  kill_on_exit $!
  case $3 in
  queue-manager) wait_for 5 test -s "$2/$3.log" ;;
  *) wait_for 5 grep -q 'status: 0/' "$2/$3.log" ;;
  esac || { cat "$2/$3.log" >&2; echo "Bail out! $3 did not start in $1"; exit 1; }
}

# ns_connect HOST ADDR PORT: 0 when a TCP connection from HOST succeeds
ns_connect() {
  ns "$1" "$PY" -c 'import socket,sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), 2)' "$2" "$3" 2>/dev/null
}

# lan_hub: the LAN lan (10.202.0.0/24) with the hub hub.corp.test on
# 10.202.0.1, made a lan-server for corp.test with the users ann and bob,
# its queue-manager, smtpd, pop3d and qmqpd running: $HUB is its home
lan_hub() {
  ns_lan lan; ns_host hub
  ns_plug lan hub 10.202.0.1/24
  HUB=$T/hub
  ns_inst hub "$HUB" hub.corp.test
  QUAIL_HOME=$HUB quail-setup lan-server --domain corp.test --lan 10.202.0. --user ann --user bob >/dev/null \
    || { echo "Bail out! quail-setup lan-server failed"; exit 1; }
  printf '0\n' > "$HUB/control/pop3faildelay"
  local s; for s in queue-manager smtpd pop3d qmqpd; do ns_service hub "$HUB" "$s"; done
}
dead_resolver() {
  printf 'nameserver 127.0.0.1#9\noptions timeout:1 attempts:1\n' > "$T/resolv.dead"
  export QUAIL_RESOLVCONF=$T/resolv.dead
}
# queued DIR: messages in an instance's queue
queued() { q_ids "$1/queue" 2>/dev/null | grep -c .; }
queue_empty_in() { [ "$(queued "$1")" = 0 ]; }
