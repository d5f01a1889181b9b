#!/bin/bash
# bench/rspamd.sh [COUNT] [RUNS]: what rspamd-filter costs per message.
#
# One instance, Debian's rspamd on loopback with t/rspamd-lib.sh's minimal
# config (no modules, no DNS, no redis: the filter's own cost and rspamd's
# core scan, not a production rule set), and two instances' smtpd
# services, started by their own run scripts as runsv starts them: one
# whose tcp.smtp rule sets QMAILQUEUE=rspamd-filter (as a site turns the
# filter on), one without. A Python smtplib
# client sends COUNT (300) messages of 2 KB to each, one transaction on a
# connection of its own, alternating between the two servers, RUNS (3)
# times. Prints each run, then the medians: the median time of one
# transaction (the latency a client sees at one session, what the noise of
# a shared machine moves most), and the CPU per message of the
# server's own processes: tcpserver and everything below it (smtpd,
# queue-writer, rspamd-filter; /proc and bench/reaper.py) and rspamd's
# processes (/proc), so that other work on the machine does not count.
# Runs on a shared machine move a lot: the last line gives the median of
# each run's difference and the differences themselves. Messages are only queued: no queue-manager runs.
set -u
. "$(dirname "$0")/../t/lib.sh"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../t/rspamd-lib.sh"
count=${1:-300} runs=${2:-3}
command -v rspamd >/dev/null || die "rspamd missing (Debian package rspamd)"
chmod 711 "$T"
rspamd_start "$T/rspamd" || die "rspamd did not start"

# listen NAME [QMAILQUEUE]: an instance of its own whose smtpd service
# listens on a free port ($PORT_NAME), its run script under
# bench/reaper.py (its pid in $REAPER_NAME, CPU seconds in $T/NAME.cpu);
# with QMAILQUEUE, loopback's tcp.smtp rule names that filter
listen() {
  local port inst=$T/$1; port=$(free_port)
  SMTP_PORT=$port "$BIN/mkinstance" "$inst" localhost >/dev/null || die "mkinstance failed"
  echo "$RSPAMD_ADDR" > "$inst/control/rspamdserver"
  [ -n "${2:-}" ] && sed -i "s|^127\.:allow,RELAYCLIENT=\"\"\$|127.:allow,RELAYCLIENT=\"\",QMAILQUEUE=\"$2\"|" "$inst/control/tcp.smtp"
  $PY "$SRC/bench/reaper.py" "$T/$1.cpu" sh "$inst/service/smtpd/run" >>"$T/$1.log" 2>&1 &
  kill_on_exit $!
  eval "REAPER_$1=$!"
  wait_for 10 $PY -c "import socket; socket.create_connection(('127.0.0.1', $port))" || die "smtpd ($1) did not start: $(cat "$T/$1.log")"
  # the listener the run script became, a child of the reaper: killed at exit too
  kill_on_exit "$(pgrep -P "$(eval echo "\$REAPER_$1")")"
  eval "PORT_$1=$port"
}
listen plain
listen filter "$BIN/rspamd-filter"
grep -q 'QMAILQUEUE=' "$T/filter/control/tcp.smtp" || die "no QMAILQUEUE rule in the filter's tcp.smtp"

# CPU seconds so far: NAME's server tree, that is tcpserver's own
# and its reaped children's (smtpd, and below it queue-writer and
# rspamd-filter; /proc), and the orphans bench/reaper.py reaped (a
# queue-writer that reported before smtpd left)
server_cpu() {
  local r l; eval "r=\$REAPER_$1"
  rm -f "$T/$1.cpu"; kill -USR1 "$r"
  wait_for 5 test -s "$T/$1.cpu" || die "no CPU figure from bench/reaper.py"
  l=$(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$(pgrep -P "$r")/stat") || die "no listener under $r"
  calc "$(cat "$T/$1.cpu") + $l / $(getconf CLK_TCK)" 3
}
rspamd_cpu() {
  local p t=0
  for p in $RSPAMD_PID $(pgrep -P "$RSPAMD_PID"); do
    t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || echo 0)))
  done
  calc "$t / $(getconf CLK_TCK)" 3
}

# alternate: COUNT transactions to each server, one after the other in
# turn (a connection each, as phases.sh alternates, so that both see the
# same moments of a busy machine); "plain_ms filter_ms", the median time
# of one transaction (connect to QUIT's reply) on each
alternate() {
  $PY - "$PORT_plain" "$PORT_filter" "$count" <<'PY'
import smtplib, statistics, sys, time
ports, n = [int(sys.argv[1]), int(sys.argv[2])], int(sys.argv[3])
body = "From: bench@example.org\r\nTo: test@localhost\r\nSubject: quail bench\r\n\r\n" + ("x" * 76 + "\r\n") * 26
times = [[], []]
for i in range(n):
    for k in (0, 1):
        t = time.perf_counter()
        s = smtplib.SMTP("127.0.0.1", ports[k], local_hostname="client.example", timeout=60)
        s.sendmail("bench@example.org", ["test@localhost"], body)
        s.quit()
        times[k].append(time.perf_counter() - t)
print("%.3f %.3f" % tuple(statistics.median(x) * 1000 for x in times))
PY
}

# one run: "plain_ms filter_ms plain_cpu_ms filter_cpu_ms rspamd_cpu_ms"
# per message (the filter's CPU includes rspamd's)
one() {
  local p0 p1 f0 f1 r0 r1 lat
  rm -f "$T"/plain/queue/mess/* "$T"/filter/queue/mess/*
  settle
  p0=$(server_cpu plain) f0=$(server_cpu filter) r0=$(rspamd_cpu)
  lat=$(alternate) || die "the SMTP client failed"
  sleep 1   # the last queue-writers end
  p1=$(server_cpu plain) f1=$(server_cpu filter) r1=$(rspamd_cpu)
  [ "$(ls "$T/plain/queue/mess" "$T/filter/queue/mess" | grep -c '^[0-9][0-9]*$')" -ge $((2 * count)) ] ||
    die "not every message was queued"
  echo "$lat $(calc "($p1 - $p0) * 1000 / $count" 3) $(calc "($f1 - $f0 + $r1 - $r0) * 1000 / $count" 3)" \
    "$(calc "($r1 - $r0) * 1000 / $count" 3)"
}

COOLDOWN=${COOLDOWN:-5}
for ((r = 1; r <= runs; r++)); do
  set -- $(one)
  echo "run $r: no filter $1 ms/msg $3 ms CPU/msg; rspamd-filter $2 ms/msg $4 ms CPU/msg (rspamd $5)"
  echo "$1 $2 $3 $4 $(calc "$2 - $1" 3) $(calc "$4 - $3" 3) $5" >> "$T/runs"
done
med() { cut -d' ' -f"$1" "$T/runs" | median; }
grep -q 'rspamd-filter: qp' "$T/filter.log" || die "rspamd-filter never asked rspamd"
echo "medians of $runs x $count: no filter $(med 1) ms/msg, $(med 3) ms CPU/msg; rspamd-filter $(med 2) ms/msg," \
     "$(med 4) ms CPU/msg (rspamd $(med 7)); each run's difference: +$(med 5) ms, +$(med 6) ms CPU per message (median;" \
     "ranges $(cut -d' ' -f5 "$T/runs" | sort -g | paste -sd' ') ms, $(cut -d' ' -f6 "$T/runs" | sort -g | paste -sd' ') ms CPU)"
