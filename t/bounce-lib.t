#!/bin/bash
# lib/bounce.c: failure records and the bounce made of them, table-driven,
# through a small driver (t/bounce-lib.c) built against obj/libquail.a.
# The DSN part's Status: comes from a record's status field; the text
# part quotes the reason exactly as it was given.
. "$(dirname "$0")/lib.sh"
[ -f "$SRC/obj/libquail.a" ] || skip_all "obj/libquail.a is not built (make first)"
${TEST_CC:-cc} -D_GNU_SOURCE -I"$SRC/lib" -o "$T/bounce-lib" "$SRC/t/bounce-lib.c" "$SRC/obj/libquail.a" ||
  { echo "Bail out! cannot build t/bounce-lib.c"; exit 1; }

# one record a line: rcpt, status ('-': a record from before the field),
# reason ('/' a newline, which the text part keeps, as qmail-send's
# paragraph does); then the
# Status: wanted
while IFS='	' read -r rcpt st why want; do
  [ -n "$rcpt" ] || continue
  is "$(printf '%s\t%s\t%s\n' "$rcpt" "$st" "$why" | "$T/bounce-lib" status)" "$want" "status of $st: $why"
  is "$(printf '%s\t%s\t%s\n' "$rcpt" "$st" "$why" | "$T/bounce-lib" reasons | tr '\n' '/')" "<$rcpt>:/$why/" "the text part quotes: $why"
done <<'TABLE'
a@example.org	5.1.1	Sorry, no mailbox here by that name. (#5.1.1)	5.1.1
a@example.org	5.7.1	Sorry, mail for 10.4.5.6 is refused here	5.7.1
a@example.org	5.1.1	Remote host said: 550 user unknown/(mx.example [10.4.5.6] does not like the recipient.)	5.1.1
a@example.org	5.0.0	This message was deleted by the administrator. (#5.0.0)	5.0.0
a@example.org	-	Sorry, no mailbox here by that name. (#5.1.1)	5.1.1
a@example.org	-	Remote host said: 550 5.2.2 mailbox full/(mx.example [10.0.0.2] does not like the recipient.)	5.2.2
a@example.org	-	Remote host said: 550 user unknown/(mx.example [10.4.5.6] does not like the recipient.)	5.0.0
a@example.org	-	Unable to deliver 4.5.6 of something	5.0.0
TABLE

# several records, old and new mixed in one file (bounce/ID across an upgrade)
recs=$(printf 'a@x\t-\tSorry. (#5.1.1)\nb@x\t5.7.1\tNo. (#5.7.1)\nc@x\t-\tGone. (#5.4.6)\nd@x\t5.3.4\tToo big.\n')
is "$(printf '%s\n' "$recs" | "$T/bounce-lib" status | tr '\n' ' ')" "5.1.1 5.7.1 5.4.6 5.3.4 " "old and new records mixed: one status each"
is "$(printf '%s\n' "$recs" | "$T/bounce-lib" reasons | grep -c '^<')" 4 "old and new records mixed: four paragraphs"
# qmail-send's paragraph: an empty line of a reason becomes "/", a line
# that could pass for our MIME boundary is indented
is "$(printf 'a@x\t5.0.0\tone//two/--quail-1-0\n' | "$T/bounce-lib" reasons | tr '\n' '|')" "<a@x>:|one|/two| --quail-1-0|" "an empty line in a reason is /, a -- line indented"
done_testing
