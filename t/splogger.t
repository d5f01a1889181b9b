#!/bin/bash
# splogger: qmail's logging through syslog, against a real syslog daemon
# (busybox syslogd) on a private /dev/log: a mount namespace of the test's
# own gets a /dev of the test's (null, zero, urandom bound in), where
# syslogd makes its socket and writes what it receives to a file.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip_all "needs root (a mount namespace for a private /dev/log)"
command -v busybox >/dev/null || skip_all "needs busybox (syslogd): apt-get install busybox"
unshare -m true 2>/dev/null || skip_all "unshare -m is not allowed here"
LOG=$T/syslog

# in_ns LINES SCRIPT: run SCRIPT (bash) beside a syslogd on a private
# /dev/log, until the log file has LINES lines (syslogd's own "started" counts)
in_ns() {
  mkdir -p "$T/dev"
  for n in null zero urandom; do : > "$T/dev/$n"; done
  rm -f "$T/dev/log"    # the last syslogd's socket: wait for this one's
  : > "$LOG"
  unshare -m --propagation private bash -c '
    for n in null zero urandom; do mount --bind /dev/$n "$T/dev/$n" || exit 1; done
    mount --bind "$T/dev" /dev || exit 1
    busybox syslogd -n -O "$LOG" & pid=$!
    i=0; while [ ! -S /dev/log ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
    eval "$SCRIPT"
    i=0; while [ "$(wc -l < "$LOG")" -lt "$LINES" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
    kill $pid; wait $pid' 2>/dev/null
}
export T LOG BIN

LINES=5 SCRIPT='printf "hello world\nwarning: careful\n\n   \nalert: fire\001here\n" | "$BIN/splogger" quailtest' in_ns
l=$(cat "$LOG")
like "$l" 'mail\.info quailtest: [0-9]+\.[0-9]{6} hello world' "a line: the tag, a numeric stamp, the text, facility mail (2) by default, LOG_INFO"
like "$l" 'mail\.warn quailtest: [0-9]+\.[0-9]{6} warning: careful' "warning: at LOG_WARNING"
like "$l" 'mail\.alert quailtest: [0-9]+\.[0-9]{6} alert: fire\?here' "alert: at LOG_ALERT, an unprintable byte as ?"
is "$(grep -c 'quailtest:' "$LOG")" 4 "a blank line is not logged (the line of spaces is)"

long=$(head -c 2000 /dev/zero | tr '\0' x)
LINES=5 SCRIPT='printf "%s\nafter\n" "$LONG" | "$BIN/splogger" fold 3' LONG=$long in_ns
like "$(cat "$LOG")" 'daemon\.info fold: ([0-9.]+) x{800}' "facility 3 is daemon; the first 800 bytes"
s=$(sed -n 's/.* fold: \([0-9.]*\) x.*/\1/p' "$LOG")
is "$(grep -c "fold: $s+x" "$LOG")" 2 "a 2000-byte line folded into 800-byte pieces, each further one marked STAMP+"
is "$(grep "fold: $s+x" "$LOG" | tail -1 | sed 's/.*+//' | tr -d '\n' | wc -c)" 400 "the last piece holds the rest"
like "$(cat "$LOG")" 'fold: [0-9.]+ after' "the next line starts anew"

LINES=2 SCRIPT='echo plain | "$BIN/splogger"' in_ns
like "$(cat "$LOG")" 'mail\.info splogger: [0-9.]+ plain' "no arguments: the tag splogger"

splogger a 2 c </dev/null 2>/dev/null; is "$?" 100 "three arguments: usage, 100"
splogger a mail </dev/null 2>/dev/null; is "$?" 100 "a facility that is not a number: 100"
splogger a 24 </dev/null 2>/dev/null; is "$?" 100 "a facility past local7 (23): 100"
echo x | splogger a 2; is "$?" 0 "no syslog daemon listening: still exits 0 (syslog is unreliable)"
done_testing
