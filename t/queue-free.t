#!/bin/bash
# queue/free under kill -9 (lib/qfree.c, quail-queue(5)): queue-manager and
# queue-writer are killed by strace before each system call of the
# protocol (strace -e inject=SYSCALL:signal=SIGKILL:when=N stops the
# program as it enters its Nth SYSCALL, which is then not made), the
# queue is started again, and then no acknowledged message is lost, no
# file in free/ is handed out twice and no finished message's bytes come
# back. The programs are the installed ones: nothing in them is there
# for the test.
. "$(dirname "$0")/lib.sh"
sh -c 'strace -qq -o /dev/null -e inject=write:signal=SIGKILL /bin/echo x; echo $?' 2>/dev/null |
  grep -qx 137 || skip_all "strace cannot inject a signal here"

msg() { printf 'Subject: %s\n\nbody of %s\n' "$1" "$1"; }
# delivered SUBJECT: how many times it is in the test Maildir
delivered() { grep -lx "Subject: $1" "$MD"/new/* "$MD"/cur/* 2>/dev/null | wc -l; }
# hidden: files in free/ still hidden as .NAME
hidden() { ls -A "$INST/queue/free" | grep -c '^\.'; }
settled() { queue_empty && [ "$(hidden)" = 0 ]; }
# traced PROG SYSCALL N: PROG killed as it enters its Nth SYSCALL; $! the strace
# queued_subjects: the Subject lines of the messages in the queue
queued_subjects() { local i; for i in $(q_ids "$INST/queue"); do grep -m1 '^Subject:' "$INST/queue/mess/$i"; done; }
# over: the traced manager $spid was killed, or has finished its work
over() { ! kill -0 $spid 2>/dev/null || { settled && [ -n "$(ls "$INST/queue/free")" ]; }; }
traced() { exec strace -qq -o /dev/null -e trace="$2" -e inject="$2:signal=SIGKILL:when=$3" "$BIN/$1"; }

# the manager's side: m1 to m3 queued (m2 with an envelope file where
# attributes work: 70 recipients); the manager killed at its Nth SYSCALL;
# started again; then n1 to n3 queued into the files it gave to free/
long=$(head -c 950 /dev/zero | tr '\0' s)@example.org
manager_case() { # SYSCALL N [AGAIN]; returns 1 when the manager ran N times without it
  local s=$1 n=$2 i pid rcpts=() fin= c0 ids
  # AGAIN: the first restart is killed too, at its first renameat2 (offering
  # the files the first manager left hidden)
  rm -rf "$T/inst"; inst_new
  for i in $(seq 70); do rcpts+=(test@localhost); done
  msg m1 | qw a@example.org test@localhost && msg m2 | qw "$long" "${rcpts[@]}" &&
    msg m3 | qw a@example.org test@localhost || { fail "$s $n: queued m1 to m3"; return 0; }
  traced queue-manager "$s" "$n" >>"$INST/qm.log" 2>&1 &
  disown
  spid=$!
  wait_for 20 over
  if kill -0 $spid 2>/dev/null; then       # not killed: N is past the last call
    pid=$(pgrep -P $spid); kill "$pid"; wait $spid
    return 1
  fi
  wait $spid
  for i in m1 m2 m3; do                    # finished before the kill: envelope gone
    queued_subjects | grep -qx "Subject: $i" || fin="$fin $i:$(delivered $i)"
  done
  if [ -n "${3:-}" ]; then
    i=$(hidden)
    traced queue-manager renameat2 1 >>"$INST/qm.log" 2>&1 &
    spid=$!; disown
    ok "$s $n: the restart killed at its first renameat2 ($i hidden)" wait_for 20 sh -c "! kill -0 $spid 2>/dev/null"
    n="$n, then renameat2 1"
  fi
  qm_start
  ok "$s $n: the queue is done after a restart" wait_for 20 settled
  qm_stop
  c0=0
  for i in m1 m2 m3; do [ "$(delivered $i)" -ge 1 ] || c0=1; done
  is "$c0" 0 "$s $n: m1 to m3, acknowledged, delivered"
  c0=0
  for i in $fin; do [ "$(delivered ${i%:*})" = "${i#*:}" ] || c0=1; done
  is "$c0" 0 "$s $n: no message finished before the kill came back ($fin )"
  is "$(find "$INST/queue" -type f -links +1 | wc -l)" 0 "$s $n: every queue file has one name"
  for i in n1 n2 n3; do msg $i | qw b@example.org test@localhost || fail "$s $n: queued $i"; done
  ids=$(q_ids "$INST/queue")
  is "$(echo $ids | wc -w)" 3 "$s $n: n1 to n3 in three files, none handed out twice"
  unlike "$(for i in $ids; do cat "$INST/queue/mess/$i"; done)" "body of m" "$s $n: none holds bytes of m1 to m3"
  qm_start
  ok "$s $n: n1 to n3 done" wait_for 20 settled
  qm_stop
  is "$(delivered n1)$(delivered n2)$(delivered n3)" 111 "$s $n: n1 to n3 delivered once each"
  unlike "$(md_cat "$MD" | grep -A2 '^Subject: n')" "body of m" "$s $n: with their own bytes"
  return 0
}
for s in renameat2 fsync; do
  n=1
  while manager_case $s $n; do n=$((n + 1)); done
  ok "queue-manager killed at each of its $((n - 1)) ${s} calls" test $n -gt 2
done
# killed after it hid m1 to m3 (before its fifth renameat2, m2 and its
# envelope file taking two)
# and its first fsync of mess/ since, and again as it starts to offer them
manager_case renameat2 5 again

# the writer's side: free/ holds two files of an old message (one with the
# old envelope as its attribute where attributes work); a writer is killed
# before each of its system calls from its look into free/ on, as counted
# in one run it makes untraced; then two writers more
rm -rf "$T/inst"; inst_new
Q=$INST/queue
old_files() {
  rm -rf "$Q"/mess/* "$Q"/tmp/* "$Q"/free/* "$Q"/free/.[!.]*
  printf 'Subject: old\n\nsecret old bytes\n' > "$Q/free/900.1"
  printf 'Fold@x\0Tvictim@x\0\0' > "$Q/free/900.2"
  xattr_ok "$Q" && $PY -c 'import os,sys; os.setxattr(sys.argv[1], "user.quail.env", b"Fold@x\0Tvictim@x\0\0")' "$Q/free/900.1"
  sum0=$(cd "$Q/free" && cat 900.1 900.2 | md5sum)
}
# untouched: what is left in free/ is as it was (a writer writes only into
# a file it has taken out of free/)
untouched() { local f; for f in $(ls "$Q/free"); do cmp -s "$Q/free/$f" <(printf 'Subject: old\n\nsecret old bytes\n') ||
  cmp -s "$Q/free/$f" <(printf 'Fold@x\0Tvictim@x\0\0') || return 1; done; }
old_files
msg k | strace -qq -o "$T/qw.trace" "$BIN/queue-writer" 1< <(envelope k@example.org test@localhost)
calls=$(sed -n '/^open.*"free"/,$p' "$T/qw.trace" | sed -n 's/^\([a-z0-9_]*\)(.*/\1/p' | grep -v '^exit' |
  awk '{ print $1 ":" ++n[$1] }')
ok "queue-writer looks into free/ (traced)" test -n "$calls"
for c in $calls; do
  s=${c%:*} n=${c#*:}
  old_files
  (msg k | traced queue-writer "$s" "$n" 1< <(envelope k@example.org test@localhost)) 2>/dev/null
  is "$?" 137 "$s $n: queue-writer killed"
  ok "$s $n: free/ holds only untouched files" untouched
  for i in a b; do msg $i | qw $i@example.org test@localhost || fail "$s $n: queued $i after the kill"; done
  ids=$(q_ids "$Q")
  k=$(queued_subjects | grep -c '^Subject: k$')
  is "$(echo $ids | wc -w)" $((2 + k)) "$s $n: a and b in files of their own (the killed one's message: $k)"
  unlike "$(cat "$Q"/mess/* | tr -d '\0')" "secret old|victim" "$s $n: no old bytes, no old envelope in mess/"
  is "$(queued_subjects | sort | paste -sd,)" "Subject: a,Subject: b$([ $k = 0 ] || echo ,Subject: k)" \
    "$s $n: each message whole"
done
done_testing
