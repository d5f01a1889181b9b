#!/bin/bash
# control/ in the source: the default control files agree with showctl and
# quail-control(5) and control/README, and mkinstance copies them. Each
# file is documented in quail-control(5), listed in control/README, known
# to showctl; a one-line file's value (its first line) is the default
# that showctl shows for a missing file, that the man page gives and that
# README gives; a rules file starts with a comment in the first column.
. "$(dirname "$0")/lib.sh"
D=$SRC/control
MAN=$SRC/man/quail-control.5
files=$(cd "$D" && ls | grep -vx README)
ok "control/ holds default files" test -n "$files"
"$BIN/mkinstance" "$T/i" >/dev/null
mkdir -p "$T/empty/control"
echo localhost >"$T/empty/control/me"
showctl() { QUAIL_HOME=$1 "$BIN/showctl" 2>&1; }
para() { printf '%s\n' "$1" | grep "^$2: "; }
# the man page's entry for NAME (its .TP paragraph), roff macros dropped
entry() {
  $PY - "$MAN" "$1" <<'EOF'
import re, sys
text = open(sys.argv[1]).read().split('\n.TP\n')
for e in text:
    head = e.split('\n', 1)[0]
    if head.startswith('.I ') and sys.argv[2] in [n.strip() for n in head[3:].split(',')]:
        body = [re.sub(r'^\.[A-Z]+ ?', '', l) for l in e.split('\n')[1:]]
        print(' '.join(body)); break
EOF
}
defaults_out=$(showctl "$T/empty")
inst_out=$(showctl "$T/i")
for f in $files; do
  cmp -s "$D/$f" "$T/i/control/$f"
  ok "$f: mkinstance copies it as it is" test $? = 0
  e=$(entry "$f")
  ok "$f: documented in quail-control(5)" test -n "$e"
  ok "$f: listed in control/README" grep -qE "^  ($f[ ,]|.*[ ,]$f[ ,])" "$D/README"
  unlike "$(para "$inst_out" "$f")" 'I have no idea|Oops' "$f: showctl knows it"
  v=$(head -n 1 "$D/$f")
  case $v in
  '#'*) # a rules file: comments first, in the first column
    ok "$f: no comment line starts with a blank (tcprules would hang)" eval "! grep -q '^[[:space:]]\\+#' '$D/$f'"
    ok "$f: tcprules compiles it" timeout 10 tcprules "$T/$f.cdb" "$T/$f.tmp" <"$D/$f";;
  *) # a one-line file: the value first, then only comments
    is "$(sed 1d "$D/$f" | grep -vc '^#')" 0 "$f: only comment lines after the value"
    like "$(para "$defaults_out" "$f")" "\\(Default\\.\\) .*$v" "$f: $v is showctl's default for a missing file"
    like "$(para "$inst_out" "$f")" "^$f: [^(].*$v" "$f: and showctl shows $v from the copy"
    like "$e" "Default: $v[ .,]" "$f: quail-control(5) says Default: $v"
    like "$(grep -E "^  $f " "$D/README")" "^  $f +$v +missing: $v\$" "$f: control/README gives $v, also when missing";;
  esac
done
# every control file quail-listen or a run script reads is in control/ or
# documented
for f in $(grep -ho -- '-[xc] [a-z0-9.]*' "$SRC"/run/*/run | cut -d' ' -f2 | sort -u); do
  ok "$f (from a run script) is a default file in control/" test -f "$D/$f"
done
done_testing
