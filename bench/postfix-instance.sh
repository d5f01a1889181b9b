#!/bin/bash
# bench/postfix-instance.sh setup|start|stop|kill|flush|qcount|purge|qmgr-pid:
# a
# Postfix instance of its own for quail's queue benchmarks (bench/backlog.sh,
# bench/biglist.sh), so that a queue of 100,000 deferred messages never
# lands in the shared baseline (../shared/bench/postfix-anchor.sh) that
# other benchmarks use. Stock Postfix 3.7 with the anchor's main.cf, and:
#   config /etc/postfix-qbench, queue /var/spool/postfix-qbench,
#   smtpd on 127.0.0.1:$PF_PORT (2536) only, mail for qbench@quail.test to
#   /home/bench/Maildir-qbench/, every other domain to 127.0.0.1:$PF_SINK
#   (2597), STARTTLS when offered (smtp_tls_security_level = may and a TLS
#   session cache, as Debian's generated main.cf has).
# Needs root and Postfix installed (the anchor's setup). No logging
# (maillog_file unset, no syslog on the bench box).
set -eu
cfg=/etc/postfix-qbench spool=/var/spool/postfix-qbench data=/var/lib/postfix-qbench
port=${PF_PORT:-2536} sink=${PF_SINK:-2597}
pf() { postfix -c "$cfg" "$@"; }
setup() {
  [ -x /usr/sbin/postfix ] || { echo "postfix-instance: Postfix is not installed" >&2; exit 111; }
  id bench >/dev/null 2>&1 || { echo "postfix-instance: no user bench (run postfix-anchor.sh setup)" >&2; exit 111; }
  mkdir -p "$cfg" "$spool" "$data"
  chown postfix "$data"
  cat > "$cfg/main.cf" <<EOC
# written by quail's bench/postfix-instance.sh; stock Postfix 3.7 otherwise
compatibility_level = 3.6
queue_directory = $spool
data_directory = $data
myhostname = quail.test
mydomain = quail.test
myorigin = \$myhostname
mydestination = quail.test, localhost
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
home_mailbox = Maildir-qbench/
alias_maps = hash:/etc/aliases
alias_database = hash:/etc/aliases
recipient_delimiter = +
local_recipient_maps =
luser_relay = bench
default_transport = smtp:[127.0.0.1]:$sink
relayhost =
biff = no
append_dot_mydomain = no
mailbox_size_limit = 0
readme_directory = no
syslog_name = postfix-qbench
smtp_tls_security_level = may
smtp_tls_session_cache_database = btree:\${data_directory}/smtp_scache
EOC
  cp /usr/share/postfix/master.cf.dist "$cfg/master.cf"
  postconf -c "$cfg" -M# smtp/inet
  postconf -c "$cfg" -Me "127.0.0.1:$port/inet = 127.0.0.1:$port inet n - n - - smtpd"
  postconf -c "$cfg" -F '*/*/chroot = n'
  pf check
}
running() { pf status >/dev/null 2>&1; }
case ${1:-} in
setup) setup ;;
start) running || pf start 2>/dev/null ;;
stop) if running; then pf stop 2>/dev/null; fi
      for _ in $(seq 100); do running || exit 0; sleep 0.1; done ;;
kill) pid=$(cat "$spool/pid/master.pid" 2>/dev/null | tr -d ' ') || true
      [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; true ;;
flush) postqueue -c "$cfg" -f ;;
qcount) find "$spool"/{incoming,active,deferred,maildrop} -type f 2>/dev/null | wc -l ;;
purge) postsuper -c "$cfg" -d ALL >/dev/null 2>&1 || true ;;
qmgr-pid) pgrep -x qmgr -P "$(cat "$spool/pid/master.pid" | tr -d ' ')" ;;
*) echo "usage: $0 setup|start|stop|kill|flush|qcount|purge|qmgr-pid" >&2; exit 100 ;;
esac
