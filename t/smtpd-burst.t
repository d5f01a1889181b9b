#!/bin/bash
# A burst of 60 simultaneous SMTP clients against the shipped run script
# (run/smtpd/run through quail-listen and tcpserver) with
# concurrencyincoming at 20: the clients above the limit wait in the
# listen backlog and are served in turn; every one gets its greeting and
# every message is queued. The instance runs in a network namespace of its
# own, so that the kernel's counters of SYNs and connections dropped at a
# full listen queue are this test's alone: they must stay at 0 (with
# tcpserver's default backlog of 20 they do not, and the clients beyond it
# wait a second or more to retry). No timing is asserted.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netns-lib.sh"
ns_need
command -v nstat >/dev/null || skip_all "nstat (iproute2) is not installed"
N=60
ns_host mx
ns_inst mx "$T/mx" mx.burst.test
echo 20 >"$T/mx/control/concurrencyincoming"
ns_service mx "$T/mx" smtpd
like "$(cat "$T/mx/smtpd.log")" 'status: 0/20' "tcpserver: at most 20 sessions"
like "$(ns mx ss -ltnH 'sport = :25')" '^LISTEN +0 +1024 ' "listen backlog 1024, above the burst"

ns mx "$PY" - "$N" >"$T/burst.out" 2>"$T/burst.err" <<'EOF'
import smtplib, sys, threading
n = int(sys.argv[1])
go = threading.Barrier(n)
greeted, sent = [], []
def client(i):
    go.wait()
    try:
        s = smtplib.SMTP(timeout=120)
        code, _ = s.connect('127.0.0.1', 25)
        if code == 220: greeted.append(i)
        s.sendmail('a@example.org', ['test@mx.burst.test'],
                   'Subject: burst %d\r\n\r\nmessage %d\r\n' % (i, i))
        s.quit()
        sent.append(i)
    except Exception as e:
        print('client %d: %r' % (i, e), file=sys.stderr)
ts = [threading.Thread(target=client, args=(i,)) for i in range(n)]
for t in ts: t.start()
for t in ts: t.join()
print(len(greeted), len(sent))
EOF
is "$(cat "$T/burst.out")" "$N $N" "all $N clients greeted and their messages accepted"
is "$(ls "$T/mx/queue/mess" | grep -c '^[0-9]*$')" "$N" "all $N messages queued"
is "$(ns mx nstat -asz TcpExtListenOverflows TcpExtListenDrops | awk 'NR > 1 { s += $2 } END { print s + 0 }')" 0 \
  "no connection dropped at a full listen queue"
like "$(grep -c ' ok ' "$T/mx/smtpd.log")" "^($N|$((N + 1)))\$" "tcpserver served each of them (and the start-up probe)"
done_testing
