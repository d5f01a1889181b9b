#!/bin/sh
# install.sh DESTDIR PREFIX PROG...: install quail under DESTDIR/PREFIX.
#
# Programs into bin/ (with qmail's names as links where the interface is
# the same, and qmail-send, qmail-start, qmail-clean, qmail-lspawn and
# qmail-rspawn for boot scripts and monitors), man pages into man/, the
# queue, control/'s defaults (also into doc/control) and the files for this
# host (only files that do not exist yet, and a self-signed certificate by
# quail-cert when there is none), users/, alias/ and service
# directories made from run/ for PREFIX, the systemd unit quail.service.
# As root without DESTDIR: qmail-style users and groups (made when missing),
# owners and modes as qmail's; with DESTDIR or as another user the owners
# are only printed. See quail-install(8).
#
# Environment (from make's variables of the same names):
#   DEFAULTDELIVERY  maildir, mailbox or a .qmail line: control/defaultdelivery
#   SENDMAIL_LINKS   1: /usr/sbin/sendmail and /usr/lib/sendmail link to ours
#   QMAIL_LINK       1: /var/qmail links to PREFIX (never over an existing one)
#   UNITDIR          where quail.service goes (default /etc/systemd/system)
#   INITDIR          where the init script quail goes (default /etc/init.d),
#                    written only where that directory exists and systemd
#                    does not run the machine
set -eu
destdir=$1 prefix=$2
shift 2
root=$destdir$prefix
unitdir=${UNITDIR:-/etc/systemd/system}
initdir=${INITDIR:-/etc/init.d}
say() { echo "install: $*"; }
die() { echo "install: fatal: $*" >&2; exit 111; }
case "$prefix" in /*) ;; *) die "PREFIX must be an absolute path: $prefix";; esac

# qmail's split: the network daemons, logs and the alias user own no files
# that matter (group nofiles); the queue's users share the group quail.
USERS="quaild:nofiles:$prefix
quaill:nofiles:$prefix
alias:nofiles:$prefix/alias
quailq:quail:$prefix
quails:quail:$prefix
quailr:quail:$prefix"
real=0
[ -z "$destdir" ] && [ "$(id -u)" = 0 ] && real=1

# own OWNER MODE PATH...: chown and chmod as root, else say what would be done
# (chown before chmod, which would clear a setuid bit; without the owner,
# never a setuid bit: a DESTDIR install as root would make it setuid root)
own() {
  o=$1 m=$2; shift 2
  if [ $real = 1 ]; then chown "$o" "$@"; chmod "$m" "$@"; return; fi
  chmod "${m#[24]}" "$@"
  owned="$owned
  $o $m $*"
}
owned=

make_users() {
  for g in nofiles quail; do
    getent group "$g" >/dev/null && continue
    if [ $real = 1 ]; then { groupadd --system "$g" || die "groupadd $g failed"; say "created group $g"; }
    else say "would create group $g (groupadd --system $g)"; fi
  done
  echo "$USERS" | while IFS=: read -r u g h; do
    if getent passwd "$u" >/dev/null; then
      have=$(getent passwd "$u" | cut -d: -f6)
      [ "$have" = "$h" ] || say "warning: user $u exists with home $have, not $h"
      continue
    fi
    if [ $real = 1 ]; then
      useradd --system -g "$g" -d "$h" -M -s /usr/sbin/nologin "$u" || die "useradd $u failed"
      say "created user $u ($g, $h)"
    else say "would create user $u (useradd --system -g $g -d $h -M -s /usr/sbin/nologin $u)"; fi
  done
}

make_dirs() {
  install -d "$root/bin" "$root/control" "$root/users" "$root/alias" "$root/service" "$root/log" \
    "$root/queue/tmp" "$root/queue/mess" "$root/queue/bounce" "$root/queue/hold" "$root/queue/free" "$root/queue/lock" "$root/queue/admin" \
    "$root/queue/lock/tls" "$root/man/man1" "$root/man/man5" "$root/man/man7" "$root/man/man8"
  [ -p "$root/queue/lock/trigger" ] || mkfifo "$root/queue/lock/trigger"
}

install_programs() {
  for p in "$@"; do install -m 755 "bin/$p" "$root/bin/$p"; done
  # qmail's names, for add-ons that call /var/qmail/bin/qmail-*
  link qmail-queue queue-writer;   link qmail-inject inject;     link qmail-local deliver-local
  link qmail-remote deliver-remote; link qmail-qread queue-reader; link qmail-qstat queue-stat
  link qmail-showctl showctl;      link qmail-newu newu;         link qmail-popup pop3-login
  link qmail-pop3d pop3d;          link qmail-smtpd smtpd;       link qmail-qmtpd qmtpd
  link qmail-qmqpd qmqpd;          link qmail-qmqpc qmqp-client
  # what boot scripts and monitors run or look for: qmail-start execs
  # qmail-send (queue-manager), so ps shows qmail-send; qmail-clean,
  # qmail-lspawn and qmail-rspawn are queue-manager's own work, and
  # queue-part says so (queue-part(8))
  link qmail-send queue-manager;   link qmail-start queue-start
  link qmail-clean queue-part;     link qmail-lspawn queue-part;  link qmail-rspawn queue-part
  link qmail-tcpok tcpok;          link qmail-tcpto tcpto;       link qmail-newmrh newmrh
  link qmail-pw2u pw2u;            link qmail-getpw getpw
  for f in man/*.[0-9]; do
    [ -f "$f" ] || continue
    install -m 644 "$f" "$root/man/man${f##*.}/$(basename "$f")"
  done
}
link() { [ -e "$root/bin/$2" ] && ln -sf "$2" "$root/bin/$1"; return 0; }

# install_boot: qmail's start-up variants, as scripts that set the default
# delivery (boot/maildir, mailbox, procmail, dot-forward)
install_boot() {
  install -d "$root/boot"
  for f in boot/*; do
    sed "s|@PREFIX@|$prefix|g" "$f" > "$root/boot/${f##*/}" && chmod 755 "$root/boot/${f##*/}"
  done
}

