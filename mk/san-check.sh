#!/bin/sh
# san-check.sh DIR: fail, showing them, when DIR holds sanitizer reports
# (make test SANITIZE=1 sends every report there; see mk/san.c).
dir=$1
set -- "$dir"/asan.* "$dir"/ubsan.*
n=0
for f in "$@"; do
  [ -f "$f" ] || continue
  n=$((n + 1))
  echo "=== $f" >&2
  head -40 "$f" >&2
done
[ "$n" = 0 ] && { echo "sanitizers: no reports in $dir"; exit 0; }
echo "sanitizers: $n report(s) in $dir" >&2
exit 1
