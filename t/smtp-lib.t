#!/bin/bash
# lib/smtp.c: the path parser and the DATA decoder, table-driven, through
# a small driver (t/smtp-lib.c) built against obj/libquail.a.
. "$(dirname "$0")/lib.sh"
[ -f "$SRC/obj/libquail.a" ] || skip_all "obj/libquail.a is not built (make first)"
$TEST_CC -D_GNU_SOURCE -I"$SRC/lib" -o "$T/smtp-lib" "$SRC/t/smtp-lib.c" "$SRC/obj/libquail.a" ||
  { echo "Bail out! cannot build t/smtp-lib.c"; exit 1; }

# path: what smtp_path makes of the text after "MAIL FROM:"
while IFS='	' read -r in want; do
  [ -n "$in" ] || continue
  is "$(printf '%s\n' "$in" | "$T/smtp-lib" path)" "$want" "path $in"
done <<'TABLE'
<a@example.org>	a@example.org||0
<>	||0
 <a@example.org>	a@example.org||0
a@example.org	a@example.org||0
<a@example.org> SIZE=10	a@example.org| SIZE=10|0
<a@Example.ORG.>	a@Example.ORG||0
<a@example.org..>	EINVAL
<a@.example.org>	EINVAL
<a@>	EINVAL
<@x.example,@y.example:a@example.org>	a@example.org||0
<@x.example:a@example.org>	a@example.org||0
<@x.example a@example.org>	EINVAL
<"a b"@example.org>	a b@example.org||0
<"a@b"@example.org>	a@b@example.org||0
<"a\"b"@example.org>	a"b@example.org||0
<"a@b">	EINVAL
<"">	EINVAL
<a@b@example.org>	EINVAL
<a b@example.org>	EINVAL
<a@example.org	EINVAL
<a@[127.0.0.1]>	a@[127.0.0.1]||0
<a@[IPv6:::1]>	a@[IPv6:::1]||0
<a@[127.0.0.1>	EINVAL
<a%b@example.org>	a%b@example.org||0
<b!a@example.org>	b!a@example.org||0
<postmaster>	postmaster||0
<jörg@example.org>	jörg@example.org||1
<a@ex_ample.org>	EINVAL
<a(comment)@example.org>	EINVAL
TABLE
long=$(head -c 1001 /dev/zero | tr '\0' a)
is "$(printf '<%s@x>\n' "$long" | "$T/smtp-lib" path)" "E2BIG" "path longer than ADDR_MAX"

# data: the decoded bytes and flags, fed 1 byte at a time and all at once
# flags: 1 bare LF, 2 bare CR, 4 long line (> 20), 8 too big, 16 headers (> 5), 32 hops (> 2)
while IFS='	' read -r in want; do
  [ -n "$in" ] || continue
  for step in 1 4096; do
    is "$(printf "$in" | "$T/smtp-lib" data $step | od -An -c | tr -s ' \n' ' ')" \
       "$(printf "$want" | od -An -c | tr -s ' \n' ' ')" "data (step $step) $in"
  done
done <<'TABLE'
a\r\nb\r\n.\r\n	a\nb\n|flags=0 done=1 rest=
.\r\nafter	|flags=0 done=1 rest=after
..x\r\n.\r\nQUIT\r\n	.x\n|flags=0 done=1 rest=QUIT\r\n
a\n.\nb\r\n.\r\n	a\n.\nb\n|flags=1 done=1 rest=
a\r\n.\n.\r\n	a\n\n.\n|flags=1 done=0 rest=
a\r.\r\n.\r\n	a\n.\n|flags=2 done=1 rest=
a\r\n.\rX\r\n.\r\n	a\n\nX\n|flags=2 done=1 rest=
a\r\n.\r	a\n|flags=0 done=0 rest=
x\r\r\n.\r\n	x\n\n|flags=2 done=1 rest=
123456789012345678901\r\n.\r\n	123456789012345678901\n|flags=4 done=1 rest=
A: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\nF: 6\r\n\r\n.\r\n	A: 1\nB: 2\nC: 3\nD: 4\nE: 5\nF: 6\n\n|flags=16 done=1 rest=
A: 1\r\n\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\nF: 6\r\n.\r\n	A: 1\n\nB: 2\nC: 3\nD: 4\nE: 5\nF: 6\n|flags=0 done=1 rest=
Received: a\r\n\tb\r\nreceived: c\r\nRECEIVED: d\r\n\r\n.\r\n	Received: a\n\tb\nreceived: c\nRECEIVED: d\n\n|flags=32 done=1 rest=
Received: a\r\nreceived: c\r\n\r\nReceived: x\r\n.\r\n	Received: a\nreceived: c\n\nReceived: x\n|flags=0 done=1 rest=
body line\r\nReceived: x\r\nReceived: y\r\nReceived: z\r\n.\r\n	body line\nReceived: x\nReceived: y\nReceived: z\n|flags=0 done=1 rest=
TABLE

# chunked (BDAT): no dots, no end marker; a final CR is bare
is "$(printf 'a\r\n.\r\n.x\r\n' | "$T/smtp-lib" data 0 | od -An -c | tr -s ' \n' ' ')" \
   "$(printf 'a\n.\n.x\n|flags=0 done=0 rest=' | od -An -c | tr -s ' \n' ' ')" "chunked: dots are data"
is "$(printf 'a\r\nb\r' | "$T/smtp-lib" data 0 | tail -1)" "|flags=2 done=0 rest=" "chunked: a CR at the very end is bare"

# a NUL anywhere is flagged (64), in DATA and in BDAT
is "$(printf 'a\r\n\0.\r\n.\r\n' | "$T/smtp-lib" data 1 | tail -c 22)" "|flags=64 done=1 rest=" "data: NUL before a dot flagged"
is "$(printf 'a\r\n.\0\r\n.\r\n' | "$T/smtp-lib" data 9 | tail -c 22)" "|flags=64 done=1 rest=" "data: NUL after a dot flagged"
is "$(printf 'body text \0 more\r\n.\r\n' | "$T/smtp-lib" data 100 | tail -c 22)" "|flags=64 done=1 rest=" "data: NUL inside a run flagged"
is "$(printf 'a\r\n\0.\r\n' | "$T/smtp-lib" data 0 | tail -c 22)" "|flags=64 done=0 rest=" "chunked: NUL flagged"

# LF form (QMTP, QMQP, sendmail and inject): LF and CRLF end lines and are
# stored as LF, a bare CR is flagged (stored as LF), so nothing stored
# holds a CR; NUL flagged; dots are data
for step in 1 3 1000; do
  while IFS='	' read -r in want; do
    is "$(printf "$in" | "$T/smtp-lib" lf $step | od -An -c | tr -s ' \n' ' ')" \
       "$(printf "$want" | od -An -c | tr -s ' \n' ' ')" "lf (step $step) $in"
  done <<'TABLE'
a\nb\n.\n	a\nb\n.\n|flags=0 done=0 rest=
a\r\nb\r\n.\r\n	a\nb\n.\n|flags=0 done=0 rest=
hello\r.\r\nMAIL FROM:x\n	hello\n.\nMAIL FROM:x\n|flags=2 done=0 rest=
a\r\r\nb	a\n\nb|flags=2 done=0 rest=
a\n\0.\nb\n	a\n\0.\nb\n|flags=64 done=0 rest=
end\r	end\n|flags=2 done=0 rest=
TABLE
done

# lib/b64.c, against base64(1)
for x in '' a ab abc abcd 'user\0pass' '\xff\xfe\x80 binary\x01'; do
  is "$(printf "$x" | "$T/smtp-lib" b64e)" "$(printf "$x" | base64 -w0)" "b64 encode: as base64(1) does, $(printf "$x" | wc -c) bytes"
  is "$(printf "$x" | base64 -w0 | "$T/smtp-lib" b64d | od -An -tx1)" "$(printf "$x" | od -An -tx1)" "b64 decode: round trip, $(printf "$x" | wc -c) bytes"
done
for bad in 'abc' 'ab=c' 'a===' '@@@@' 'YQ==YQ=='; do
  is "$(printf '%s' "$bad" | "$T/smtp-lib" b64d)" "EINVAL" "b64 decode refuses $bad"
done
done_testing
