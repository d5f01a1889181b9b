#!/bin/sh
# quail-import [-n] QMAILDIR: bring a qmail installation (/var/qmail) over
# to quail in one command; -n only says what it would do.
#
# Reads QMAILDIR/control/* (and QMAILDIR/control/tcp.smtp or /etc/tcp.smtp),
# QMAILDIR/rc (logging through splogger there makes control/logto syslog),
# QMAILDIR/users/assign, QMAILDIR/alias/.qmail-* and qmail's queue
# (QMAILDIR/queue: mess/, todo/, info/, local/, remote/, bounce/ as qmail's
# INTERNALS lays them out). Writes HOME/control/ (a replaced file is kept as
# NAME.before-import), HOME/users/assign (compiled by newu), HOME/alias/,
# and queues every message qmail still owes through queue-writer (or
# QMAILQUEUE) with its original sender and the recipients not yet done;
# qmail's pending bounces go out as bounce messages. The imported message
# numbers are kept in HOME/import.done, so a second run queues nothing
# twice. qmail's files are only read. Stop qmail before importing.
# HOME is QUAIL_HOME, else the directory above this program's when it
# holds control/, else /var/quail.
# Exit codes: 0 done, 100 usage or QMAILDIR is not a qmail installation,
# 111 a file could not be read or written, or a message could not be queued.
set -u
prog=quail-import
usage() { echo "$prog: usage: $prog [-n] QMAILDIR" >&2; exit 100; }
die() { echo "$prog: fatal: $*" >&2; exit 111; }
say() { echo "$prog: $*"; }

# find_home: quail's home
find_home() {
  if [ -n "${QUAIL_HOME:-}" ]; then home=$QUAIL_HOME; return; fi
  up=$(cd "$(dirname "$0")/.." 2>/dev/null && pwd) || up=
  if [ -n "$up" ] && [ -d "$up/control" ]; then home=$up; else home=/var/quail; fi
}

# would TEXT: in a dry run say TEXT and return 1; otherwise return 0
would() { [ -z "$dry" ] && return 0; say "would $*"; return 1; }

# place SRC DEST LABEL: copy SRC over DEST atomically, keeping a different
# DEST as DEST.before-import
place() {
  if [ -f "$2" ] && cmp -s "$1" "$2"; then say "$3: unchanged"; return 0; fi
  would "import $3" || return 0
  cp -p "$1" "$2.import.$$" || die "unable to write $2.import.$$"
  if [ -f "$2" ] && [ ! -e "$2.before-import" ]; then
    cp -p "$2" "$2.before-import" || die "unable to keep $2 as $2.before-import"
  fi
  mv -f "$2.import.$$" "$2" || die "unable to replace $2"
  say "imported $3"
}

# known NAMES: the control files showctl explains (it says "I have no idea"
# of the others), asked of showctl on a copy of qmail's control/
known_files() {
  k=$(mktemp -d) || die "unable to make a temporary directory"
  mkdir "$k/control" "$k/users" && cp -p "$q"/control/* "$k/control/" 2>/dev/null
  QUAIL_HOME=$k "$home/bin/showctl" 2>/dev/null | sed -n 's/^\([^ ]*\): I have no idea what this file does\..*/\1/p' > "$k.unknown"
  rm -rf "$k"
}

import_control() {
  known_files
  for f in "$q"/control/*; do
    [ -f "$f" ] || continue
    n=${f##*/}
    case $n in tcp.*) continue;; esac
    if grep -qxF -- "$n" "$k.unknown"; then
      say "control/$n: not known to quail, left out"
      continue
    fi
    [ -r "$f" ] || die "unable to read $f"
    place "$f" "$home/control/$n" "control/$n"
  done
  rm -f "$k.unknown"
  for r in "$q/control/tcp.smtp" /etc/tcp.smtp; do
    [ -f "$r" ] || continue
    place "$r" "$home/control/tcp.smtp" "the tcprules rules $r as control/tcp.smtp"
    break
  done
}

# import_logto: a qmail whose boot script QMAILDIR/rc logs through splogger
# ("qmail-start ./Maildir/ splogger qmail") logged to syslog: quail's
# services do so too (control/logto syslog, quail-log(8))
import_logto() {
  [ -f "$q/rc" ] || return 0
  sed 's/#.*//' "$q/rc" | grep -qw splogger || return 0
  printf 'syslog\n' > "$tmp/logto" || die "unable to write $tmp/logto"
  place "$tmp/logto" "$home/control/logto" "control/logto: syslog, as $q/rc logs through splogger"
  [ -n "$dry" ] || say "control/logto takes effect when the log services restart: sv restart $home/service/*/log"
}

import_users() {
  [ -f "$q/users/assign" ] || { say "users/assign: none in $q"; return 0; }
  place "$q/users/assign" "$home/users/assign" users/assign
  [ -n "$dry" ] && return 0
  QUAIL_HOME=$home "$home/bin/newu" || die "newu failed on the imported users/assign"
}

import_alias() {
  for f in "$q"/alias/.qmail*; do
    [ -f "$f" ] || continue
    place "$f" "$home/alias/${f##*/}" "alias/${f##*/}"
  done
}

# --- the queue ---------------------------------------------------------

