#!/bin/sh
# fuzz.sh SECONDS NAME...: run each libFuzzer harness obj/fuzz/bin/NAME
# (make fuzz-build) for SECONDS, starting from the seeds in
# fuzz/corpus/NAME/ (read only: new inputs go to obj/fuzz/run/NAME/).
# Prints the executions and findings of each; a finding's input is kept
# as obj/fuzz/found/NAME-crash-... (those of an earlier run move to
# obj/fuzz/found/earlier/; add it to fuzz/corpus/NAME/ once
# fixed, so make test keeps it fixed). Exits 1 when anything was found.
s=$1; shift
found_total=0
mkdir -p obj/fuzz/found
for name in "$@"; do
  run=obj/fuzz/run/$name log=obj/fuzz/run/$name.log
  mkdir -p "$run" "fuzz/corpus/$name" obj/fuzz/found/earlier
  for f in obj/fuzz/found/"$name"-*; do [ -f "$f" ] && mv "$f" obj/fuzz/found/earlier/; done
  obj/fuzz/bin/"$name" -max_total_time="$s" -timeout=10 -print_final_stats=1 \
    -artifact_prefix=obj/fuzz/found/"$name"- "$run" "fuzz/corpus/$name" >"$log" 2>&1
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -Eo 'cov: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
  found=$(ls obj/fuzz/found/ | grep -c "^$name-")
  found_total=$((found_total + found))
  printf '%-14s %10s executions in %ss, coverage %s, %s finding(s)%s\n' "$name" "${execs:-?}" "$s" "${cov:-?}" "$found" \
    "$( [ "$found" = 0 ] || echo ": see $log and obj/fuzz/found/$name-*")"
done
[ "$found_total" = 0 ]
