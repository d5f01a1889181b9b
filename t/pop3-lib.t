#!/bin/bash
# lib/pop3.c (the encoder, sizes, Maildir names), lib/md5.c and lib/pw.c,
# table-driven, through a small driver (t/pop3-lib.c) built against
# obj/libquail.a.
. "$(dirname "$0")/lib.sh"
[ -f "$SRC/obj/libquail.a" ] || skip_all "obj/libquail.a is not built (make first)"
$TEST_CC -D_GNU_SOURCE -I"$SRC/lib" -o "$T/pop3-lib" "$SRC/t/pop3-lib.c" "$SRC/obj/libquail.a" -lcdb -lcrypt ||
  { echo "Bail out! cannot build t/pop3-lib.c"; exit 1; }
L=$T/pop3-lib
show() { od -An -c | tr -s ' \n' ' '; }

# the encoder: LF to CRLF, dot-stuffing, the end; vsize = what the client
# keeps (no stuffed dots, no final "."), the same as pop3_vsize's count;
# fed one byte at a time, three at a time and all at once
while IFS='	' read -r input want; do
  [ -n "$input" ] || continue
  for step in 1 3 65536; do
    is "$(printf "$input" | "$L" enc $step | show)" "$(printf "$want" | show)" "enc (step $step) $input"
  done
done <<'TABLE'
a\nb\n	a\r\nb\r\n.\r\n|vsize=6 fast=6\n
a\r\nb\r\n	a\r\nb\r\n.\r\n|vsize=6 fast=6\n
.\n	..\r\n.\r\n|vsize=3 fast=3\n
..x\n.y\n	...x\r\n..y\r\n.\r\n|vsize=9 fast=9\n
a\n.\nb	a\r\n..\r\nb\r\n.\r\n|vsize=9 fast=9\n
no newline	no newline\r\n.\r\n|vsize=12 fast=12\n
x\r	x\r\r\n.\r\n|vsize=4 fast=4\n
a\rb\n	a\rb\r\n.\r\n|vsize=5 fast=5\n
\n\n	\r\n\r\n.\r\n|vsize=4 fast=4\n
 .not first\n	 .not first\r\n.\r\n|vsize=13 fast=13\n
TABLE
is "$(printf '' | "$L" enc 10 | show)" "$(printf '.\r\n|vsize=0 fast=0\n' | show)" "enc: an empty message"

# TOP: the header, the empty line, then N body lines (the header ends at
# the first empty line, bare LF or CRLF)
while IFS='	' read -r input lines want; do
  [ -n "$input" ] || continue
  for step in 1 65536; do
    is "$(printf "$input" | "$L" enc $step "$lines" | head -n -1 | show)" "$(printf "$want" | show)" "top $lines (step $step) $input"
  done
done <<'TABLE'
H: 1\n\nb1\nb2\nb3\n	0	H: 1\r\n\r\n.\r\n
H: 1\n\nb1\nb2\nb3\n	2	H: 1\r\n\r\nb1\r\nb2\r\n.\r\n
H: 1\r\n\r\nb1\r\nb2\r\n	1	H: 1\r\n\r\nb1\r\n.\r\n
H: 1\n\nb1\n.b2\n	9	H: 1\r\n\r\nb1\r\n..b2\r\n.\r\n
H: 1\nH: 2\n	0	H: 1\r\nH: 2\r\n.\r\n
H: 1\n\nlast	5	H: 1\r\n\r\nlast\r\n.\r\n
TABLE

# a large message: the fast count agrees with the encoder
big=$(head -c 300000 /dev/urandom | base64 -w 76 | sed 's/^A/./')
is "$(printf '%s' "$big" | "$L" enc 4096 | tail -1 | sed 's/.*vsize=\([0-9]*\) fast=\([0-9]*\)/\1 \2/' | awk '{print ($1 == $2)}')" 1 \
   "vsize: the fast count agrees with the encoder on 400 KB"
is "$(printf '%s' "$big" | "$L" enc 4096 | head -n -2 | sed 's/^\.//'  | tr -d '\r' | md5sum)" \
   "$(printf '%s\n' "$big" | md5sum)" "enc: unstuffed and LF again, 400 KB come back whole"

# UIDL: the unique part of a Maildir name; MD5 when it is not usable
while IFS='	' read -r name want; do
  [ -n "$name" ] || continue
  is "$(printf '%s\n' "$name" | "$L" uidl)" "$want" "uidl $name"
