#!/bin/bash
# lib/json.c: what rspamd-filter reads of rspamd's answer, table-driven,
# through a small driver (t/json-lib.c) built against obj/libquail.a.
. "$(dirname "$0")/lib.sh"
[ -f "$SRC/obj/libquail.a" ] || skip_all "obj/libquail.a is not built (make first)"
$TEST_CC -D_GNU_SOURCE -I"$SRC/lib" -o "$T/json-lib" "$SRC/t/json-lib.c" "$SRC/obj/libquail.a" ||
  { echo "Bail out! cannot build t/json-lib.c"; exit 1; }

# DOCUMENT<TAB>PATH<TAB>what the driver prints (lines joined by ' / ')
while IFS='	' read -r doc path want; do
  [ -n "$doc" ] || continue
  got=$(printf '%s' "$doc" | "$T/json-lib" $path | paste -sd'~' | sed 's/~/ \/ /g')
  is "$got" "$want" "$doc $path"
done <<'TABLE'
{"action":"reject"}	action	reject|6
{"action":"no action","score":1.5}	score	1.5
 { "a" : { "b" : "c" } } 	a.b	c|1
{"a":{"b":"c"}}	a.x	none
{"a":1,"a":2}	a	1
{"messages":{"smtp_message":"Gtube pattern"}}	messages.smtp_message	Gtube pattern|13
{"messages":{}}	messages.smtp_message	none
{"s":"a\"b\\c\/d\n"}	s	a"b\c/d / |8
{"s":"caf\u00e9 \u20ac"}	s	café €|9
{"s":"\ud83d\ude00"}	s	😀|4
{"s":"\ud800x"}	s	�x|4
{"s":"a\u0000b"}	s	a|3
{"n":-0.5e2}	n	-50
{"n":true,"m":null}	n	true
{"x":[1,{"y":[]},"z"],"k":"v"}	k	v|1
{"symbols":{"A":{"score":1},"B_C":{"score":2.5}}}	-k symbols	A|1 / B_C|3
{}	-k .	
{"a":1,}	a	EINVAL
{"a" 1}	a	EINVAL
{"a":01}	a	EINVAL
{"a":"x	a	EINVAL
{"a":"\x"}	a	EINVAL
{"a":"\u12"}	a	EINVAL
[1,2	a	EINVAL
{"a":1} x	a	EINVAL
[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]	a	EINVAL
[1,2]	a	EINVAL
"s"	-k .	EINVAL
TABLE
done_testing
