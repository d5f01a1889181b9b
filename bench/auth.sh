#!/bin/bash
# bench/auth.sh: the cost of sender authentication at SMTP acceptance.
# smtpd under tcpserver takes COUNT (500) messages of SIZE (2048) bytes,
# DKIM-signed by dkim-sign, from a Python client over SESSIONS (1 10)
# concurrent sessions, a connection per message, once with SPF, DKIM
# verification and DMARC off and once with them on (control/spf mark,
# QMAILQUEUE=auth-check, keys and policies served by dnsmasq on loopback);
# runs interleaved (off on, on off, ...), medians of RUNS (3). Prints
# accepted messages per second, the machine's busy CPU per message, and
# the ratio. smtpd is started by the instance's own run script; its
# control/tcp.smtp tells smtpd the client is 192.0.2.9 (TCPREMOTEIP) so
# that libspf2 does not pass it as localhost (nothing is sent there), and
# sets QMAILQUEUE when authentication is on.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
. "$here/lib.sh"
runs=${RUNS:-3} count=${COUNT:-500} size=${SIZE:-2048} sessions=${SESSIONS:-1 10}
command -v dnsmasq >/dev/null || die "dnsmasq missing (Debian package dnsmasq-base)"
out=$(mktemp -d "${TMPDIR:-/tmp}/quail-bench-auth.XXXXXX")
pids=
tcp=
trap 'for p in $pids $tcp; do kill $p 2>/dev/null; done; wait 2>/dev/null; rm -rf "$out"' EXIT
inst=$out/quail
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
SMTP_PORT=$port "$src/bin/mkinstance" "$inst" quail.test >/dev/null
export QUAIL_HOME=$inst
echo quail.test > "$inst/control/rcpthosts"

# DNS: the sender's SPF, DKIM key and DMARC policy
rec=$(QUAIL_HOME=$inst "$src/bin/dkim-keygen" sender.test b1 | sed 's/^[^"]*"//; s/"$//')
txt=--txt-record=b1._domainkey.sender.test
while [ -n "$rec" ]; do txt="$txt,${rec:0:200}"; rec=${rec:200}; done
dport=$(/usr/bin/python3 -c 'import socket; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
dnsmasq --keep-in-foreground --port="$dport" --listen-address=127.0.0.1 --bind-interfaces --no-resolv \
  --no-hosts --local=/test/ --pid-file= "$txt" \
  --txt-record=sender.test,"v=spf1 ip4:192.0.2.9 -all" \
  --txt-record=_dmarc.sender.test,"v=DMARC1; p=reject" 2>"$out/dnsmasq.err" & pids="$pids $!"
printf 'nameserver 127.0.0.1#%s\noptions timeout:1 attempts:1\n' "$dport" > "$out/resolv.conf"
export QUAIL_RESOLVCONF=$out/resolv.conf

# the message, signed once
envf() { printf 'F%s\0T%s\0\0' "$1" "$2"; }
printf '#!/bin/sh\ncat > "%s"\n' "$out/msg" > "$out/keep"; chmod +x "$out/keep"
message a@sender.test test@quail.test "$size" | DKIMQUEUE=$out/keep "$src/bin/dkim-sign" 1< <(envf a@sender.test test@quail.test)
grep -q '^DKIM-Signature' "$out/msg" 2>/dev/null || die "dkim-sign did not sign the bench message"

start() { # off|on
  local rule='127.:allow,TCPREMOTEIP="192.0.2.9"'
  if [ "$1" = on ]; then echo mark > "$inst/control/spf"; rule="$rule,QMAILQUEUE=\"$src/bin/auth-check\""
  else rm -f "$inst/control/spf"; fi
  printf '%s\n' "$rule" > "$inst/control/tcp.smtp"
  rm -f "$inst/control/tcp.smtp.cdb"   # compiled again by the run script
  service_start "$inst" smtpd; tcp=$service
}
stop() { kill "$tcp"; wait "$tcp" 2>/dev/null || true; tcp=; }

cat > "$out/send.py" <<'PY'
import smtplib, sys, threading
port, sessions, count, path = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
msg = open(path, "rb").read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
left = [count]; lock = threading.Lock(); bad = [0]
def worker():
    while True:
        with lock:
            if left[0] == 0: return
            left[0] -= 1
        try:
            s = smtplib.SMTP("127.0.0.1", port, local_hostname="client.test", timeout=30)
            s.sendmail("a@sender.test", ["test@quail.test"], msg)
            s.quit()
        except Exception as e:
            bad[0] += 1
            if bad[0] == 1: print("send.py:", e, file=sys.stderr)
ts = [threading.Thread(target=worker) for _ in range(sessions)]
[t.start() for t in ts]; [t.join() for t in ts]
sys.exit(1 if bad[0] else 0)
PY

one() { # MODE SESSIONS: "rate cpu_ms"
  local c0 t0 t1 c1
  rm -f "$inst"/queue/mess/* 2>/dev/null || true
  start "$1"
  settle
  c0=$(cpu_busy); t0=$(now)
  /usr/bin/python3 "$out/send.py" "$port" "$2" "$count" "$out/msg" || die "sending failed ($1)"
  t1=$(now); c1=$(cpu_busy)
  stop
  [ "$(ls "$inst/queue/mess" | grep -c '^[0-9]*$')" -ge "$count" ] || die "not every message was queued ($1)"
  echo "$(calc "$count / ($t1 - $t0)" 0) $(calc "($c1 - $c0) * 1000 / $count" 2)"
}

printf '%-10s %-8s %12s %14s\n' sessions auth "accepted/s" "cpu ms/msg"
for s in $sessions; do
  : > "$out/off" ; : > "$out/on"
  for r in $(seq 1 "$runs"); do
    if [ $((r % 2)) = 1 ]; then order="off on"; else order="on off"; fi
    for m in $order; do one "$m" "$s" >> "$out/$m"; done
  done
  for m in off on; do
    rate=$(cut -d' ' -f1 "$out/$m" | median); cpu=$(cut -d' ' -f2 "$out/$m" | median)
    printf '%-10s %-8s %12s %14s\n' "$s" "$m" "$rate" "$cpu"
    eval "rate_$m=$rate cpu_$m=$cpu"
  done
  printf '%-10s %-8s %12s %14s\n' "$s" "on/off" "$(calc "$rate_on / $rate_off" 2)" "+$(calc "$cpu_on - $cpu_off" 2)"
done
