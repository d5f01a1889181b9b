#!/bin/sh
# pw2u [-/ohHuUC] [-cCHAR]: build users/assign from a passwd file on
# stdin, as qmail-pw2u (installed under that name too).
#
# Reads V7 passwd lines (user:password:uid:gid:gecos:home:shell) on stdin
# and HOME/users/{include,exclude,mailnames,subusers,append}; writes a
# users/assign table (quail-users(5)) on stdout: for each user that
# qmail-getpw's rules accept (uid not 0, no upper-case letters, a home it
# owns), =user and +user- entries; for the user alias the catch-all +.
# Put the output in users/assign and run newu.
# Exit codes: 0 written; 100 usage or a malformed line; 111 a file could
# not be read, or -h and a home directory missing.
set -u
LC_ALL=C export LC_ALL
prog=pw2u
usage() { echo "$prog: usage: $prog [-/ohHuUC] [-cCHAR] < passwd > assign" >&2; exit 100; }
die() { echo "$prog: fatal: $*" >&2; exit "$code"; }
home_opt=o upper=0 brk=- ext=1 dash=-
while getopts '/ohHuUCc:' o; do
  case $o in
    /) dash=-/;; o|h|H) home_opt=$o;; u) upper=1;; U) upper=0;; C) ext=0;;
    c) [ ${#OPTARG} = 1 ] || usage; brk=$OPTARG;;
    *) usage;;
  esac
done
shift $((OPTIND - 1))
[ $# = 0 ] || usage
users=${QUAIL_HOME:-/var/quail}/users

# listed FILE NAME: NAME is a line of users/FILE
listed() { grep -Fqx -- "$2" "$users/$1" 2>/dev/null; }
# mailnames USER: the names from users/mailnames (else USER), one a line
mailnames() {
  m=$(grep -- "^$1:" "$users/mailnames" 2>/dev/null | head -1)
  if [ -n "$m" ]; then printf '%s\n' "${m#*:}" | tr ':' '\n' | grep -v '^$'; else printf '%s\n' "$1"; fi
}
# entries NAME USER UID GID HOME PRE: the exact and the extension entries
entries() {
  printf '=%s:%s:%s:%s:%s:%s:%s:\n' "$1" "$2" "$3" "$4" "$5" "${6:+$dash}" "$6"
  [ $ext = 1 ] && printf '+%s%s:%s:%s:%s:%s:%s:%s%s:\n' "$1" "$brk" "$2" "$3" "$4" "$5" "$dash" "$6" "${6:+-}"
  return 0
}
# usable USER UID HOME: qmail-getpw's rules, as changed by the options
usable() {
  [ "$2" != 0 ] || return 1
  [ $upper = 1 ] || case $1 in *[A-Z]*) return 1;; esac
  [ -f "$users/include" ] && ! listed include "$1" && return 1
  listed exclude "$1" && return 1
  [ $home_opt = H ] && return 0
  if [ ! -d "$3" ]; then
    [ $home_opt = h ] && { code=111; die "home directory of $1 missing: $3"; }
    return 1
  fi
  [ "$(stat -c %u -- "$3")" = "$2" ]
}

for f in include exclude mailnames subusers append; do
  [ ! -e "$users/$f" ] || [ -r "$users/$f" ] || { code=111; die "unable to read $users/$f"; }
done
pw=$(cat) || { code=111; die "unable to read stdin"; }
# the users, each with its mail names, then the catch-all of alias
printf '%s\n' "$pw" | while IFS=: read -r user _ uid gid _ home _; do
  [ -n "$user" ] || continue
  case $uid$gid in ''|*[!0-9]*) code=100; die "malformed passwd line for $user";; esac
  usable "$user" "$uid" "$home" || continue
  if [ "$user" = alias ]; then printf '+:alias:%s:%s:%s:-::\n' "$uid" "$gid" "$home"; continue; fi
  mailnames "$user" | while read -r name; do entries "$name" "$user" "$uid" "$gid" "$home" ""; done
done || exit
# subusers: sub:user:pre: for users above
[ -f "$users/subusers" ] && while IFS=: read -r sub user pre _; do
  [ -n "$sub" ] && [ -n "$user" ] || continue
  line=$(printf '%s\n' "$pw" | grep -- "^$user:" | head -1)
  [ -n "$line" ] || continue
  uid=$(echo "$line" | cut -d: -f3) gid=$(echo "$line" | cut -d: -f4) home=$(echo "$line" | cut -d: -f6)
  usable "$user" "$uid" "$home" || continue
  entries "$sub" "$user" "$uid" "$gid" "$home" "$pre"
done < "$users/subusers"
[ -f "$users/append" ] && grep -v '^\.$' "$users/append"
echo .
