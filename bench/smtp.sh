#!/bin/bash
# bench/smtp.sh HOST:PORT MAILDIR FROM TO SESSIONS COUNT SIZE: one
# measurement of smtp-source sending COUNT messages of SIZE bytes over
# SESSIONS concurrent sessions (a new connection per message); times
# acceptance (smtp-source done) and end to end (all in the Maildir), and
# the machine's busy CPU per message less smtp-source's own. One line.
set -eu
. "$(dirname "$0")/lib.sh"
target=$1 md=$2 from=$3 to=$4 sess=$5 count=$6 size=$7
src=${SMTP_SOURCE:-/usr/sbin/smtp-source}
[ -x "$src" ] || die "$src missing (Debian package postfix)"
find "$md/new" "$md/cur" -maxdepth 1 -type f -delete
settle
tlog=$(mktemp); trap 'rm -f "$tlog"' EXIT
c0=$(cpu_busy); t0=$(now)
# smtp-source runs in the foreground, not under timeout(1) nor as a
# background job: on an idle VM either adds ~75 ms to every connection of a
# server that forks per connection (seen with a five-line shell server
# under tcpserver too), which would measure the VM, not the MTA. A
# background watchdog kills a stuck run instead: this run's smtp-source
# (time's child), never another benchmark's on the same machine.
# (its output goes nowhere: it must not hold the caller's $(...) pipe open)
( sleep 600; pkill -x -P "$(pgrep -d, -x -P $$ time)" smtp-source ) >/dev/null 2>&1 & dog=$!
/usr/bin/time -f '%U %S' -o "$tlog" "$src" -s "$sess" -m "$count" -l "$size" \
  -f "$from" -t "$to" "$target" || die "smtp-source failed"
pkill -P "$dog" 2>/dev/null; kill "$dog" 2>/dev/null || true
t1=$(now)
while [ "$(md_count "$md")" -lt "$count" ]; do
  [ "$(calc "$(now) - $t0" 0)" -gt "${TIMEOUT:-600}" ] && break
  sleep 0.05
done
t2=$(now); c1=$(cpu_busy)
read -r su ss < "$tlog"
n=$(md_count "$md")
e2e=$(calc "$t2 - $t0" 3); [ "$n" -ge "$count" ] || e2e=-
echo "sessions=$sess count=$count size=$size accept_per_s=$(calc "$count / ($t1 - $t0)" 0)" \
     "e2e_s=$e2e e2e_per_s=$([ "$e2e" = - ] && echo - || calc "$count / $e2e" 0)" \
     "cpu_ms_per_msg=$(calc "($c1 - $c0 - $su - $ss) * 1000 / $count" 2) delivered=$n"
