#!/bin/sh
# install.sh DESTDIR PREFIX PROG...: install quail under DESTDIR/PREFIX.
#
# Programs into bin/ (with qmail's names as links where the interface is
# the same), man pages into man/, the queue, control/ defaults for this
# host (only files that do not exist yet), users/, alias/ and service
# directories made from run/ for PREFIX. Separate users per part come with
# the system-service installation; see quail-install(8).
set -eu
destdir=$1 prefix=$2
shift 2
root=$destdir$prefix
say() { echo "install: $*"; }
install -d "$root/bin" "$root/control" "$root/users" "$root/alias" "$root/service" "$root/log" \
  "$root/queue/tmp" "$root/queue/mess" "$root/queue/bounce" "$root/queue/lock" \
  "$root/man/man1" "$root/man/man5" "$root/man/man7" "$root/man/man8"
chmod 700 "$root/queue/tmp" "$root/queue/mess" "$root/queue/bounce"
[ -p "$root/queue/lock/trigger" ] || mkfifo -m 622 "$root/queue/lock/trigger"
for p in "$@"; do install -m 755 "bin/$p" "$root/bin/$p"; done
# qmail's names, for add-ons that call /var/qmail/bin/qmail-*
link() { [ -e "$root/bin/$2" ] && ln -sf "$2" "$root/bin/$1"; return 0; }
link qmail-queue queue-writer;   link qmail-inject inject;     link qmail-local deliver-local
link qmail-remote deliver-remote; link qmail-qread queue-reader; link qmail-qstat queue-stat
link qmail-showctl showctl;      link qmail-newu newu;         link qmail-popup pop3-login
link qmail-pop3d pop3d;          link qmail-smtpd smtpd;       link qmail-qmtpd qmtpd
link qmail-qmqpd qmqpd;          link qmail-qmqpc qmqp-client
for f in man/*.[0-9]; do
  [ -f "$f" ] || continue
  sec=${f##*.}
  install -m 644 "$f" "$root/man/man$sec/$(basename "$f")"
done
host=$(hostname -f 2>/dev/null || hostname)
c=$root/control
[ -f "$c/me" ] || { printf '%s\n' "$host" > "$c/me"; say "control/me is $host"; }
[ -f "$c/locals" ] || printf '%s\nlocalhost\n' "$host" > "$c/locals"
[ -f "$c/rcpthosts" ] || printf '%s\nlocalhost\n' "$host" > "$c/rcpthosts"
[ -f "$c/defaultdelivery" ] || printf './Maildir/\n' > "$c/defaultdelivery"
[ -f "$root/users/assign" ] || printf '.\n' > "$root/users/assign"
QUAIL_HOME=$root "$root/bin/newu"
for t in run/*/; do
  name=$(basename "$t")
  install -d "$root/service/$name/log" "$root/log/$name"
  for f in run log/run; do
    [ -f "$t/$f" ] || continue
    sed -e "s|@HOME@|$prefix|g" -e "s|@BIN@|$prefix/bin|g" -e "s|@SMTP_PORT@|25|g" \
        -e "s|@POP3_PORT@|110|g" -e "s|@QMTP_PORT@|209|g" -e "s|@QMQP_PORT@|628|g" -e "s|@HOST@|$host|g" \
        "$t/$f" > "$root/service/$name/$f"
    chmod 755 "$root/service/$name/$f"
  done
done
say "installed under $root"