# default_delivery: qmail's boot/ variants by name, or a .qmail line as is
default_delivery() {
  case "${DEFAULTDELIVERY:-}" in
    '') [ -f "$c/defaultdelivery" ] || printf './Maildir/\n' > "$c/defaultdelivery"; return;;
    maildir|Maildir) d=./Maildir/;;
    mailbox|mbox|Mailbox) d=./Mailbox;;
    [./\|\&]*) d=$DEFAULTDELIVERY;;
    *) echo "install: fatal: DEFAULTDELIVERY must be maildir, mailbox or a .qmail line (./Maildir/, ./Mailbox, |program, &address): $DEFAULTDELIVERY" >&2
       exit 100;;
  esac
  printf '%s\n' "$d" > "$c/defaultdelivery"
  say "default delivery: $d"
}

install_control() {
  host=$(hostname -f 2>/dev/null || hostname)
  c=$root/control
  # the defaults of control/ (control/README), where the file is missing;
  # doc/control keeps them for mkinstance and for the reader (a package
  # ships that copy: its configure phase leaves it alone)
  [ "$phase" = configure ] || install -d "$root/doc/control"
  for f in control/*; do
    [ "$phase" = configure ] || install -m 644 "$f" "$root/doc/control/"
    [ "${f##*/}" = README ] || [ -e "$c/${f##*/}" ] || install -m 644 "$f" "$c/"
  done
  for r in "$c"/tcp.*; do
    case $r in *.cdb|*'*') continue;; esac
    [ -f "$r.cdb" ] && [ ! "$r" -nt "$r.cdb" ] || tcprules "$r.cdb" "$r.tmp" < "$r"
  done
  [ -f "$c/me" ] || { printf '%s\n' "$host" > "$c/me"; say "control/me is $host"; }
  [ -f "$c/locals" ] || printf '%s\nlocalhost\n' "$host" > "$c/locals"
  [ -f "$c/rcpthosts" ] || printf '%s\nlocalhost\n' "$host" > "$c/rcpthosts"
  default_delivery
  [ -f "$root/users/assign" ] || printf '.\n' > "$root/users/assign"
  QUAIL_HOME=$root "$root/bin/newu"
  # postmaster, root and MAILER-DAEMON end in the alias user's Maildir
  # until the administrator forwards them to a person
  for a in postmaster root mailer-daemon; do
    [ -f "$root/alias/.qmail-$a" ] || printf './Maildir/\n' > "$root/alias/.qmail-$a"
  done
  [ -d "$root/alias/Maildir" ] || "$root/bin/maildirmake" "$root/alias/Maildir"
  # no backscatter by default: the valid local recipients of this host
  # (newrcpt(8) reads its users; in a DESTDIR they are another host's)
  if [ -z "$destdir" ]; then QUAIL_HOME=$root "$root/bin/newrcpt" || exit 111; fi
}

