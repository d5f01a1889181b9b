#!/bin/sh
# getpw LOCAL: the user that controls the local address LOCAL, from the
# system's user database, as qmail-getpw (installed under that name too).
#
# Prints user, uid, gid, home directory, dash and extension, each ended by
# a NUL: LOCAL's deliveries follow HOME/.qmail<dash><ext>. A user is an
# account with a uid other than 0, a name without upper-case letters and
# shorter than 32 bytes, and a home directory that exists and that it
# owns; it controls "user" and "user-anything" ("user" in any case at the
# front of LOCAL; the longest such user wins). Every other address belongs
# to the user alias, with dash "-" and LOCAL as the extension.
# Exit codes: 0 printed; 100 usage, or no user and no alias; 111 the
# user database could not be read. Nothing is printed on failure.
set -u
LC_ALL=C export LC_ALL
prog=getpw
[ $# = 1 ] && [ -n "$1" ] || { echo "$prog: usage: $prog local" >&2; exit 100; }
local=$1

# entry NAME: the passwd line of NAME in $entry; 1 when there is none
entry() {
  entry=$(getent passwd -- "$1"); r=$?
  [ $r = 0 ] && return 0
  [ $r = 2 ] && return 1
  echo "$prog: fatal: unable to read the user database" >&2; exit 111
}

# is_user NAME: a user by qmail-getpw's rules (sets uid gid home)
is_user() {
  case $1 in ''|*[A-Z]*|*/*) return 1;; esac
  [ ${#1} -lt 32 ] || return 1
  entry "$1" || return 1
  fields
  [ "$uid" != 0 ] && [ -d "$home" ] && [ "$(stat -c %u -- "$home")" = "$uid" ]
}
fields() {
  uid=$(echo "$entry" | cut -d: -f3) gid=$(echo "$entry" | cut -d: -f4) home=$(echo "$entry" | cut -d: -f6)
}
say() { printf '%s\0%s\0%s\0%s\0%s\0%s\0' "$1" "$uid" "$gid" "$home" "$2" "$3"; exit 0; }

lower=$(printf '%s' "$local" | tr 'A-Z' 'a-z')
user=$lower
while :; do
  if is_user "$user"; then
    [ "$user" = "$lower" ] && say "$user" "" ""
    say "$user" - "$(printf '%s' "$local" | cut -b$((${#user} + 2))-)"
  fi
  case $user in *-*) user=${user%-*};; *) break;; esac
done
entry alias || { echo "$prog: fatal: no user for $local and no user alias" >&2; exit 100; }
fields
say alias - "$local"
