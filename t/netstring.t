#!/bin/bash
# lib/netstring: the ns_ family, table-driven, through a small driver
# linked with obj/libquail.a (built by make).
. "$(dirname "$0")/lib.sh"
[ -f "$SRC/obj/libquail.a" ] || skip_all "obj/libquail.a not built (run make)"
command -v cc >/dev/null || skip_all "no C compiler"

# nsdec MAX: every netstring on stdin (each at most MAX bytes), one per
# line as "[TEXT]", then "end", or "ERRNAME" where reading failed.
# nsenc TEXT...: each TEXT through ns_put, ns_cat and ns_size.
cat >"$T/ns.c" <<'EOF'
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "netstring.h"
static const char *name(int e)
{
  return e == EPROTO ? "EPROTO" : e == EMSGSIZE ? "EMSGSIZE" : e == ENODATA ? "ENODATA" : strerror(e);
}
int main(int argc, char **argv)
{
  char in[64], out[64];
  struct buf b, o;
  struct str s = STR_ZERO;
  int i, r;
  if (!strcmp(argv[1], "nsdec")) {
    buf_init(&b, 0, in, sizeof in);
    while ((r = ns_get(&b, &s, strtoul(argv[2], 0, 10))) == 1) printf("[%s]\n", s.s);
    puts(r == 0 ? "end" : name(errno));
    return 0;
  }
  buf_init(&o, 1, out, sizeof out);
  for (i = 2; i < argc; i++) {
    s.len = 0;
    ns_put(&o, argv[i], strlen(argv[i]));
    buf_flush(&o);
    ns_cat(&s, argv[i], strlen(argv[i]));
    printf(" %s %llu\n", s.len == ns_size(strlen(argv[i])) ? "size-ok" : "size-wrong", ns_size(strlen(argv[i])));
    fflush(stdout);
  }
  return 0;
}
EOF
$TEST_CC -I"$SRC/lib" -o "$T/ns" "$T/ns.c" "$SRC/obj/libquail.a" || { echo "Bail out! driver does not build"; exit 1; }

dec() { printf -- "$2" | "$T/ns" nsdec "$1" | tr '\n' '|'; }
# max ~ input (printf format) ~ expected lines joined by '|' ~ name
while IFS='~' read -r max input want name; do
  is "$(dec "$max" "$input")" "$want" "decode: $name"
done <<'TABLE'
100~12:hello world!,~[hello world!]|end|~the spec's example
100~0:,~[]|end|~empty string
100~3:abc,1:x,~[abc]|[x]|end|~two in a row
100~~end|~nothing at all: a clean end
100~5:ab~ENODATA|~ends inside the data
100~12~ENODATA|~ends inside the length
100~3:abc~ENODATA|~ends before the comma
100~3:abc;~EPROTO|~no comma
100~:abc,~EPROTO|~no digits
100~03:abc,~EPROTO|~leading zero
100~00:,~EPROTO|~zero with a leading zero
100~-3:abc,~EPROTO|~a sign
100~ 3:abc,~EPROTO|~a space
100~3 :abc,~EPROTO|~a space before the colon
100~3:a\000c,~[a]|end|~a NUL inside is data (printed up to it)
5~6:abcdef,~EMSGSIZE|~longer than the bound
5~5:abcde,~[abcde]|end|~exactly the bound
1000~4294967296:~EMSGSIZE|~4 GB refused before any data
1000~99999999999999999999:~EMSGSIZE|~20 digits
TABLE

is "$("$T/ns" nsenc 'hello world!' '' 'x')" '12:hello world!, size-ok 16
0:, size-ok 3
1:x, size-ok 4' "encode: ns_put, ns_cat and ns_size agree"
big=$(head -c 100 /dev/zero | tr '\0' y)
like "$("$T/ns" nsenc "$big")" "^100:y{100}, size-ok 105\$" "encode: a string longer than the output buffer"
done_testing
