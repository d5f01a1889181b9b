#!/bin/bash
# covers cmd/mbox2maildir.c
# mbox2maildir: usage and environment, a missing or foreign file, three
# messages split with their senders, dates and >From quoting undone, a
# line longer than any buffer, a round trip through maildir2mbox, the lock
# honoured, an unwritable Maildir, and a kill -9 before the mbox is
# emptied or between two messages (strace): nothing is ever lost.
. "$(dirname "$0")/lib.sh"
M2D=$BIN/mbox2maildir
MB=$T/mbox
MD=$T/Maildir
maildirmake "$MD"
run() { out=$(MAIL="$MB" MAILDIR="$MD" "$M2D" 2>&1); rc=$?; }

"$M2D" x >/dev/null 2>&1
is "$?" 100 "an argument: usage, 100"
out=$(env -u MAIL MAILDIR="$MD" "$M2D" 2>&1)
is "$?" 111 "MAIL unset: 111"
like "$out" "MAIL is not set" "says which"
run
is "$rc" 0 "no mbox: nothing to do, 0"

printf 'Subject: not an mbox\n\nhello\n' > "$MB"
run
is "$rc" 100 "a file that is not an mbox: 100"
like "$out" "is not an mbox" "says so"
is "$(cat "$MB")" "$(printf 'Subject: not an mbox\n\nhello')" "and leaves it alone"

long=$(head -c 200000 /dev/zero | tr '\0' y)
{
  printf 'From a@x.example Sat Feb  3 04:05:06 2001\nSubject: one\n\n>From quoted\n>>From twice\nFrom-not-a-separator\n\n'
  printf 'From MAILER-DAEMON Sun Feb  4 04:05:06 2001\nSubject: two\n\nbody\n\nafter an empty line\n%s\n\n' "$long"
  printf 'From b@x.example Mon Feb  5 04:05:06 2001\nReturn-Path: <c@y.example>\nSubject: three\n\nlast\n\n'
} > "$MB"
run
is "$rc" 0 "three messages: 0"
is "$(md_count "$MD")" 3 "three messages in new/"
is "$(stat -c %s "$MB")" 0 "the mbox is emptied"
f1=$(md_grep "$MD" 'Subject: one'); f2=$(md_grep "$MD" 'Subject: two'); f3=$(md_grep "$MD" 'Subject: three')
is "$(cat "$f1")" "$(printf 'Return-Path: <a@x.example>\nSubject: one\n\nFrom quoted\n>From twice\nFrom-not-a-separator')" \
  "the first: Return-Path from the From line, quoting undone, the separator dropped"
is "$(head -n 1 "$f2")" "Return-Path: <>" "MAILER-DAEMON is the null sender"
is "$(cat "$f2")" "$(printf 'Return-Path: <>\nSubject: two\n\nbody\n\nafter an empty line\n%s' "$long")" "an empty line inside a message and a 200 KB line kept"
is "$(grep -c '^Return-Path:' "$f3")" 1 "a message with its own Return-Path gets no second one"
is "$(head -n 1 "$f3")" "Return-Path: <c@y.example>" "and keeps its own"
is "$(date -u -r "$f1" '+%Y-%m-%d %H:%M:%S')" "2001-02-03 04:05:06" "the delivered file has the From line's date"

# a round trip: Maildir -> maildir2mbox -> mbox2maildir gives the same messages
MD2=$T/Maildir2
maildirmake "$MD2"
for f in "$MD"/new/*; do cat "$f"; echo '#'; done | sort > "$T/before"
MAILDIR="$MD" MAIL="$T/rt" maildir2mbox
MAIL="$T/rt" MAILDIR="$MD2" "$M2D"
is "$?" 0 "round trip: 0"
for f in "$MD2"/new/*; do cat "$f"; echo '#'; done | sort > "$T/after"
ok "round trip: the same messages, byte for byte" cmp -s "$T/before" "$T/after"

# the lock: a reader holding the mbox's flock delays us, then we go on
printf 'From a@x.example Sat Feb  3 04:05:06 2001\nSubject: locked\n\nx\n' > "$MB"
flock "$MB" sleep 1 &
sleep 0.2
run
is "$rc" 0 "a locked mbox: waited for, then 0"
ok "its message delivered" md_grep "$MD" 'Subject: locked'
wait

# a Maildir that cannot be written: failure, the mbox whole
printf 'From a@x.example Sat Feb  3 04:05:06 2001\nSubject: stays\n\nx\n' > "$MB"
cp "$MB" "$T/mbox.copy"
out=$(MAIL="$MB" MAILDIR="$T/none" "$M2D" 2>&1); rc=$?
is "$rc" 111 "an unwritable Maildir: 111"
like "$out" "unable to write a message into $T/none" "says where"
ok "the mbox is whole" cmp -s "$MB" "$T/mbox.copy"

# kill -9 at the worst moments (strace injects the signal at the call)
if command -v strace >/dev/null && strace -f -o /dev/null true 2>/dev/null; then
  MD3=$T/Maildir3
  maildirmake "$MD3"
  printf 'From a@x.example Sat Feb  3 04:05:06 2001\nSubject: k1\n\nx\n\nFrom a@x.example Sat Feb  3 04:05:07 2001\nSubject: k2\n\ny\n' > "$MB"
  cp "$MB" "$T/mbox.copy"
  MAIL="$MB" MAILDIR="$MD3" strace -f -o /dev/null -e trace=ftruncate -e inject=ftruncate:signal=SIGKILL "$M2D" 2>/dev/null
  ok "killed before emptying: the mbox is whole" cmp -s "$MB" "$T/mbox.copy"
  is "$(md_count "$MD3")" 2 "and both messages are in new/ (a second run would repeat them, never lose them)"
  rm -f "$MD3"/new/*
  MAIL="$MB" MAILDIR="$MD3" strace -f -o /dev/null -e trace=renameat2,linkat,link,rename -e inject=renameat2,linkat,link,rename:signal=SIGKILL:when=2 "$M2D" 2>/dev/null
  ok "killed at the second message's link: the mbox is whole" cmp -s "$MB" "$T/mbox.copy"
  is "$(md_count "$MD3")" 1 "the first message whole in new/, the second not at all"
  run_md3() { out=$(MAIL="$MB" MAILDIR="$MD3" "$M2D" 2>&1); rc=$?; }
  run_md3
  is "$rc" 0 "a second run: 0"
  is "$(cat "$MD3"/new/* | grep -c '^Subject: k2')" 1 "delivers what was missing"
else
  for i in 1 2 3 4 5 6; do skip "strace cannot trace here"; done
fi
done_testing