done <<'TABLE'
1732623931.M123456P789_0.host	1732623931.M123456P789_0.host
1732623931.M123456P789_0.host:2,S	1732623931.M123456P789_0.host
1732623931.M123456P789_0.host,S=100,W=103:2,	1732623931.M123456P789_0.host
1732623931.V801I1aM5.quail.test:2,	1732623931.V801I1aM5.quail.test
TABLE
long=$(head -c 71 /dev/zero | tr '\0' a)
is "$(printf '%s,S=1:2,\n' "$long" | "$L" uidl)" "$(printf '%s,S=1' "$long" | md5sum | cut -c1-32)" "uidl: 71 characters: the MD5 of the base name"
is "$(printf '%s\n' "$(head -c 70 /dev/zero | tr '\0' a)" | "$L" uidl | wc -c)" 71 "uidl: 70 characters are kept"
is "$(printf 'a\x7fb:2,\n' | "$L" uidl)" "$(printf 'a\x7fb' | md5sum | cut -c1-32)" "uidl: a DEL byte: the MD5"

# ,K=value fields before the info
while IFS='	' read -r key name want; do
  [ -n "$key" ] || continue
  is "$(printf '%s\n' "$name" | "$L" info "$key")" "$want" "info $key $name"
done <<'TABLE'
W	123.M1P2.h,S=100,W=103:2,S	103
S	123.M1P2.h,S=100,W=103:2,S	100
W	123.M1P2.h,S=100:2,S	none
W	123.M1P2.h:2,W=5	none
W	123.M1P2.h,W=:2,	none
W	123.M1P2.h,W=12x,W=7	7
W	123.M1P2.h,W=99999999999999999999999	none
TABLE

# arrival order from names
while IFS='	' read -r name want; do
  [ -n "$name" ] || continue
  is "$(printf '%s\n' "$name" | "$L" arrival)" "$want" "arrival $name"
done <<'TABLE'
1732623931.M123456P789_0.host	1732623931 123456
1732623931.V801I1aM5.quail.test,S=1:2,	1732623931 5
1732623931.12345.host	1732623931 0
noname	0 0
99.x:2,M7	99 0
TABLE

# message numbers: huge ones saturate, not "syntax error"
while IFS='	' read -r s want; do
  [ -n "$s" ] || continue
  is "$(printf '%s\n' "$s" | "$L" number)" "$want" "number '$s'"
done <<'TABLE'
1	1 1
0042 x	42 4
99999999999999999999999	18446744073709551615 23
-1	none
x1	none
TABLE

# user names for the password database
while IFS='	' read -r s want; do
  [ -n "$s" ] || continue
  is "$(printf '%s\n' "$s" | "$L" name)" "$want" "user name '$s'"
done <<'TABLE'
alice	1
alice@example.org	1
a.b+c_d	1
-alice	0
.alice	0
a:b	0
a/b	0
a b	0
TABLE
is "$(printf '%s\n' "$(head -c 129 /dev/zero | tr '\0' a)" | "$L" name)" 0 "user name of 129 bytes"

# MD5 against md5sum, APOP as RFC 1939's example has it
for x in '' abc "$(head -c 1000 /dev/urandom | base64)"; do
  is "$(printf '%s' "$x" | "$L" md5)" "$(printf '%s' "$x" | md5sum | cut -c1-32)" "md5 of ${#x} bytes as md5sum"
done
is "$("$L" apop '<1896.697170952@dbc.mtview.ca.us>' tanstaaf c4c9334bac560ecc979e58001b3e22fb)" 1 "apop: RFC 1939's example"
is "$("$L" apop '<1896.697170952@dbc.mtview.ca.us>' tanstaaf C4C9334BAC560ECC979E58001B3E22FB)" 1 "apop: upper-case hex"
is "$("$L" apop '<1896.697170952@dbc.mtview.ca.us>' tanstaaF c4c9334bac560ecc979e58001b3e22fb)" 0 "apop: another secret"
is "$("$L" apop '<1896.697170953@dbc.mtview.ca.us>' tanstaaf c4c9334bac560ecc979e58001b3e22fb)" 0 "apop: another timestamp"
is "$("$L" apop '<1896.697170952@dbc.mtview.ca.us>' '' d41d8cd98f00b204e9800998ecf8427e)" 0 "apop: no secret, no entry"

# crypt(3) through libcrypt
out=$("$L" hash '$y$' 'pass word')
like "$(echo "$out" | head -1)" '^\$y\$' "hash: yescrypt"
is "$(echo "$out" | tail -1)" "1 0" "hash: yescrypt checks, a wrong password does not"
out=$("$L" hash '$6$' 'pass word')
like "$(echo "$out" | head -1)" '^\$6\$' "hash: SHA-512-crypt"
is "$(echo "$out" | tail -1)" "1 0" "hash: SHA-512 checks, a wrong password does not"
is "$("$L" hash '$1$' x)" "error" "hash: MD5-crypt is refused"
done_testing
