#!/bin/bash
# lib/esc.c: enhanced status codes, table-driven, through a small driver
# (t/esc-lib.c) built against obj/libquail.a.
. "$(dirname "$0")/lib.sh"
[ -f "$SRC/obj/libquail.a" ] || skip_all "obj/libquail.a is not built (make first)"
${TEST_CC:-cc} -D_GNU_SOURCE -I"$SRC/lib" -o "$T/esc-lib" "$SRC/t/esc-lib.c" "$SRC/obj/libquail.a" ||
  { echo "Bail out! cannot build t/esc-lib.c"; exit 1; }

# table VERB: rows "input<TAB>wanted" on stdin, each through esc-lib VERB
table() {
  while IFS='	' read -r in want; do
    [ -n "$in" ] || continue
    is "$(printf '%s\n' "$in" | "$T/esc-lib" "$1")" "$want" "$1 $in"
  done
}

# every named code makes a valid code in each class
for d in $(sed -n 's/^#define ESC_[A-Z_0-9]* *"\([0-9.]*\)".*/\1/p' "$SRC/lib/esc.h"); do
  is "$(printf '2.%s\n4.%s\n5.%s\n' "$d" "$d" "$d" | "$T/esc-lib" valid | tr -d '\n')" 111 "named detail $d is valid in every class"
done
is "$(sed -n 's/^#define \(ESC_[A-Z_0-9]*\) *"[0-9.]*".*/\1/p' "$SRC/lib/esc.h" | sort | uniq -d)" "" "no name is defined twice"

# valid: what RFC 3463 allows
table valid <<'TABLE'
5.1.1	1
4.3.0	1
2.0.0	1
5.1.10	1
5.123.123	1
3.1.1	0
5.1	0
5.1.	0
5..1	0
5.1234.1	0
5.1.1234	0
5.1.1.1	0
55.1.1	0
x.1.1	0
TABLE

# report: the status a report text carries, at its two places
table report <<'TABLE'
Sorry, no mailbox here by that name. (#5.1.1)	5.1.1
Unable to open ./Maildir/: Permission denied. (#4.3.0)	4.3.0
Sorry, null.test accepts no mail: it publishes a null MX (RFC 7505). (#5.1.10)	5.1.10
Remote host said: 550 5.1.1 no such user here/(mx.far.test [10.0.0.2] does not like the recipient.)	5.1.1
Remote host said: 550-5.7.1 first/550 5.7.1 last/(mx [10.0.0.2] refused the sender.)	5.7.1
Remote host said: 550 user unknown/(mx [10.4.5.6] does not like the recipient.)	none
Remote host said: 554 5.3.4/(mx [10.0.0.2] failed on the DATA command.)	5.3.4
Remote host said: 451 4.3.0 try later/(mx [10.0.0.2] ...)/I'm not going to try again; this message has been in the queue too long. (#4.4.7)	4.3.0
Sorry, I wasn't able to establish an SMTP connection. (#4.4.1)/I'm not going to try again; this message has been in the queue too long. (#4.4.7)	4.4.1
Sorry, I do not want this. (#5.7.1)/more output	5.7.1
no code at all, only version 5.1.2 of something	none
a code without its hash (5.1.1)	none
(#5.1.1	none
(#9.1.1)	none
(#5.1.1) then (#4.2.2)	5.1.1
said: 550 5.1.1 unquoted	none
Remote host said: 250 2.0.0 ok/(mx [10.0.0.2] ...)	none
done. (#2.0.0)	none
TABLE

# exit: qmail-command(8)'s exit codes and their status
table exit <<'TABLE'
0	2.0.0
99	2.0.0
100	5.3.0
64	5.3.0
65	5.3.0
70	5.3.0
76	5.3.0
77	5.3.0
78	5.3.0
112	5.3.0
111	4.3.0
1	4.3.0
67	4.3.0
69	4.3.0
75	4.3.0
TABLE

# class: a report's class from its exit code
is "$(printf '0\n100\n111\n1\n' | "$T/esc-lib" class | tr -d '\n')" "2.5.4.4." "class of 0, 100, 111, 1"
done_testing
