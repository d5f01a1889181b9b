#!/bin/sh
# list-import DIR EZMLMDIR: take an ezmlm (or ezmlm-idx) list's members,
# texts and options into the quail list DIR (made first with list-make).
#
# Reads EZMLMDIR/subscribers/*, digest/subscribers/* and mod/subscribers/*
# (ezmlm's "T" address NUL records), the options (ezmlm-idx's flags file,
# else the F: line of config, else ezmlm's option files: archived, public,
# modpost, modsub, nosubconfirm, subpostonly, addtrailer, prefix, digest,
# msgsize), EZMLMDIR/prefix and EZMLMDIR/text/*. Adds the members with
# list-sub (members, digest, mod sets), sets DIR/config's keys, copies the
# texts quail uses, and says what it could not take over.
# Exit codes: 0 done, 100 usage, DIR is not a quail list or EZMLMDIR not an
# ezmlm list, or list-sub refused an address; 111 a file could not be read
# or written.
set -u
prog=list-import
usage() { echo "$prog: usage: $prog DIR EZMLMDIR" >&2; exit 100; }
die() { echo "$prog: fatal: $*" >&2; exit 111; }
die_bad() { echo "$prog: fatal: $*" >&2; exit 100; }
say() { echo "$prog: $*"; }

[ $# = 2 ] || usage
dir=$1 ez=$2
bin=$(dirname "$0")
[ -f "$dir/config" ] || die_bad "$dir is not a quail list (no config): run list-make first"
[ -d "$ez/subscribers" ] || [ -f "$ez/flags" ] || [ -f "$ez/config" ] ||
  die_bad "$ez is not an ezmlm list (no subscribers/, flags or config)"

# ezmlm's option letters: the flags file's first line, else config's F: line
letters=
if [ -f "$ez/flags" ]; then letters=$(head -n 1 "$ez/flags") || die "unable to read $ez/flags"
elif [ -f "$ez/config" ]; then letters=$(tr '\0' '\n' < "$ez/config" | sed -n 's/^F:-*//p' | head -n 1)
fi

# flag LETTER FILE: is the option on (lower-case letter on, upper-case off,
# else the option file exists, as ezmlm-idx decides)
flag() {
  case $letters in *"$1"*) return 0;; esac
  up=$(printf '%s' "$1" | tr a-z A-Z)
  case $letters in *"$up"*) return 1;; esac
  [ -e "$ez/$2" ]
}

# members SET SUBDIR: ezmlm's subscriber files into the quail set
members() {
  [ -d "$ez/$2" ] || return 0
  n=$(cat "$ez/$2"/* 2>/dev/null | tr '\0' '\n' | sed -n 's/^T//p' | grep -c .)
  [ "$n" -gt 0 ] || return 0
  cat "$ez/$2"/* | tr '\0' '\n' | sed -n 's/^T//p' | grep . | "$bin/list-sub" -s "$1" "$dir" add ||
    die_bad "list-sub refused the addresses of $ez/$2"
  say "$1: $n address(es) from $2"
}

# set KEY VALUE: KEY=VALUE in DIR/config, replacing an old line
set_key() {
  { grep -v "^$1=" "$dir/config"; printf '%s=%s\n' "$1" "$2"; } > "$dir/config.import" &&
    mv -f "$dir/config.import" "$dir/config" || die "unable to write $dir/config"
  say "$1=$2"
}

options() {
  if flag a archived; then set_key archive yes; else set_key archive no; fi
  if flag m modpost; then set_key moderated yes; else set_key moderated no; fi
  if flag u subpostonly; then set_key post members; else set_key post open; fi
  if flag s modsub; then set_key subscribe closed; say "subscriptions moderated in ezmlm: quail has no moderated subscription; closed (members are added with list-sub)"
  elif ! flag p public; then set_key subscribe closed
  elif flag h nosubconfirm; then set_key subscribe open
  else set_key subscribe confirm
  fi
  if flag f prefix && [ -s "$ez/prefix" ]; then set_key prefix "$(head -n 1 "$ez/prefix")"; fi
  if [ -s "$ez/msgsize" ]; then
    max=$(head -n 1 "$ez/msgsize" | cut -d: -f1 | tr -dc 0-9)
    [ -n "$max" ] && [ "$max" -gt 0 ] && set_key maxsize "$max"
  fi
  for o in b:modgetonly g:subgetonly i:threaded j:nounsubconfirm k:deny l:modcanlist \
           n:modcanedit o:modpostonly r:remote w:nowarn x:mimeremove y:confirmpost; do
    flag "${o%%:*}" "${o#*:}" && say "option ${o#*:} (-${o%%:*}) has no quail equivalent: not imported"
  done
  return 0
}

# texts: the ones quail sends, where ezmlm has them; the trailer only when
# ezmlm added it
texts() {
  mkdir -p "$dir/text" || die "unable to create $dir/text"
  for t in help info sub-confirm unsub-confirm sub-ok unsub-ok mod-request trailer; do
    [ -f "$ez/text/$t" ] || continue
    [ $t = trailer ] && ! flag t addtrailer && continue
    cp "$ez/text/$t" "$dir/text/$t.import" && mv -f "$dir/text/$t.import" "$dir/text/$t" ||
      die "unable to write $dir/text/$t"
    if grep -q '<#[^lhat]#>' "$dir/text/$t"; then
      say "text/$t imported; it has ezmlm tags other than <#l#> <#h#> <#a#> <#t#>, which quail leaves as they are"
    else say "text/$t imported"; fi
  done
  return 0
}

members members subscribers
members digest digest/subscribers
members mod mod/subscribers
for s in allow deny; do
  [ -n "$(cat "$ez/$s/subscribers"/* 2>/dev/null)" ] && say "$s/: ezmlm's $s list has no quail equivalent: not imported"
done
options
texts
say "done"
