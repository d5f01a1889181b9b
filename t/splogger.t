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
export T LOG BIN INPUT SCRIPT PY

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
# -t: a tee, for control/logto's both (quail-log(8))
input=$(printf 'one\n\nwarning: two\001\n')
LINES=3 SCRIPT='printf "%s\n" "$INPUT" | "$BIN/splogger" -t tee > "$T/tee.out"' INPUT=$input in_ns
is "$(cat "$T/tee.out")" "$input" "-t: every byte read is copied to stdout, blank lines and control bytes too"
like "$(cat "$LOG")" 'mail\.warn tee: [0-9.]+ warning: two\?' "  and the lines still go to syslog"

# -t with nobody reading stdout (svlogd gone): the lines read are still
# sent to syslog, then 111
LINES=2 SCRIPT='$PY -c "import os, subprocess, sys
r, w = os.pipe(); os.close(r)
print(subprocess.run([sys.argv[1], \"-t\", \"lost\"], input=b\"one\\n\", stdout=w, stderr=subprocess.DEVNULL).returncode)" "$BIN/splogger" > "$T/lost.rc"' in_ns
is "$(cat "$T/lost.rc")" 111 "-t, stdout's reader gone: 111"
like "$(cat "$LOG")" 'lost: [0-9.]+ one' "  after sending what it read to syslog"

# SIGTERM (runsv stopping the log service) ends splogger with exit 0, once
# what it read is logged; the input stays open, so only the signal ends it
LINES=2 SCRIPT='mkfifo "$T/fifo"; exec 3<>"$T/fifo"; "$BIN/splogger" term <&3 & p=$!
  echo first >&3
  i=0; while ! grep -q "term: .* first" "$LOG" && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
  kill -TERM $p; wait $p; echo $? > "$T/term.rc"' in_ns
like "$(cat "$LOG")" 'term: [0-9.]+ first' "a line read before SIGTERM is logged"
is "$(cat "$T/term.rc")" 0 "SIGTERM: splogger exits 0"

# no syslog daemon (a private /dev without a log socket, whatever the
# machine runs): the lines are not dropped without a word
no_syslog() {
  unshare -m --propagation private bash -c '
    mount -t tmpfs quail-dev /dev && mknod -m 666 /dev/null c 1 3 || exit 1
    eval "$SCRIPT"'
}
SCRIPT='printf "x\ny\n" | "$BIN/splogger" a 2 >"$T/out" 2>&1; echo $? > "$T/rc"' no_syslog
is "$(cat "$T/rc")" 0 "no syslog daemon listening: still exits 0"
out=$(cat "$T/out")
like "$out" '^splogger: warning: lines go to standard error until syslog takes them: unable to send to /dev/log: ' \
  "  says once on stderr that syslog takes nothing"
like "$out" $'\na: [0-9]+\\.[0-9]{6} x\na: [0-9]+\\.[0-9]{6} y$' "  and writes each line there, TAG: STAMP LINE"
SCRIPT='echo z | "$BIN/splogger" -t a >"$T/out" 2>"$T/err"' no_syslog
is "$(cat "$T/out")" z "-t without a syslog daemon: the line on stdout"
like "$(cat "$T/err")" 'lines go to standard output only until syslog takes them' "  a warning on stderr"
is "$(grep -c ' z$' "$T/err")" 0 "  and not the line again"
splogger -x a </dev/null 2>/dev/null; is "$?" 100 "an unknown option: usage, 100"
done_testing
