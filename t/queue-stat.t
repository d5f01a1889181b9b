#!/bin/bash
# queue-stat: qmail-qstat's two counts, and failures to read the queue.
. "$(dirname "$0")/lib.sh"
inst_new
Q=$INST/queue

stat_is() { # MESS TMP NAME
  local out
  out=$(queue-stat 2>"$T/err")
  is "$?" 0 "$3: exit 0"
  is "$out" "messages in queue: $1
messages in queue but not yet preprocessed: $2" "$3: counts"
}

stat_is 0 0 "empty queue"

for i in 1 2 3; do printf 'm%s\n' "$i" | qw a@example.org test@localhost; done
stat_is 3 0 "three messages from queue-writer"

# queue-writer's work in progress: tmp/PID.TIME.N and its .env half
touch "$Q/tmp/123.1700000000.0" "$Q/tmp/123.1700000000.0.env" "$Q/tmp/124.1700000000.0"
stat_is 3 2 "two messages still being written (.env halves not counted)"
rm -f "$Q"/tmp/*

# other entries in mess/ are not messages
touch "$Q/mess/notanid" "$Q/mess/.hidden"
stat_is 3 0 "stray files in mess/ not counted"
rm -f "$Q/mess/notanid" "$Q/mess/.hidden"

# a message whose envelope is gone or not there yet still counts once
id=$(ls "$Q/mess" | grep -v env | head -1)
rm -f "$Q/mess/$id.env"
stat_is 3 0 "message without its envelope counted once"

queue-stat extra >/dev/null 2>"$T/err"
is "$?" 100 "an argument: exit 100"
like "$(cat "$T/err")" "usage: queue-stat" "an argument: usage"

QUAIL_HOME=$T/nonexistent queue-stat >/dev/null 2>"$T/err"
is "$?" 111 "missing home: exit 111"
like "$(cat "$T/err")" "queue-stat: fatal: unable to enter the quail home directory $T/nonexistent" "missing home: named"

mv "$Q/tmp" "$Q/tmp.away"
out=$(queue-stat 2>"$T/err"); rc=$?
is "$rc" 111 "missing queue/tmp: exit 111"
is "$out" "" "missing queue/tmp: no half answer on stdout"
like "$(cat "$T/err")" "queue-stat: fatal: unable to read queue/tmp: No such file or directory" "missing queue/tmp: named"
mv "$Q/tmp.away" "$Q/tmp"

if [ "$(id -u)" = 0 ]; then
  chmod 711 "$T"
  out=$(as_nobody "$BIN/queue-stat" 2>&1); rc=$?
  is "$rc" 111 "unreadable queue/mess: exit 111"
  like "$out" "unable to read queue/mess: Permission denied" "unreadable queue/mess: named"
  chmod 755 "$Q/mess"; chmod 000 "$Q/tmp"
  out=$(as_nobody "$BIN/queue-stat" 2>&1); rc=$?
  is "$rc" 111 "unreadable queue/tmp: exit 111"
  like "$out" "unable to read queue/tmp: Permission denied" "unreadable queue/tmp: named"
  chmod 700 "$Q/mess" "$Q/tmp" "$T"
else
  for i in 1 2 3 4; do skip "unreadable directories need root to switch to uid 65534"; done
fi

# output to a closed pipe end or a full device is an error, not silence
if [ -w /dev/full ]; then
  queue-stat >/dev/full 2>"$T/err"
  is "$?" 111 "output error: exit 111"
  like "$(cat "$T/err")" "unable to write to standard output" "output error: named"
else
  skip "no /dev/full"; skip "no /dev/full"
fi
done_testing
