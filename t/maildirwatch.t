#!/bin/bash
# maildirwatch: the summary of unread mail it prints (twice a minute, into
# a window it clears first), read here from a file instead of a terminal:
# each run is stopped after its first summary.
. "$(dirname "$0")/lib.sh"
inst_new
qm_start
printf 'From: Alice <alice@example.org>\nSubject: lunch?\n\nx\n' | sendmail -f alice@example.org test@localhost
printf 'From: Bob <bob@example.org>\nSubject: \033[2Jescape\n\ny\n' | sendmail -f bob@example.org test@localhost
ok "two messages delivered" wait_for 10 md_has "$MD" 2

# watch: the first summary of a maildirwatch on MAILDIR, in $T/watch.out
watch() {
  : > "$T/watch.out"
  MAILDIR=$1 maildirwatch > "$T/watch.out" 2>&1 &
  local pid=$!
  kill_on_exit $pid
  wait_for 10 grep -q "new message" "$T/watch.out"
  wait_for 5 test "$(tail -c 1 "$T/watch.out" | od -An -c | tr -d ' ')" = '\n'
  kill $pid; wait $pid 2>/dev/null
}
watch "$MD"
w=$(cat "$T/watch.out")
is "$(head -c 6 "$T/watch.out" | od -An -tx1 | tr -d ' \n')" "1b5b481b5b4a" "it clears the window first (ESC [H ESC [J)"
like "$w" "$(hostname): 2 new messages in $MD" "a count line naming the host and the Maildir"
like "$w" "From: Alice <alice@example.org>
Subject: lunch\\?" "the first message: From and Subject"
like "$w" "Subject: \\?\\[2Jescape" "an escape byte in a subject shown as ?"
a=$(grep -n 'Alice' "$T/watch.out" | cut -d: -f1); b=$(grep -n 'Bob' "$T/watch.out" | cut -d: -f1)
ok "oldest first" test "$a" -lt "$b"

# a message read (moved to cur/ with the S flag) is no longer new
f=$(ls "$MD/new" | head -1)
mv "$MD/new/$f" "$MD/cur/$f:2,S"
watch "$MD"
like "$(cat "$T/watch.out")" ": 1 new message in " "a seen message is not counted"
g=$(ls "$MD/new" | head -1)
mv "$MD/new/$g" "$MD/cur/$g:2,"
watch "$MD"
like "$(cat "$T/watch.out")" ": 1 new message in " "one in cur/ without S still is"

env -u MAILDIR maildirwatch 2>/dev/null </dev/null; is "$?" 100 "MAILDIR not set: 100"
MAILDIR=$T/none maildirwatch 2>/dev/null </dev/null; is "$?" 111 "a MAILDIR that is not there: 111"
done_testing
