#!/bin/bash
# bench/sendmail.sh SENDMAIL MAILDIR FROM TO COUNT SIZE: one measurement of
# COUNT `SENDMAIL -f FROM TO` runs one after another, each a message of
# about SIZE bytes; times injection (all queued) and end to end (all in the
# Maildir), and the machine's busy CPU per message. One line of key=value.
set -eu
. "$(dirname "$0")/lib.sh"
sm=$1 md=$2 from=$3 to=$4 count=$5 size=$6
msg=$(mktemp); trap 'rm -f "$msg"' EXIT
message "$from" "$to" "$size" > "$msg"
find "$md/new" "$md/cur" -maxdepth 1 -type f -delete
settle
want=$count
c0=$(cpu_busy); t0=$(now)
for ((i = 0; i < count; i++)); do "$sm" -f "$from" "$to" < "$msg" || die "$sm failed"; done
t1=$(now)
while [ "$(md_count "$md")" -lt "$want" ]; do
  [ "$(calc "$(now) - $t0" 0)" -gt "${TIMEOUT:-600}" ] && break
  sleep 0.05
done
t2=$(now); c1=$(cpu_busy)
n=$(md_count "$md")
e2e=$(calc "$t2 - $t0" 3); [ "$n" -ge "$want" ] || e2e=-
echo "count=$count size=$size inject_per_s=$(calc "$count / ($t1 - $t0)" 0)" \
     "e2e_s=$e2e e2e_per_s=$([ "$e2e" = - ] && echo - || calc "$count / $e2e" 0)" \
     "cpu_ms_per_msg=$(calc "($c1 - $c0) * 1000 / $count" 2) delivered=$n"
