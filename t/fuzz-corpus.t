#!/bin/bash
# fuzz/: every harness over its seed corpus (fuzz/corpus/NAME/), built
# without libFuzzer (mk/fuzz-main.c gives it each file once) against
# obj/libquail.a, so an input a fuzzing run once found, kept there, stays
# fixed. Under make SANITIZE=1 the harnesses run with ASan and UBSan.
. "$(dirname "$0")/lib.sh"
[ -f "$SRC/obj/libquail.a" ] || skip_all "obj/libquail.a is not built (make first)"
names=$(cd "$SRC/fuzz" && ls *.c | sed 's/\.c$//')
[ -n "$names" ] || skip_all "no harness in fuzz/"

for name in $names; do
  seeds=("$SRC/fuzz/corpus/$name"/*)
  ok "$name: seeds in fuzz/corpus/$name" [ -f "${seeds[0]}" ] || continue
  if ! $TEST_CC -D_GNU_SOURCE -I"$SRC/lib" -I"$SRC/fuzz" -o "$T/$name" "$SRC/fuzz/$name.c" \
       "$SRC/mk/fuzz-main.c" "$SRC/obj/libquail.a" -lcdb -lcrypto -lresolv 2>"$T/$name.cc"; then
    fail "$name: builds"; diag "$(cat "$T/$name.cc")"; continue
  fi
  if "$T/$name" "${seeds[@]}" 2>"$T/$name.err"; then
    pass "$name: ${#seeds[@]} inputs, no finding"
  else
    fail "$name: ${#seeds[@]} inputs, no finding"; diag "$(head -30 "$T/$name.err")"
  fi
done
done_testing
