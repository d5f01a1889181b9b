#!/bin/sh
# dkim-keygen: make a DKIM key for dkim-sign and print the DNS record.
#
#   dkim-keygen [-t rsa|ed25519] [-b bits] DOMAIN SELECTOR
#
# Writes HOME/control/dkim/DOMAIN/SELECTOR.key (a PEM private key, mode
# 0600, written under a temporary name and renamed) with openssl, and
# prints the TXT record to publish at SELECTOR._domainkey.DOMAIN.
# HOME is QUAIL_HOME, else /var/quail. rsa keys are 2048 bits unless -b.
# Exit codes: 0 done, 100 usage or a key that already exists, 111 openssl
# or the file system failed.
usage() { echo "dkim-keygen: usage: dkim-keygen [-t rsa|ed25519] [-b bits] DOMAIN SELECTOR" >&2; exit 100; }
fatal() { echo "dkim-keygen: fatal: $*" >&2; exit "${code:-111}"; }
type=rsa bits=2048
while getopts t:b: o; do
  case $o in
  t) type=$OPTARG ;;
  b) bits=$OPTARG ;;
  *) usage ;;
  esac
done
shift $((OPTIND - 1))
[ $# = 2 ] || usage
domain=$(printf '%s' "$1" | tr A-Z a-z) selector=$2
case $type in rsa|ed25519) ;; *) usage ;; esac
case $bits in ''|*[!0-9]*) usage ;; esac
[ "$bits" -ge 1024 ] && [ "$bits" -le 8192 ] || usage
for w in "$domain" "$selector"; do
  case $w in ''|.*|*/*|*[!A-Za-z0-9._-]*) usage ;; esac
done
home=${QUAIL_HOME:-/var/quail}
dir=$home/control/dkim/$domain
key=$dir/$selector.key
[ -e "$key" ] && code=100 fatal "$key exists: remove it first to replace the key"
mkdir -p "$dir" || fatal "unable to make $dir"
umask 027
if [ "$type" = rsa ]; then
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:"$bits" -out "$key.tmp" 2>/dev/null
else
  openssl genpkey -algorithm ED25519 -out "$key.tmp" 2>/dev/null
fi || { rm -f "$key.tmp"; fatal "openssl genpkey failed"; }
sync "$key.tmp" 2>/dev/null
mv "$key.tmp" "$key" || fatal "unable to rename $key.tmp"
pub=$(openssl pkey -in "$key" -pubout -outform DER 2>/dev/null | base64 -w0) || fatal "unable to read $key"
# ed25519's p= is the bare 32-byte key (RFC 8463): the end of the DER form
[ "$type" = ed25519 ] && pub=$(printf '%s' "$pub" | base64 -d | tail -c 32 | base64 -w0)
[ -n "$pub" ] || fatal "unable to read the public key of $key"
printf '%s._domainkey.%s. IN TXT "v=DKIM1; k=%s; p=%s"\n' "$selector" "$domain" "$type" "$pub"
