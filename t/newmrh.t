#!/bin/bash
# newmrh (qmail-newmrh): control/morercpthosts compiled into
# morercpthosts.cdb, which smtpd then reads.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/smtpd-lib.sh"
inst_new
C=$INST/control
echo 0 > "$C/rcptcheck"
rcpthosts localhost
printf 'More.Example\n# a comment\n\n  .sub.example  \nthird.example\n' > "$C/morercpthosts"
newmrh
is "$?" 0 "newmrh: exit 0"
is "$(cdb -l "$C/morercpthosts.cdb" | grep . | sort | tr '\n' ' ')" "+12:.sub.example +12:more.example +13:third.example " \
  "the domains as keys, lower-cased and trimmed; comments and blank lines dropped"
is "$(ls "$C" | grep -c tmp)" 0 "no temporary file left"

smtpd_start
rcpt() {
  raw "$HELLO" 1 "MAIL FROM:<a@example.org>\\r\\nRCPT TO:$1\\r\\nQUIT\\r\\n" 3 |
    sed -n '/^250 2.1.0/{n;p;}' | cut -c1-9
}
is "$(rcpt '<x@more.example>')" "250 2.1.5" "smtpd accepts a domain of morercpthosts"
is "$(rcpt '<x@a.sub.example>')" "250 2.1.5" "and the subdomains of a .domain line"
is "$(rcpt '<x@other.example>')" "553 5.7.1" "and refuses the others"
printf 'other.example\n' >> "$C/morercpthosts"
is "$(rcpt '<x@other.example>')" "553 5.7.1" "a line added but not compiled: still refused"
newmrh
is "$(rcpt '<x@other.example>')" "250 2.1.5" "after newmrh: accepted"

rm "$C/morercpthosts"
newmrh
is "$?" 0 "no morercpthosts: exit 0"
is "$(cdb -l "$C/morercpthosts.cdb" | grep -c .)" 0 "an empty cdb"
mkdir "$C/morercpthosts"
newmrh 2>/dev/null; is "$?" 111 "an unreadable morercpthosts: 111"
rmdir "$C/morercpthosts"
newmrh x 2>/dev/null; is "$?" 100 "an argument: usage, 100"
done_testing
