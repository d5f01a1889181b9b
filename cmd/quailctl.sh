#!/bin/sh
# quailctl start|stop|restart|status|reload|flush|help: control quail's
# services over runit's sv, as /etc/init.d/qmail did for qmail.
#
# Reads HOME/service/* (HOME is $QUAIL_HOME, else the directory above this
# program when it holds service/, else /var/quail); runs sv(8) on them and
# HOME/bin/queue-stat. When nothing supervises HOME/service, start asks
# systemd to start quail.service where systemd runs and the unit exists, and
# otherwise starts runsvdir itself, detached (its pid in
# HOME/service/.runsvdir.pid, its own messages in HOME/log/runsvdir.log; each
# service keeps its svlogd log); stop then stops that runsvdir and every
# service under it. status says which of these cases holds.
# Exit codes: 0 done, 100 usage, 111 sv failed for some service, runsvdir
# could not be started, or (status) nothing supervises the services.
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

# own_pid: the pid of the runsvdir that quailctl started, when it still runs
own_pid() {
  p=$(cat "$home/service/.runsvdir.pid" 2>/dev/null) || return 1
  case $p in ''|*[!0-9]*) return 1;; esac
  [ "$(cat "/proc/$p/comm" 2>/dev/null)" = runsvdir ] && echo "$p"
}

# systemd_unit: systemd runs and knows quail.service
systemd_unit() { [ -d /run/systemd/system ] && systemctl cat quail.service >/dev/null 2>&1; }

# runsvdir_start: runsvdir on HOME/service in a session of its own, its
# descriptors away from the caller's terminal; waits until FIRST is supervised
runsvdir_start() {
  mkdir -p "$home/log" || die "unable to create $home/log"
  # the shell writes its own pid, then becomes runsvdir: the pid is runsvdir's
  setsid sh -c 'echo $$ > "$1/service/.runsvdir.pid" && exec runsvdir -P "$1/service"' \
    quailctl "$home" </dev/null >/dev/null 2>>"$home/log/runsvdir.log" &
  i=0
  until supervised "$1"; do
    i=$((i + 1))
    [ $i -ge 100 ] && die "runsvdir did not start on $home/service (see $home/log/runsvdir.log)"
    sleep 0.1
  done
}

# runsvdir_stop PID: SIGHUP makes runsvdir stop every runsv (each stops its
# service, queue-manager after its running deliveries, then its log); wait
# for the runsv processes under HOME/service to be gone
runsvdir_stop() {
  kill -HUP "$1" 2>/dev/null
  i=0
  while [ -n "$(runsv_pids)" ] || [ -d "/proc/$1" ]; do
    i=$((i + 1))
    [ $i -ge 1200 ] && die "runsv processes under $home/service still run after 120 s"
    sleep 0.1
  done
  rm -f "$home/service/.runsvdir.pid"
}

# runsv_pids: the runsv processes whose directory is under HOME/service
runsv_pids() {
  for p in $(pgrep -x runsv); do
    case $(readlink "/proc/$p/cwd") in "$home"/service/*) echo "$p";; esac
  done
}

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
    if systemd_unit; then
      systemctl start quail.service || die "systemctl start quail.service failed"
      return 0
    fi
    runsvdir_start "$first"
  fi
  each up
}

# do_stop: the services down; a runsvdir that quailctl started goes too
do_stop() {
  if p=$(own_pid); then runsvdir_stop "$p"; return; fi
  each down
}

# do_restart: a runsvdir of quailctl's own is restarted whole; nothing
# supervising means start
do_restart() {
  if p=$(own_pid); then runsvdir_stop "$p" && do_start
  elif supervised "$(services | head -n 1)"; then each restart; r=$?; logs restart || r=111; return $r
  else do_start
  fi
}

# logs CMD: sv CMD on every service's log service (quail-log(8) reads
# control/logto when one starts; runsv keeps the pipe, so no line is lost)
logs() {
  rc=0
  for s in $(services); do [ ! -d "$s/log" ] || sv "$@" "$s/log" || rc=111; done
  return $rc
}

# supervision: one line saying what supervises the services
supervision() {
  if p=$(own_pid); then echo "supervision: runsvdir started by quailctl (pid $p)"
  elif ! supervised "$(services | head -n 1)"; then
    echo "supervision: none (quailctl start starts it)"; return 1
  elif systemd_unit && systemctl -q is-active quail.service; then echo "supervision: systemd (quail.service)"
  else echo "supervision: runsvdir started outside quailctl"
  fi
}

do_status() {
  rc=0
  supervision || rc=111
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
restart -- stop and start every service and its log service
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
  stop)    do_stop;;
  restart) do_restart;;
  status)  do_status;;
  reload)  sv hup "$home/service/$QM";;
  flush)   sv alarm "$home/service/$QM";;
  help)    do_help;;
  *)       usage;;
esac || exit 111
