#!/bin/bash
# queue-manager with a big queue: after a restart, a new message is started
# while the scan of the queue is still under way (it is not made to wait
# for 3,000 queued messages to be read first), and the scan still loads
# every one of them; a message queued while queue-manager was down (no
# trigger heard) is loaded before the backlog.
. "$(dirname "$0")/lib.sh"
inst_new
LOG=$INST/qm.log
N=3000
# N messages for a remote domain, each with its envelope file, as
# queue-manager leaves a deferred message: next try (the .env's mtime) a
# day ahead; each named by its inode, as queue-writer names them
$PY - "$INST/queue/mess" "$N" <<'PY'
import os, sys, time
mess, n = sys.argv[1], int(sys.argv[2])
later = time.time() + 86400
for k in range(n):
    t = os.path.join(mess, "new.%d" % k)
    with open(t, "w") as f:
        f.write("Subject: backlog %d\n\nbody\n" % k)
    i = os.stat(t).st_ino
    os.rename(t, os.path.join(mess, str(i)))
    e = os.path.join(mess, "%d.env" % i)
    with open(e, "wb") as f:
        f.write(b"Fa@example.org\0Tr%d@far.example\0\0" % k)
    os.utime(e, (later, later))
PY
is "$(q_ids "$INST/queue" | wc -l)" "$N" "$N messages queued"
# a new local message whose trigger is waiting when queue-manager starts
# (the FIFO held open here so that the line stays in it)
exec 7<>"$INST/queue/lock/trigger"
printf 'Subject: new\n\nnew one\n' | qw a@example.org test@localhost
is "$?" 0 "a new message queued"
qm_start
exec 7>&-
ok "the new message delivered" wait_for 60 md_has "$MD" 1
ok "every queued message loaded" wait_for 60 sh -c "[ \$(grep -c 'new msg' '$LOG') -ge $((N + 1)) ]"
first=$(grep -n 'starting delivery' "$LOG" | head -1 | cut -d: -f1)
last=$(grep -n 'new msg' "$LOG" | tail -1 | cut -d: -f1)
like "$(sed -n "${first}p" "$LOG")" "to local test@localhost" "the first delivery started is the new message's"
before() { [ "${first:-0}" -gt 0 ] && [ "$first" -lt "$last" ]; }
ok "started before the scan of the queue ended (line ${first:-none}, the last load on line $last)" before
is "$(grep -c 'to remote' "$LOG")" 0 "no queued message tried before its time"
qm_stop

# a message queued while no queue-manager runs (its trigger lost): after
# the restart it is the first one loaded, not found at some point of the
# scan of the backlog
printf 'Subject: across\n\nqueued across a restart\n' | qw a@example.org test@localhost
is "$?" 0 "a message queued while queue-manager is down"
from=$(($(wc -l < "$LOG") + 1))
qm_start
ok "delivered after the restart" wait_for 60 md_has "$MD" 2
ok "every queued message loaded again" wait_for 60 sh -c "[ \$(tail -n +$from '$LOG' | grep -c 'new msg') -ge $((N + 1)) ]"
if xattr_ok "$INST/queue/mess"; then
  id=$(tail -n +$from "$LOG" | sed -n 's/.*starting delivery [0-9]*: msg \([0-9]*\) to local.*/\1/p' | head -1)
  is "$(tail -n +$from "$LOG" | sed -n 's/^new msg \([0-9]*\)$/\1/p' | head -1)" "${id:-none}" "it is the first message loaded"
else
  skip "no user xattrs here: queue-writer gives every message a .env file"
fi
qm_stop
done_testing
