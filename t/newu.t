#!/bin/bash
# newu: users/assign compiled into users/cdb; malformed input leaves the
# old table in place.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cdb-lib.sh"
inst_new
# users/cdb alone here (t/rcptcheck.t covers newu refreshing users/rcpt.cdb)
rm -f "$INST/users/rcpt.cdb"
U=$INST/users

# newu_fails NAME ASSIGN-PRINTF-FORMAT STDERR-REGEX: exit 100, the old cdb untouched
newu_fails() {
  cp "$U/cdb" "$T/cdb.before"
  printf "$2" > "$U/assign"
  newu 2>"$T/err"
  is "$?" 100 "$1: exit 100"
  like "$(cat "$T/err")" "$3" "$1: says why"
  ok "$1: the old users/cdb is left in place" cmp -s "$U/cdb" "$T/cdb.before"
  ok "$1: no users/cdb.tmp left behind" test ! -e "$U/cdb.tmp"
}

# --- a good assign
cat > "$U/assign" <<EOF
=joe:joe:1001:1002:/home/joe:-::
=Mixed.Case:mc:1003:1003:/home/mc:::
+list-:lists:1004:1004:/var/lists:-:pre-:
+:alias:1005:1005:/var/alias:-::
.
=after:ignored:1:1:/x:::
EOF
newu 2>"$T/err"
is "$?" 0 "good assign: exit 0"
is "$(cat "$T/err")" "" "good assign: nothing on stderr"
is "$(cdbget "$U/cdb" =joe)" "joe|1001|1002|/home/joe|-||" "exact entry: user, uid, gid, home, dash, ext"
is "$(cdbget "$U/cdb" =mixed.case)" "mc|1003|1003|/home/mc|||" "exact entry: the key is lower-cased"
nok "exact entry: no upper-case key" cdbget "$U/cdb" =Mixed.Case
is "$(cdbget "$U/cdb" +list-)" "lists|1004|1004|/var/lists|-|pre-|" "prefix entry"
is "$(cdbget "$U/cdb" +)" "alias|1005|1005|/var/alias|-||" "the catch-all prefix"
nok "lines after '.' are ignored" cdbget "$U/cdb" =after
nok "no stray key" cdbget "$U/cdb" =nobody
ok "no users/cdb.tmp left behind" test ! -e "$U/cdb.tmp"

# a CRLF-free file without a final newline after "." is fine
printf '=a:a:1:1:/a:::\n.' > "$U/assign"
newu; is "$?" 0 "'.' without a final newline: exit 0"
is "$(cdbget "$U/cdb" =a)" "a|1|1|/a|||" "'.' without a final newline: entry stored"
nok "the old table is replaced, not merged" cdbget "$U/cdb" =joe

# --- malformed input: the line number is named, the old cdb stays
printf '=keep:k:1:1:/k:::\n.\n' > "$U/assign"; newu
newu_fails "a line of junk" '=ok:o:1:1:/o:::\nthis is junk\n.\n' \
  '^newu: fatal: users/assign line 2: malformed: this is junk$'
newu_fails "uid not a number" '=ok:o:1:1:/o:::\n=x:x:1:1:/x:::\n=bad:b:uid:1:/b:::\n.\n' 'users/assign line 3: malformed: =bad:b:uid:1:/b:::'
newu_fails "too few fields" '=short:s:1:1:/s::\n.\n' 'users/assign line 1: malformed'
newu_fails "too many fields" '=long:s:1:1:/s::::\n.\n' 'users/assign line 1: malformed'
newu_fails "relative home" '=rel:s:1:1:home:::\n.\n' 'users/assign line 1: malformed'
newu_fails "empty user" '=nou::1:1:/h:::\n.\n' 'users/assign line 1: malformed'
newu_fails "a blank line" '=ok:o:1:1:/o:::\n\n.\n' 'users/assign line 2: malformed'
newu_fails "CRLF line ends" '=ok:o:1:1:/o:::\r\n.\r\n' 'users/assign line 1: malformed'
newu_fails "a NUL inside a line" '=ok:o:1:1:/o:::\0junk\n.\n' 'users/assign line 1: malformed'
newu_fails "no '.' at the end" '=ok:o:1:1:/o:::\n' 'users/assign does not end with a line "\."'
newu_fails "an empty file" '' 'does not end with a line'
long=$(head -c 2000000 /dev/zero | tr '\0' a)
newu_fails "a 2 MB line" "=ok:o:1:1:/o:::\n$long\n.\n" 'users/assign line 2: malformed: aaaa'
is "$(cdbget "$U/cdb" =keep)" "k|1|1|/k|||" "after all that, the old entry still answers"

# --- missing and unreadable files, usage
rm -f "$U/assign"
newu 2>"$T/err"
is "$?" 111 "missing users/assign: exit 111"
like "$(cat "$T/err")" "newu: fatal: users/assign does not exist" "missing users/assign: named"
newu extra 2>"$T/err"
is "$?" 100 "an argument: exit 100"
like "$(cat "$T/err")" "usage: newu" "an argument: usage"
QUAIL_HOME=$T/nonexistent newu 2>"$T/err"
is "$?" 111 "missing home: exit 111"
like "$(cat "$T/err")" "unable to enter the quail home directory" "missing home: named"
if [ "$(id -u)" = 0 ]; then
  chmod 711 "$T"
  printf '=a:a:1:1:/a:::\n.\n' > "$U/assign"; chmod 000 "$U/assign"
  as_nobody "$BIN/newu" 2>"$T/err"
  is "$?" 111 "unreadable users/assign: exit 111"
  like "$(cat "$T/err")" "newu: fatal: unable to read users/assign: Permission denied" "unreadable users/assign: named"
  chmod 644 "$U/assign"
  as_nobody "$BIN/newu" 2>"$T/err"
  is "$?" 111 "users/ not writable: exit 111"
  like "$(cat "$T/err")" "newu: fatal: unable to write users/cdb: Permission denied" "users/ not writable: named"
  is "$(cdbget "$U/cdb" =keep)" "k|1|1|/k|||" "users/ not writable: old table intact"
  chmod 700 "$T"
else
  for i in 1 2 3 4 5; do skip "permission tests need root to switch to uid 65534"; done
fi
done_testing
