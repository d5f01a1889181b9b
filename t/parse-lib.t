#!/bin/bash
# The parsers that deliver-local, queue-writer, queue-manager,
# queue-admin, smtpd, pop3d, pop3-login, list-moderate and list-bounce
# share through lib/ (dotqmail, qenv, cmdline, list), table-driven,
# through a small driver (t/parse-lib.c) built against obj/libquail.a.
# fuzz/ harnesses each of them too.
. "$(dirname "$0")/lib.sh"
[ -f "$SRC/obj/libquail.a" ] || skip_all "obj/libquail.a is not built (make first)"
$TEST_CC -D_GNU_SOURCE -I"$SRC/lib" -o "$T/parse-lib" "$SRC/t/parse-lib.c" "$SRC/obj/libquail.a" -lcdb -lcrypto ||
  { echo "Bail out! cannot build t/parse-lib.c"; exit 1; }
L=$T/parse-lib

# .qmail lines: the kind from the first byte, trailing blanks dropped
while IFS='	' read -r input want; do
  [ -n "$input" ] || continue
  is "$(printf "$input" | "$L" dotqmail)" "$(printf "$want")" "dotqmail '$input'"
done <<'TABLE'
./Maildir/\n	maildir|./Maildir/
./Maildir/	maildir|./Maildir/
/var/mail/joe \t \n	mbox|/var/mail/joe
# a comment\n\n&joe@example.org\n	comment|# a comment\nblank|\nforward|joe@example.org
|preline procmail  \n	program|preline procmail
joe@example.org\n+list\n+lists\n	forward|joe@example.org\nlist|+list\nignored|+lists
\n./Maildir/\n	blank|\nmaildir|./Maildir/
./Maildir/\r\n	mbox|./Maildir/\r
.\n/\n	mbox|.\nmaildir|/
TABLE
is "$(printf '' | "$L" dotqmail)" "blank|" "dotqmail: an empty file is one blank line"
is "$(printf '|echo a\0b\n' | "$L" dotqmail)" "program|echo a" "dotqmail: a NUL ends a program line"

# the files for an extension: .qmail-EXT (lower case, '.' as ':'), then
# the -default files from the longest, DEFAULT what -default stands for
while IFS='	' read -r ext want; do
  [ -n "$ext" ] || continue
  is "$("$L" names "$ext" | tr '\n' ' ')" "$want" "names '$ext'"
done <<'TABLE'
list-accept-17.Ab	|.qmail-list-accept-17:ab 17.Ab|.qmail-list-accept-default accept-17.Ab|.qmail-list-default list-accept-17.Ab|.qmail-default 
a-	|.qmail-a- |.qmail-a-default a-|.qmail-default 
x	|.qmail-x x|.qmail-default 
--	|.qmail--- |.qmail---default -|.qmail--default --|.qmail-default 
TABLE
is "$("$L" names "")" "|.qmail" "names: no extension, .qmail alone"

# queue-writer's envelope: copied as read; qmail-queue's rules; the copy walked
while IFS='	' read -r input want; do
  [ -n "$input" ] || continue
  is "$(printf "$input" | "$L" envelope)" "$(printf "$want")" "envelope '$input'"
done <<'TABLE'
Fa@b\0Tc@d\0Te@f\0\0	ok 2\n5:T\n10:T\nend
F\0Tc@d\0\0	ok 1\n2:T\nend
Fa@b\0\0	ok 0\nend
Fa@b\0T\0\0	format\n5:T\nend
Fa@b\0Dc@d\0\0	format\nbroken
Ta@b\0\0	format\nbroken
Fa\rb\0Tc\0\0	format\nbroken
Fa@b\0Tc@d\0	eof\n5:T\nend
Fa@b	eof\nbroken
TABLE
is "$(printf 'a@b\0Tc\0\0' | "$L" envelope F)" "$(printf 'ok 1\n5:T\nend')" "envelope: the first byte read ahead"
a1000=$(head -c 1000 /dev/zero | tr '\0' a)
is "$(printf 'F%s\0T%s\0\0' "$a1000" "$a1000" | "$L" envelope | head -1)" "ok 1" "envelope: addresses of 1000 bytes"
is "$(printf 'Fx\0T%sa\0\0' "$a1000" | "$L" envelope | head -1)" "long" "envelope: an address of 1001 bytes"

# a stored envelope, as queue-manager and queue-admin walk it
while IFS='	' read -r input want; do
  [ -n "$input" ] || continue
  is "$(printf "$input" | "$L" walk)" "$(printf "$want")" "walk '$input'"
done <<'TABLE'
Fa@b\0Tc@d\0De@f\0\0	5:T\n10:D\nend
Fa@b\0Tc@d\0	5:T\nend
Fa@b\0Tc@d	broken
xa@b\0Tc@d\0\0	broken
TABLE

# command lines (SMTP's verbs; a limit of 40 bytes)
while IFS='	' read -r input want; do
  [ -n "$input" ] || continue
  is "$(printf "$input" | "$L" cmdline)" "$(printf "$want")" "cmdline '$input'"
done <<'TABLE'
HELO x.example\r\n	1 helo|x.example|14\n0
mail FROM:<a@b> SIZE=1\r\nDaTa\r\n	1 mail|FROM:<a@b> SIZE=1|22\n1 data||4\n0
datax\n data\nrcpt\r\r\n	1 -||5\n1 -|data|5\n1 -||5\n0
STARTTLS\r\nMAIL FROM:<x@y>\r\n	1 starttls||8\n1 mail|FROM:<x@y>|15\n0
helo\r\nunended	1 helo||4\n0
MAIL FROM:<aaaaaaaaaaaaaaaaaaaaaaaaaaaaa@b>\r\n	2
TABLE

# list-moderate's DEFAULT: ID.C
while IFS='	' read -r input want; do
  [ -n "$input" ] || continue
  is "$("$L" mod "$input")" "$want" "mod '$input'"
done <<'TABLE'
1700000000.123.0123abcd	1700000000.123 0123abcd 1700000000
1700000000.123.	1700000000.123  1700000000
17.x.y	refused
1/2.abc	refused
.abc	refused
nodot	refused
99999999999999999999.1.c	refused
TABLE
is "$("$L" mod "1.$(head -c 62 /dev/zero | tr '\0' 2).c" | cut -d' ' -f1 | wc -c)" 65 "mod: an ID of 64 bytes"
is "$("$L" mod "1.$(head -c 63 /dev/zero | tr '\0' 2).c")" refused "mod: an ID of 65 bytes"

# list-bounce's DEFAULT
while IFS='	' read -r input want; do
  [ -n "$input" ] || continue
  is "$("$L" return "$input")" "$want" "return '$input'"
done <<'TABLE'
17-joe=example.org	post joe@example.org
d3-joe=example.org	post joe@example.org
17-a=b=c	post a=b@c
probe.1.abc-joe=example.org	probe 1.abc-joe=example.org
17-joe@example.org	unknown
d-joe=example.org	unknown
x17-joe=example.org	unknown
17joe=example.org	unknown
TABLE
is "$("$L" return "")" unknown "return: empty"
done_testing
