#!/bin/sh
# static-check.sh BIN LDLOG ALLOWED...: check a static glibc link for NSS.
# LDLOG is the linker's stderr with -y traces (ld -y SYM: "OBJ: reference
# to SYM") for glibc's NSS functions and dlopen, which a static program can
# only use with the shared libraries of the glibc it was built with.
# Fails, removing BIN, when anything but the ALLOWED library members (as
# "libcrypto.a(member.o)") refers to one; prints the rest of LDLOG but the
# traces and the warnings glibc attaches to those functions (checked here).
bin=$1 log=$2; shift 2
bad=$(sed -n 's/^.*ld: \(.*\): reference to \(.*\)$/\1 \2/p' "$log" | sed 's|^[^ ]*/||' |
  while read -r obj sym; do
    ok=
    for a in "$@"; do [ "$obj" = "$a" ] && ok=1; done
    [ -n "$ok" ] || echo "$obj refers to $sym"
  done)
grep -v -e ': reference to ' -e ': definition of ' -e ': in function ' \
  -e 'statically linked applications requires at runtime' "$log" >&2
[ -z "$bad" ] && exit 0
echo "$bad" | sed "s|^|static-check: fatal: $bin: |" >&2
echo "static-check: fatal: $bin is static with glibc: it must not use NSS or dlopen" >&2
rm -f "$bin"
exit 1