# install_cert: a self-signed certificate for control/me when there is
# none, so that STARTTLS and STLS work at once (quail-cert(8) replaces it);
# never into a DESTDIR, where it would be every machine's that installs
install_cert() {
  [ -e "$root/control/servercert.pem" ] && return 0
  if [ -n "$destdir" ]; then say "no certificate in a DESTDIR: run $prefix/bin/quail-cert selfsigned on the host"; return 0; fi
  if ! command -v openssl >/dev/null && { [ $real = 0 ] || ! sh mk/packages.sh openssl; }; then
    say "warning: openssl is not installed: no certificate, no STARTTLS (make deps, then $prefix/bin/quail-cert selfsigned)"
    return 0
  fi
  out=$(QUAIL_HOME=$root "$root/bin/quail-cert" selfsigned) || die "quail-cert selfsigned failed"
  echo "$out" | sed 's/^quail-cert: /install: /'
  say "to replace it: $prefix/bin/quail-cert install FULLCHAIN KEY, or certbot --deploy-hook '$prefix/bin/quail-cert --deploy-hook' (quail-cert(8))"
}

install_services() {
  for t in run/*/; do
    name=$(basename "$t")
    install -d "$root/service/$name/log" "$root/log/$name"
    for f in run log/run; do
      [ -f "$t/$f" ] || continue
      sed -e "s|@HOME@|$prefix|g" -e "s|@BIN@|$prefix/bin|g" -e "s|@SMTP_PORT@|25|g" \
          -e "s|@POP3_PORT@|110|g" -e "s|@QMTP_PORT@|209|g" -e "s|@QMQP_PORT@|628|g" -e "s|@HOST@|$host|g" \
          -e "s|@SUBMISSION_PORT@|587|g" -e "s|@SMTPS_PORT@|465|g" -e "s|@POP3S_PORT@|995|g" \
          -e "$logas" "$t/$f" > "$root/service/$name/$f"
      chmod 755 "$root/service/$name/$f"
    done
  done
}

install_unit() {
  u=$destdir$unitdir
  if ! install -d "$u" 2>/dev/null || [ ! -w "$u" ]; then
    say "skipping $unitdir/quail.service: not writable"; return 0
  fi
  sed -e "s|@PREFIX@|$prefix|g" mk/quail.service > "$u/quail.service"
  chmod 644 "$u/quail.service"
  say "systemd unit $unitdir/quail.service: systemctl enable --now quail"
  if [ $real = 1 ] && [ -d /run/systemd/system ] && [ "$unitdir" = /etc/systemd/system ]; then
    systemctl daemon-reload || say "warning: systemctl daemon-reload failed"
  fi
}

# install_init: /etc/init.d/quail (an LSB script over quailctl) where there is
# an /etc/init.d and no systemd
install_init() {
  d=$destdir$initdir
  [ -d "$d" ] && [ ! -d /run/systemd/system ] || return 0
  [ -w "$d" ] || { say "skipping $initdir/quail: not writable"; return 0; }
  sed -e "s|@PREFIX@|$prefix|g" mk/quail.init > "$d/quail"
  chmod 755 "$d/quail"
  say "init script $initdir/quail: $initdir/quail start (update-rc.d quail defaults starts it at boot)"
}

# sendmail_links: only when asked, since they replace another MTA's
sendmail_links() {
  [ "${SENDMAIL_LINKS:-0}" = 1 ] || return 0
  for l in /usr/sbin/sendmail /usr/lib/sendmail; do
    install -d "$destdir$(dirname $l)"
    if [ -e "$destdir$l" ] && [ ! -L "$destdir$l" ] && [ ! -e "$destdir$l.quail-saved" ]; then
      mv "$destdir$l" "$destdir$l.quail-saved" && say "moved $l to $l.quail-saved"
    fi
    ln -sfn "$prefix/bin/sendmail" "$destdir$l"
    say "$l links to $prefix/bin/sendmail"
  done
}

# qmail_link: /var/qmail as a link to the prefix, only when asked, so that
# qmail add-ons calling /var/qmail/bin/qmail-* find ours; an existing
# /var/qmail (a real qmail) is never touched
qmail_link() {
  [ "${QMAIL_LINK:-0}" = 1 ] || return 0
  l=$destdir/var/qmail
  if [ -e "$l" ] || [ -L "$l" ]; then say "keeping the existing /var/qmail"; return 0; fi
  install -d "$destdir/var"
  ln -s "$prefix" "$l"
  say "/var/qmail links to $prefix"
}

# set_owners: qmail's owners and modes; queue-writer is setuid quailq, so
# the queue is open to everyone only through it
set_owners() {
  own root:quail 755 "$root" "$root/bin" "$root/control" "$root/users" "$root/service" "$root/log"
  own root:quail 755 "$root"/bin/*
  own quailq:quail 4711 "$root/bin/queue-writer"
  # SMTP AUTH's password check: setuid root only to open users/passwd.cdb
  # (0600 root), and only smtpd's group may run it
  own root:nofiles 4750 "$root/bin/verifypw"
  own quailq:quail 750 "$root/queue" "$root/queue/lock"
  own quailq:quail 700 "$root/queue/tmp" "$root/queue/mess" "$root/queue/bounce" "$root/queue/hold" "$root/queue/free"
  own quailq:quail 622 "$root/queue/lock/trigger"
  # queue-manager's command socket lives here: root and quailq only
  own quailq:quail 700 "$root/queue/admin"
  # queue files are the queue owner's alone (an older install made 644)
  if [ $real = 1 ]; then
    find "$root/queue/tmp" "$root/queue/mess" "$root/queue/bounce" "$root/queue/hold" "$root/queue/free" \
      -type f -exec chown quailq:quail {} + -exec chmod 600 {} +
  fi
  # deliver-remote runs as quailr: its dead-host memory is its own
  [ -e "$root/queue/lock/tcpto" ] || : > "$root/queue/lock/tcpto"
  own quailr:quail 644 "$root/queue/lock/tcpto"
  # and its TLS sessions, secrets that resume its connections: its alone
  own quailr:quail 700 "$root/queue/lock/tls"
  own alias:nofiles 2755 "$root/alias"
  own alias:nofiles 644 "$root/alias"/.qmail-*
  for d in "$root"/log/*/; do own quaill:nofiles 755 "$d"; done
  if [ $real = 1 ]; then
    chown -R alias:nofiles "$root/alias/Maildir"
  else
    say "as root without DESTDIR these owners and modes would be set:$owned"
  fi
}

# QUAIL_INSTALL_PHASE: files (programs, man pages, boot/, the unit and init
# script: what a package ships), configure (users, queue, control/ for this
# host, service directories, owners: what a package's postinst does, run
# from a directory holding bin/, run/ and mk/), or all (make install)
phase=${QUAIL_INSTALL_PHASE:-all}
umask 022
case $phase in files|all)
  make_dirs
  install_programs "$@"
  install_boot
  install_unit
  install_init
  sendmail_links
  qmail_link;;
esac
case $phase in configure|all)
  make_users
  make_dirs
  install_control
  install_cert
  logas=s/^//
  # the log services (quail-log: svlogd, splogger or both) run as quaill
  [ $real = 1 ] && logas='s|^exec \([^ ]*/quail-log \)|exec chpst -u quaill:nofiles \1|'
  install_services
  set_owners;;
esac
say "installed under $root"
