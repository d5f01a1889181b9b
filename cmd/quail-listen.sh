#!/bin/sh
# quail-listen [-H] [-r] [-u USER] [-b BACKLOG] -x RULES -c FILE PORT PROGRAM [ARG...]:
# what every run script of a network service does (run/*/run): read the
# control files, then exec ucspi-tcp's tcpserver with PROGRAM.
#
# In HOME/control (HOME is $QUAIL_HOME, else the directory above this
# program's): RULES (tcprules rules, compiled to RULES.cdb when it is
# missing or older), FILE (the most sessions at once, default 100),
# listenip (default 127.0.0.1 in an instance, whose HOME/bin is a link,
# else 0: every address), me (TCPLOCALHOST, default localhost); with -r,
# rbls (rblsmtpd -r ZONE for each, in front of PROGRAM). An ARG of the
# form {NAME:DEFAULT} becomes the words of the first line of control/NAME
# that does not start with '#', or DEFAULT's words when the file is missing.
# A missing file gives its default; a file that exists but cannot be read,
# or holds no number where one is wanted, is fatal: exit 111, the file named.
# RULES has no default: a missing rules file is fatal too.
# -H: never look up client names (an instance always passes -H to
# tcpserver: a test must ask no name server). -u USER: run as USER when
# started as root on an installed system. -b: the listen backlog (1024):
# a burst above the session limit waits there and is served in turn.
# Exit codes: 100 usage, 111 a control file or tcprules or tcpserver failed.
set -u -f
prog=quail-listen
CONCURRENCY_DEFAULT=100
BACKLOG_DEFAULT=1024
die() { echo "$prog: fatal: $*" >&2; exit 111; }
usage() {
  echo "$prog: usage: $prog [-H] [-r] [-u USER] [-b BACKLOG] -x RULES -c FILE PORT PROGRAM [ARG...]" >&2
  exit 100
}

# exists NAME: control/NAME is there, readable or not (a dangling link too)
exists() { [ -e "$c/$1" ] || [ -L "$c/$1" ]; }
# first NAME: its first line (that does not start with '#' with a second
# argument); dies naming the file when it cannot be read
first() {
  if [ $# -gt 1 ]; then sed -n '/^#/!{p;q;}' -- "$c/$1" 2>/dev/null || die "unable to read control/$1"
  else sed -n '1{p;q;}' -- "$c/$1" 2>/dev/null || die "unable to read control/$1"; fi
}
# line NAME DEFAULT: the first line, trailing blanks removed, or DEFAULT
line() {
  exists "$1" || { printf '%s\n' "$2"; return; }
  v=$(first "$1") || exit 111
  printf '%s\n' "$v" | sed 's/[[:space:]]*$//'
}
# number NAME DEFAULT: the digits at the start of the first line (1 or more)
number() {
  exists "$1" || { echo "$2"; return; }
  v=$(first "$1") || exit 111
  v=$(printf '%s\n' "$v" | sed -n 's/^[[:space:]]*\([0-9][0-9]*\).*/\1/p')
  case $v in ''|*[!0]*) ;; *) v=;; esac
  [ -n "$v" ] || die "control/$1 does not start with a number of 1 or more"
  echo "$v"
}
# words SPEC: for an argument {NAME:DEFAULT}
words() {
  spec=${1#\{}; spec=${spec%\}}
  name=${spec%%:*} def=
  [ "$name" = "$spec" ] || def=${spec#*:}
  exists "$name" || { printf '%s\n' "$def"; return; }
  first "$name" skip-comments
}
# rbls: rblsmtpd -r ZONE for each zone in control/rbls, or nothing
rbls() {
  exists rbls || return 0
  z=$(sed -e 's/^[[:space:]]*//' -e '/^#/d' -- "$c/rbls" 2>/dev/null) || die "unable to read control/rbls"
  [ -n "$z" ] || return 0
  printf 'rblsmtpd'; for zone in $z; do printf ' -r %s' "$zone"; done; echo
}
# compile NAME: control/NAME.cdb from control/NAME when missing or older
compile() {
  exists "$1" || die "control/$1 is missing: the rules of who may connect (see control/ in quail's source)"
  [ -f "$c/$1.cdb" ] && [ ! "$c/$1" -nt "$c/$1.cdb" ] && return 0
  tcprules "$c/$1.cdb" "$c/$1.tmp" < "$c/$1" || die "unable to compile control/$1 to control/$1.cdb"
}

lookup= rbl= user= backlog=$BACKLOG_DEFAULT rules= conc=
while getopts Hru:b:x:c: o; do
  case $o in
  H) lookup=-H;; r) rbl=1;; u) user=$OPTARG;; b) backlog=$OPTARG;;
  x) rules=$OPTARG;; c) conc=$OPTARG;; *) usage;;
  esac
done
shift $((OPTIND - 1))
[ $# -ge 2 ] && [ -n "$rules" ] && [ -n "$conc" ] || usage
case $backlog in ''|*[!0-9]*) usage;; esac
port=$1; shift

home=${QUAIL_HOME:-$(cd "$(dirname "$0")/.." && pwd)} || die "unable to find HOME"
cd "$home" || die "unable to enter $home"
c=$home/control
instance=0; [ -L "$home/bin" ] && instance=1
[ $instance = 1 ] && lookup=-H
compile "$rules"
n=$(number "$conc" $CONCURRENCY_DEFAULT) || exit 111
me=$(line me localhost) || exit 111
addr=0; [ $instance = 1 ] && addr=127.0.0.1
addr=$(line listenip "$addr") || exit 111
addr=$(printf '%s' "$addr" | tr -d ' ')
ids=
if [ -n "$user" ] && [ $instance = 0 ] && [ "$(id -u)" = 0 ]; then
  uid=$(id -u "$user") && gid=$(id -g "$user") || die "no user $user"
  ids="-u $uid -g $gid"
fi
pre=
if [ -n "$rbl" ]; then pre=$(rbls) || exit 111; fi

# PROGRAM and its arguments, each {NAME:DEFAULT} replaced by its words
i=$#
while [ "$i" -gt 0 ]; do
  a=$1; shift; i=$((i - 1))
  case $a in
  \{*\}) w=$(words "$a") || exit 111; set -- "$@" $w;;
  *) set -- "$@" "$a";;
  esac
done
exec tcpserver -v -R $lookup -l "$me" -x "$c/$rules.cdb" -c "$n" -b "$backlog" $ids \
  "$addr" "$port" $pre "$@"
