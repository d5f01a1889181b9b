#!/bin/sh
# quail-cert: the TLS certificate of smtpd, pop3-login and deliver-remote.
#
#   quail-cert install FULLCHAIN KEY   check that they match, install them
#   quail-cert --deploy-hook           the same from certbot's RENEWED_LINEAGE
#                                      (fullchain.pem, privkey.pem); also when
#                                      run without arguments with it set
#   quail-cert selfsigned [HOSTNAME]   a self-signed certificate for HOSTNAME
#                                      (default control/me), only when there
#                                      is no control/servercert.pem
#   quail-cert show                    what is installed
#
# install writes HOME/control/servercert.pem (smtpd's STARTTLS, pop3-login's
# STLS) and HOME/control/clientcert.pem (deliver-remote's client
# certificate), each the chain then the key, under a temporary name,
# fsynced, renamed, the directory fsynced; a replaced file keeps its owner
# and mode, a new one is mode 600 and (as root on an installed system)
# owned by quaild, or quailr for clientcert.pem. The servers read the file
# at every STARTTLS, so new sessions take the new certificate at once and
# open ones go on with the old: nothing is restarted.
# HOME is QUAIL_HOME, else the directory above this script's when it holds
# control/, else /var/quail.
# Exit codes: 0 done, 100 usage, or a certificate refused (unreadable, not
# PEM, expired, or the key does not match), with nothing changed; 111
# openssl or the file system failed.
set -u
prog=quail-cert
usage() {
  echo "$prog: usage: $prog install FULLCHAIN KEY | $prog --deploy-hook | $prog selfsigned [HOSTNAME] | $prog show" >&2
  exit 100
}
die() { echo "$prog: fatal: $*" >&2; exit 111; }
refuse() { echo "$prog: fatal: $*; nothing changed" >&2; exit 100; }
say() { echo "$prog: $*"; }

find_home() {
  if [ -n "${QUAIL_HOME:-}" ]; then home=$QUAIL_HOME; return; fi
  up=$(cd "$(dirname "$0")/.." 2>/dev/null && pwd) || up=
  if [ -n "$up" ] && [ -d "$up/control" ]; then home=$up; else home=/var/quail; fi
}

# check FULLCHAIN KEY: both PEM, the key the certificate's, not expired
check() {
  [ -r "$1" ] || refuse "unable to read $1"
  [ -r "$2" ] || refuse "unable to read $2"
  cpub=$(openssl x509 -in "$1" -noout -pubkey 2>/dev/null) || refuse "$1 holds no PEM certificate"
  kpub=$(openssl pkey -in "$2" -passin pass: -pubout 2>/dev/null) ||
    refuse "$2 holds no PEM private key (or one with a passphrase)"
  [ "$cpub" = "$kpub" ] || refuse "the key in $2 does not belong to the certificate in $1"
  openssl x509 -in "$1" -noout -checkend 0 >/dev/null 2>&1 || refuse "the certificate in $1 has expired"
}

# put NAME USER FULLCHAIN KEY: control/NAME made anew, atomically
put() {
  f=$home/control/$1 tmp=$home/control/.$1.tmp.$$
  # one PEM file may hold both: then it is taken once
  if [ "$3" -ef "$4" ]; then set -- "$1" "$2" "$3"; fi
  (umask 077 && awk 1 "$3" ${4:+"$4"} > "$tmp") || { rm -f "$tmp"; die "unable to write $tmp"; }
  if [ -e "$f" ]; then
    chown --reference="$f" "$tmp" 2>/dev/null; chmod --reference="$f" "$tmp"
  elif [ "$(id -u)" = 0 ] && [ ! -L "$home/bin" ] && id "$2" >/dev/null 2>&1; then
    chown "$2" "$tmp" || { rm -f "$tmp"; die "unable to give $tmp to $2"; }
  fi
  sync "$tmp" || { rm -f "$tmp"; die "unable to fsync $tmp"; }
  mv -f "$tmp" "$f" || { rm -f "$tmp"; die "unable to rename $tmp to $f"; }
}

# install_pair FULLCHAIN KEY [server]: checked, then installed
install_pair() {
  check "$1" "$2"
  [ -d "$home/control" ] || die "no directory $home/control"
  put servercert.pem quaild "$1" "$2"
  [ "${3:-}" = server ] || put clientcert.pem quailr "$1" "$2"
  sync "$home/control" || die "unable to fsync $home/control"
  say "installed $(openssl x509 -in "$1" -noout -subject 2>/dev/null) in $home/control/servercert.pem$([ "${3:-}" = server ] || echo " and clientcert.pem")"
}

selfsigned() {
  host=${1:-}
  [ -n "$host" ] || host=$(head -n 1 "$home/control/me" 2>/dev/null) || true
  case "$host" in ''|*[!A-Za-z0-9.-]*) echo "$prog: fatal: bad hostname: '$host'" >&2; exit 100;; esac
  if [ -e "$home/control/servercert.pem" ]; then say "keeping $home/control/servercert.pem"; return 0; fi
  d=$(mktemp -d) || die "unable to make a temporary directory"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
    -subj "/CN=$host" -addext "subjectAltName=DNS:$host" -keyout "$d/key.pem" -out "$d/cert.pem" 2>"$d/err" ||
    { cat "$d/err" >&2; rm -rf "$d"; die "openssl could not make a certificate"; }
  (install_pair "$d/cert.pem" "$d/key.pem" server) || { rm -rf "$d"; exit 111; }
  rm -rf "$d"
  say "this self-signed certificate for $host serves until a real one replaces it: $prog install FULLCHAIN KEY"
}

show() {
  for f in servercert.pem clientcert.pem; do
    [ -e "$home/control/$f" ] || { say "$f: none"; continue; }
    say "$f:"
    openssl x509 -in "$home/control/$f" -noout -subject -issuer -enddate -ext subjectAltName 2>/dev/null |
      sed 's/^/  /' || die "unable to read $home/control/$f"
  done
}

deploy_hook() {
  [ -n "${RENEWED_LINEAGE:-}" ] || { echo "$prog: fatal: RENEWED_LINEAGE is not set (certbot sets it for a deploy hook)" >&2; exit 100; }
  install_pair "$RENEWED_LINEAGE/fullchain.pem" "$RENEWED_LINEAGE/privkey.pem"
}

command -v openssl >/dev/null || die "openssl is not installed (make deps, or apt-get install openssl)"
find_home
case "${1:-}" in
install) [ $# = 3 ] || usage; install_pair "$2" "$3" ;;
--deploy-hook) [ $# = 1 ] || usage; deploy_hook ;;
selfsigned) [ $# -le 2 ] || usage; selfsigned "${2:-}" ;;
show) [ $# = 1 ] || usage; show ;;
'') [ -n "${RENEWED_LINEAGE:-}" ] || usage; deploy_hook ;;
*) usage ;;
esac
