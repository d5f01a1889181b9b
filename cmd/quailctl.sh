#!/bin/sh
# quailctl start|stop|restart|status|reload|flush|help: control quail's
# services over runit's sv, as /etc/init.d/qmail did for qmail.
#
# Reads HOME/service/* (HOME is $QUAIL_HOME, else the directory above this
# program when it holds service/, else /var/quail); runs sv(8) on them and
# HOME/bin/queue-stat. runsvdir must be running on HOME/service (systemd's
# quail.service, or runsvdir by hand); start asks systemd to start
# quail.service when it is not.
# Exit codes: 0 done, 100 usage, 111 sv failed for some service or no
# runsv supervises the services.
set -u
prog=quailctl
QM=queue-manager
usage() {
  echo "$prog: usage: $prog start|stop|restart|status|reload|flush|help" >&2
  exit 100
}
die() { echo "$prog: fatal: $*" >&2; exit 111; }

# find_home: where the service directories are
find_home() {
  if [ -n "${QUAIL_HOME:-}" ]; then home=$QUAIL_HOME; return; fi
  up=$(cd "$(dirname "$0")/.." 2>/dev/null && pwd) || up=
  if [ -n "$up" ] && [ -d "$up/service" ]; then home=$up; else home=/var/quail; fi
}

# services: every service directory, queue-manager first
services() {
  [ -d "$home/service/$QM" ] && echo "$home/service/$QM"
  for s in "$home"/service/*/; do
    s=${s%/}
    [ -d "$s" ] && [ "$(basename "$s")" != $QM ] && echo "$s"
  done
  return 0
}

# supervised: a runsv runs for the service (its supervise/ok FIFO has a reader)
supervised() { sv status "$1" >/dev/null 2>&1; }

# each CMD: sv CMD on every service; 111 when any fails
each() {
  rc=0
  for s in $(services); do sv "$@" "$s" || rc=111; done
  return $rc
}

do_start() {
  first=$(services | head -n 1)
  [ -n "$first" ] || die "no service directories in $home/service"
  if ! supervised "$first"; then
    if [ -d /run/systemd/system ] && systemctl cat quail.service >/dev/null 2>&1; then
      systemctl start quail.service || die "systemctl start quail.service failed"
      return 0
    fi
    die "no runsvdir supervises $home/service: run systemctl start quail or runsvdir $home/service"
  fi
  each up
}

do_status() {
  rc=0
  for s in $(services); do
    sv status "$s" || rc=111
    [ -d "$s/log" ] && { sv status "$s/log" || rc=111; }
  done
  QUAIL_HOME=$home "$home/bin/queue-stat" || rc=111
  return $rc
}

do_help() {
  cat <<EOF
   stop -- stop every service (smtpd and friends stop taking connections,
           queue-manager finishes its running deliveries)
  start -- start every service
restart -- stop and start every service
 status -- show the services and the queue
 reload -- queue-manager rereads the control files (sv hup)
  flush -- queue-manager retries every queued message now (sv alarm)
EOF
}

[ $# = 1 ] || usage
find_home
[ -d "$home/service" ] || die "unable to find $home/service"
case "$1" in
  start)   do_start;;
  stop)    each down;;
  restart) each restart;;
  status)  do_status;;
  reload)  sv hup "$home/service/$QM";;
  flush)   sv alarm "$home/service/$QM";;
  help)    do_help;;
  *)       usage;;
esac || exit 111
