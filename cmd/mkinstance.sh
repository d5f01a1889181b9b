#!/bin/sh
# mkinstance DIR [HOSTNAME]: create a self-contained quail instance in DIR.
#
# control/ (the default control files, and those for HOSTNAME, default
# localhost, with a self-signed certificate made by quail-cert), queue/,
# users/ (assign and its
# cdb; passwd.cdb with a random POP3 password for "test", also written to
# mail/test/password), alias/, mail/ with the Maildir of the user "test",
# service/ with runit service directories made from the run/ templates,
# and log/.
# Everything belongs to the invoking user. Ports for the services come from
# SMTP_PORT, POP3_PORT, QMTP_PORT, QMQP_PORT, SUBMISSION_PORT, SMTPS_PORT
# and POP3S_PORT (defaults 2525, 2110, 2209, 2628, 2587, 2465, 2995).
# Exit codes: 0 made, 100 usage or DIR not empty, 111 temporary failure.
set -u
prog=mkinstance
die() { echo "$prog: fatal: $*" >&2; exit 111; }
usage() { echo "$prog: usage: $prog DIR [HOSTNAME]" >&2; exit 100; }
[ $# -ge 1 ] && [ $# -le 2 ] || usage
case "$1" in -*) usage;; esac
dir=$1
host=${2-localhost}
case "$host" in *[!A-Za-z0-9.-]*|'') echo "$prog: fatal: bad hostname: $host" >&2; exit 100;; esac

bin=$(cd "$(dirname "$0")" && pwd) || die "unable to find my own directory"
src=$(cd "$bin/.." && pwd)
templates=${QUAIL_TEMPLATES:-$src/run}
[ -d "$templates" ] || templates=$src/service
# the default control files: control/ in the source tree, doc/control
# where make install put them
defaults=$src/doc/control
[ -d "$defaults" ] || defaults=$src/control
if [ -e "$dir" ]; then
  [ -d "$dir" ] || { echo "$prog: fatal: $dir exists and is not a directory" >&2; exit 100; }
  [ -z "$(ls -A "$dir")" ] || { echo "$prog: fatal: $dir is not empty: refusing to touch it" >&2; exit 100; }
fi
mkdir -p "$dir" || die "unable to create $dir"
home=$(cd "$dir" && pwd) || die "unable to enter $dir"
case "$home" in *[!A-Za-z0-9._/+-]*) echo "$prog: fatal: $home: only letters, digits and ._/+- in the path" >&2; exit 100;; esac
user=$(id -un) uid=$(id -u) gid=$(id -g)
umask 022

# bin: programs find their siblings as HOME/bin/NAME, installed or not
ln -s "$bin" "$home/bin" || die "unable to link $home/bin"

# control/: the defaults (control/README in the source tree says which),
# then the files made from the host name
mkdir -p "$home/control" || die "unable to create $home/control"
for f in "$defaults"/*; do
  [ -f "$f" ] && [ "${f##*/}" != README ] || continue
  cp "$f" "$home/control/" || die "unable to copy $f"
done
# the rules compiled at once, so that showctl finds every cdb up to date
for r in "$home"/control/tcp.*; do
  case $r in *.cdb|*'*') continue;; esac
  tcprules "$r.cdb" "$r.tmp" < "$r" || die "unable to compile $r"
