#!/bin/bash
# lib/smtpc.c and lib/tcpto.c, table-driven, through t/smtpc-lib.c built
# against obj/libquail.a: SMTP replies, EHLO keywords, the DATA encoder,
# a message's facts, the dead-host memory.
. "$(dirname "$0")/lib.sh"
[ -f "$SRC/obj/libquail.a" ] || skip_all "obj/libquail.a is not built (make first)"
$TEST_CC -D_GNU_SOURCE -I"$SRC/lib" -o "$T/smtpc-lib" "$SRC/t/smtpc-lib.c" "$SRC/obj/libquail.a" ||
  { echo "Bail out! cannot build t/smtpc-lib.c"; exit 1; }
L=$T/smtpc-lib

# replies: INPUT (printf format) -> what the parser made of it
while IFS='	' read -r in want; do
  [ -n "$in" ] || continue
  is "$(printf "$in" | "$L" reply | tr '\n' '#')" "$want" "reply $in"
done <<'TABLE'
250 ok\r\n	250|250 ok#ERR EPIPE#
250-a\r\n250-b\r\n250 c\r\n	250|250-a/250-b/250 c#ERR EPIPE#
220 hi\r\n250 ok\r\n	220|220 hi#250|250 ok#ERR EPIPE#
250\r\n	250|250#ERR EPIPE#
550 5.1.1 no\n	550|550 5.1.1 no#ERR EPIPE#
25 short\r\n	ERR EPROTO#
abc def\r\n	ERR EPROTO#
250x\r\n	ERR EPROTO#
050 zero\r\n	ERR EPROTO#
650 six\r\n	ERR EPROTO#
999 nine\r\n	ERR EPROTO#
150 ok\r\n	150|150 ok#ERR EPIPE#
250-a\r\n	ERR EPIPE#
TABLE
long=$(head -c 5000 /dev/zero | tr '\0' x)
is "$(printf '250-%s\r\n250 end\r\n' "$long" | "$L" reply | head -1 | wc -c)" "$(( 4 + 2048 + 9 ))" \
  "an over-long reply line is cut at SMTPC_LINE_MAX, the reply still read"
is "$(yes '250-more' | head -300 | "$L" reply)" "ERR EPROTO" "a reply of more than SMTPC_LINES_MAX lines: EPROTO"

# EHLO keywords (the first line is the greeting, never a keyword)
while IFS='	' read -r in want; do
  [ -n "$in" ] || continue
  is "$(printf "$in" | "$L" ehlo)" "$want" "ehlo $in"
done <<'TABLE'
250-x\n250-PIPELINING\n250-8BITMIME\n250-SMTPUTF8\n250-STARTTLS\n250-SIZE 1000\n250 AUTH LOGIN PLAIN	P8UTSpl size=1000
250 PIPELINING	------- size=0
250-x\n250-pipelining\n250-size\n250 auth=login	P---S-l size=0
250-x\n250-AUTH CRAM-MD5\n250 PIPELININGX	------- size=0
TABLE

# the DATA encoder, fed 1, 3 and 4096 bytes at a time: no bare CR or LF
# and no NUL ever leaves, whatever the queue holds
while IFS='	' read -r in want; do
  [ -n "$in" ] || continue
  for step in 1 3 4096; do
    is "$(printf "$in" | "$L" dot $step | od -An -c | tr -s ' \n' ' ')" \
       "$(printf "$want" | od -An -c | tr -s ' \n' ' ')" "dot (step $step) $in"
  done
done <<'TABLE'
a\nb\n	a\r\nb\r\n.\r\n
.a\n..b\n.\n	..a\r\n...b\r\n..\r\n.\r\n
a\r\nb\n	a\r\nb\r\n.\r\n
no newline	no newline\r\n.\r\n
x.\n.y	x.\r\n..y\r\n.\r\n
a\rb\n	a\r\nb\r\n.\r\n
\n\n	\r\n\r\n.\r\n
hello\r.\r\nMAIL FROM:<x>\n	hello\r\n..\r\nMAIL FROM:<x>\r\n.\r\n
a\n.\rb\n	a\r\n..\r\nb\r\n.\r\n
a\r\r\nb	a\r\n\r\nb\r\n.\r\n
end\r	end\r\n.\r\n
a\n\0.\nb\n	a\r\n..\r\nb\r\n.\r\n
a\n.\0\nb\n	a\r\n..\r\nb\r\n.\r\n
x\0y\r\0\n	xy\r\n\r\n.\r\n
TABLE
is "$(printf '' | "$L" dot 1 | od -An -c | tr -s ' \n' ' ')" "$(printf '.\r\n' | od -An -c | tr -s ' \n' ' ')" "an empty message: the dot alone"

# a message's facts: bytes as sent (CRLF), 8-bit anywhere, UTF-8 in the header
is "$(printf 'a: b\n\nc\n' | "$L" scan)" "11 0 0" "scan: ASCII"
is "$(printf 'a: b\n\n\xc3\xa9\n' | "$L" scan)" "12 1 0" "scan: 8-bit body"
is "$(printf 'a: \xc3\xa9\n\nc\n' | "$L" scan)" "12 1 1" "scan: UTF-8 header"

# tcpto: two failures make an address dead for TCPTO_HOLD_MIN; success forgets it
F=$T/tcpto
is "$("$L" tcpto "$F" 192.0.2.1 1000 dead)" 0 "tcpto: no file, not dead"
"$L" tcpto "$F" 192.0.2.1 1000 fail
is "$("$L" tcpto "$F" 192.0.2.1 1001 dead)" 0 "tcpto: one failure is not enough"
"$L" tcpto "$F" 192.0.2.1 1002 fail
is "$("$L" tcpto "$F" 192.0.2.1 1003 dead)" 1 "tcpto: two failures in a row: dead"
is "$("$L" tcpto "$F" 192.0.2.2 1003 dead)" 0 "tcpto: another address is not"
is "$("$L" tcpto "$F" 192.0.2.1 1121 dead)" 1 "tcpto: still dead within 120 s"
is "$("$L" tcpto "$F" 192.0.2.1 1122 dead)" 0 "tcpto: alive again after 120 s"
"$L" tcpto "$F" 192.0.2.1 1200 fail
is "$("$L" tcpto "$F" 192.0.2.1 1400 dead)" 1 "tcpto: a third failure holds it 240 s"
"$L" tcpto "$F" 192.0.2.1 1401 ok
is "$("$L" tcpto "$F" 192.0.2.1 1402 dead)" 0 "tcpto: one success forgets it"
for i in $(seq 1 130); do "$L" tcpto "$F" "198.51.100.$i" $((2000 + i)) fail; done
is "$(stat -c %s "$F")" "$(( 128 * 32 ))" "tcpto: the file never grows past its 128 slots"
done_testing
