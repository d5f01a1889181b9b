#!/bin/sh
# mailsubj SUBJECT RECIPIENT...: send standard input as a message with that
# subject to the recipients, as qmail's mailsubj.
#
# Writes Subject: and To: fields, an empty line and standard input to
# inject (beside this program, else HOME/bin/inject with HOME $QUAIL_HOME
# or /var/quail, else sendmail from PATH), with the recipients as
# arguments after --, so the shell never reads an address.
# Exit codes: 0 queued, 100 usage or a newline in the subject or a
# recipient, else inject's (111 temporary).
set -u
prog=mailsubj
usage() { echo "$prog: usage: $prog SUBJECT RECIPIENT..." >&2; exit 100; }
die_newline() { echo "$prog: fatal: newline in the $1" >&2; exit 100; }
nl='
'
cr=$(printf '\r')

# find_inject: the program that queues, as a command line in $inject
find_inject() {
  here=$(dirname "$0")
  if [ -x "$here/inject" ]; then inject=$here/inject
  elif [ -x "${QUAIL_HOME:-/var/quail}/bin/inject" ]; then inject=${QUAIL_HOME:-/var/quail}/bin/inject
  else inject="sendmail -oi"; fi
}

[ $# -ge 2 ] || usage
subject=$1
shift
case "$subject" in *"$nl"*|*"$cr"*) die_newline subject;; esac
to=
for r in "$@"; do
  case "$r" in *"$nl"*|*"$cr"*) die_newline recipient;; ''|-*) usage;; esac
  to=${to:+$to, }$r
done
find_inject
{
  printf 'Subject: %s\n' "$subject"
  printf 'To: %s\n' "$to"
  printf '\n'
  cat
} | $inject -- "$@"