# split_file DIR N: qmail's file for message N in DIR, split or not
split_file() {
  for p in "$q/queue/$1/$2" "$q"/queue/"$1"/*/"$2"; do
    [ -f "$p" ] && { echo "$p"; return 0; }
  done
  return 1
}

# fields FILE: qmail's NUL-separated fields, one a line
fields() { tr '\0' '\n' < "$1"; }

# unvirtual ADDRESS: qmail-send wrote a virtual domain's recipient into
# local/ as PREFIX-LOCAL@DOMAIN; give back LOCAL@DOMAIN, which quail's own
# virtualdomains (imported above) rewrite again
unvirtual() {
  a=$1 d=${1##*@}
  [ -f "$q/control/virtualdomains" ] || { echo "$a"; return; }
  while IFS=: read -r v p; do
    [ -n "$p" ] || continue
    case $v in
      "$d"|"$a") ;;
      .*) case $d in *"$v") ;; *) continue;; esac;;
      *) continue;;
    esac
    case $a in "$p"-*) echo "${a#"$p"-}"; return;; esac
  done < "$q/control/virtualdomains"
  echo "$a"
}

# envelope N: the sender ("F" line) and the owed recipients ("T" lines) of
# message N, from todo/ when qmail never preprocessed it, else from info/,
# local/ and remote/ ("D" marks a recipient done)
envelope() {
  if t=$(split_file todo "$1"); then
    fields "$t" | grep -E '^[FT]'
    return
  fi
  i=$(split_file info "$1") || return 1
  fields "$i" | grep '^F'
  if l=$(split_file local "$1"); then
    fields "$l" | sed -n 's/^T//p' | while IFS= read -r a; do echo "T$(unvirtual "$a")"; done
  fi
  if r=$(split_file remote "$1"); then fields "$r" | grep '^T'; fi
}

# enqueue FILE ENVELOPE: one message into quail's queue
enqueue() {
  printf '%s\n' "$2" | tr '\n' '\0' > "$tmp/env" && printf '\0' >> "$tmp/env" || die "unable to write $tmp/env"
  "$qw" < "$1" 1< "$tmp/env" 2>"$tmp/qw.err"
}

# bounce N MESSAGEFILE SENDER: qmail's pending bounce/N as a bounce message
bounce() {
  b=$(split_file bounce "$1") || return 0
  if [ -z "$3" ]; then say "message $1: a bounce of a bounce, dropped: $(tr '\n' ' ' < "$b")"; return 0; fi
  would "queue message $1's bounce to $3" || return 0
  me=$(head -n 1 "$home/control/me" 2>/dev/null) || me=
  [ -n "$me" ] || me=localhost
  {
    printf 'From: MAILER-DAEMON@%s\nTo: %s\nSubject: failure notice\n\n' "$me" "$3"
    printf 'Hi. This is the quail-import program at %s.\n' "$me"
    printf "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
    printf "This is a permanent error; I've given up. Sorry it didn't work out.\n\n"
    cat "$b"
    printf '\n--- Below this line is a copy of the message.\n\n'
    cat "$2"
  } > "$tmp/bounce" || die "unable to write $tmp/bounce"
  enqueue "$tmp/bounce" "F
T$3" || die "unable to queue message $1's bounce: $(cat "$tmp/qw.err")"
  say "message $1: its bounce queued to $3"
}

import_queue() {
  [ -d "$q/queue/mess" ] || { say "no queue in $q"; return 0; }
  qw=${QMAILQUEUE:-$home/bin/queue-writer}
  for m in $(find "$q/queue/mess" -type f | sort); do
    n=${m##*/}
    if grep -qx "$n" "$home/import.done" 2>/dev/null; then say "message $n: imported before"; continue; fi
    if ! e=$(envelope "$n"); then
      say "message $n: never fully queued by qmail (no todo/ or info/ file), left out"
      continue
    fi
    s=$(printf '%s\n' "$e" | sed -n 's/^F//p' | head -n 1)
    rc=$(printf '%s\n' "$e" | grep -c '^T')
    if [ "$rc" -gt 0 ]; then
      if would "queue message $n from <$s> to $rc recipient(s)"; then
        enqueue "$m" "$(printf '%s\n' "$e" | grep -E '^[FT]')" ||
          die "unable to queue message $n: $(cat "$tmp/qw.err")"
        say "message $n: queued from <$s> to $rc recipient(s)"
      fi
    else
      say "message $n: every recipient done"
    fi
    bounce "$n" "$m" "$s"
    [ -z "$dry" ] && { echo "$n" >> "$home/import.done" || die "unable to write $home/import.done"; }
  done
  return 0
}

dry=
[ "${1:-}" = -n ] && { dry=1; shift; }
[ $# = 1 ] || usage
case $1 in -*) usage;; esac
q=$1
[ -d "$q/control" ] || { echo "$prog: fatal: $q is not a qmail installation (no control/)" >&2; exit 100; }
find_home
[ -d "$home/control" ] || die "unable to find $home/control"
tmp=$(mktemp -d) || die "unable to make a temporary directory"
trap 'rm -rf "$tmp"' EXIT
[ -n "$dry" ] && say "dry run: nothing is changed"
import_control
import_logto
import_users
import_alias
import_queue
say "done"