done
domain=${host#*.}
[ "$domain" = "$host" ] && domain=$host
printf '%s\n' "$host" > "$home/control/me"
printf '%s\n%s\n' "$host" localhost | sort -u > "$home/control/locals"
printf '%s\n%s\n' "$host" localhost | sort -u > "$home/control/rcpthosts"
# a dotless host (localhost) gets no defaultdomain, so user@localhost stays so
[ "$domain" = "$host" ] || printf '%s\n' "$domain" > "$home/control/defaultdomain"
printf '%s\n' "$domain" > "$home/control/plusdomain"
printf '%s\n' "$host" > "$home/control/defaulthost"

# control/servercert.pem: a self-signed certificate for HOSTNAME, so that
# smtpd offers STARTTLS and pop3-login STLS (quail-cert(8) replaces it)
if [ -x "$bin/quail-cert" ] && command -v openssl >/dev/null; then
  QUAIL_HOME=$home "$bin/quail-cert" selfsigned "$host" >/dev/null || die "quail-cert selfsigned failed"
else
  echo "$prog: warning: no openssl: no certificate, so no STARTTLS (make deps)" >&2
fi

# queue/
for d in tmp mess bounce hold free lock; do mkdir -p "$home/queue/$d" || die "unable to create queue/$d"; done
chmod 700 "$home/queue/tmp" "$home/queue/mess" "$home/queue/bounce" "$home/queue/hold" "$home/queue/free"
mkfifo -m 622 "$home/queue/lock/trigger" || die "unable to create queue/lock/trigger"
# deliver-remote's TLS sessions, resumed by later deliveries
mkdir -p -m 700 "$home/queue/lock/tls" || die "unable to create queue/lock/tls"

# mail/ and the user test
mkdir -p "$home/mail/test/Maildir/tmp" "$home/mail/test/Maildir/new" "$home/mail/test/Maildir/cur" \
  || die "unable to create the Maildir of test"
chmod -R go-rwx "$home/mail/test"

# alias/: postmaster, mailer-daemon and root reach test
mkdir -p "$home/alias" || die "unable to create alias/"
for a in postmaster mailer-daemon root; do printf '&test@%s\n' "$host" > "$home/alias/.qmail-$a"; done

# users/: test, its extensions, and everything else to the alias user
mkdir -p "$home/users" || die "unable to create users/"
cat > "$home/users/assign" <<EOA
=test:$user:$uid:$gid:$home/mail/test:-::
+test-:$user:$uid:$gid:$home/mail/test:-::
+:$user:$uid:$gid:$home/alias:-::
.
EOA
QUAIL_HOME=$home "$bin/newu" || die "newu failed"
# no backscatter: smtpd refuses unknown local recipients at RCPT (newrcpt(8));
# newu rebuilds users/rcpt.cdb from now on
if [ -x "$bin/newrcpt" ]; then QUAIL_HOME=$home "$bin/newrcpt" || die "newrcpt failed"; fi

# users/passwd.cdb: test gets a random POP3 password, kept in mail/test/password
pass=
if [ -x "$bin/quail-passwd" ]; then
  pass=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n') || die "unable to read /dev/urandom"
  printf '%s\n' "$pass" | QUAIL_HOME=$home "$bin/quail-passwd" add test "$uid" "$gid" "$home/mail/test" \
    || die "quail-passwd failed"
  (umask 077 && printf '%s\n' "$pass" > "$home/mail/test/password") || die "unable to write mail/test/password"
fi

# service/ and log/
mkdir -p "$home/service" "$home/log" || die "unable to create service/"
for t in "$templates"/*/; do
  [ -f "$t/run" ] || continue
  name=$(basename "$t")
  mkdir -p "$home/service/$name/log" "$home/log/$name" || die "unable to create service/$name"
  for f in run log/run; do
    [ -f "$t/$f" ] || continue
    sed -e "s|@HOME@|$home|g" -e "s|@BIN@|$bin|g" \
        -e "s|@SMTP_PORT@|${SMTP_PORT:-2525}|g" -e "s|@POP3_PORT@|${POP3_PORT:-2110}|g" \
        -e "s|@QMTP_PORT@|${QMTP_PORT:-2209}|g" -e "s|@QMQP_PORT@|${QMQP_PORT:-2628}|g" \
        -e "s|@SUBMISSION_PORT@|${SUBMISSION_PORT:-2587}|g" -e "s|@SMTPS_PORT@|${SMTPS_PORT:-2465}|g" \
        -e "s|@POP3S_PORT@|${POP3S_PORT:-2995}|g" -e "s|@HOST@|$host|g" \
        "$t/$f" > "$home/service/$name/$f" || die "unable to write service/$name/$f"
    chmod 755 "$home/service/$name/$f"
  done
done
echo "$prog: made $home for $host: mailbox test@$host in $home/mail/test/Maildir/"
# the password goes to a terminal only, never into a log or a capture
[ -z "$pass" ] || [ ! -t 1 ] || echo "$prog: POP3 login test, password $pass (in $home/mail/test/password)"
