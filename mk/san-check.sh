#!/bin/sh
# san-check.sh DIR: fail, showing them, when DIR holds sanitizer reports
# (make test SANITIZE=1 sends every report there; see mk/san.c).
# One warning is not a report: ASan cannot tell the bounds of the stack
# lib/spawn.c runs a child on (clone with a stack of its own) and says so
# when that child exits; a file holding nothing else is counted apart.
dir=$1
set -- "$dir"/asan.* "$dir"/ubsan.*
n=0 stackwarn=0
for f in "$@"; do
  [ -f "$f" ] || continue
  if ! grep -qv -e 'ASan is ignoring requested __asan_handle_no_return' -e '^False positive error reports may follow' \
       -e '^For details see https://github.com/google/sanitizers/issues/189' "$f"; then
    stackwarn=$((stackwarn + 1)); continue
  fi
  n=$((n + 1))
  echo "=== $f" >&2
  head -40 "$f" >&2
done
[ "$stackwarn" = 0 ] || echo "sanitizers: $stackwarn warning(s) about spawn_vm's stack (not reports)"
[ "$n" = 0 ] && { echo "sanitizers: no reports in $dir"; exit 0; }
echo "sanitizers: $n report(s) in $dir" >&2
exit 1
