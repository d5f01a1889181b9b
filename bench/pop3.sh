#!/bin/bash
# bench/pop3.sh: POP3 downloads of N (10000) messages of SIZE (4096) bytes:
# one session logs in, STATs, LISTs, UIDLs, RETRs every message and QUITs;
# then fresh login + STAT sessions. quail (tcpserver, pop3-login,
# checkpassword, pop3d) and Dovecot's POP3 server are measured on the same
# Maildir in the same run, one server at a time, with the shared yardstick
# (../shared/bench/pop3-retr.sh and pop3-client.c): seconds, MB/s, server CPU.
#
# The full comparison needs root and the user bench (postfix-anchor.sh
# setup); Dovecot is set up with dovecot-anchor.sh setup when missing
# (DOVECOT=0 skips it). Otherwise quail runs alone on an instance's own
# Maildir, measured with pop3-client.c the same way.
# bench's password hash in quail's database is SHA-512-crypt by default
# (2.5 ms to check; Dovecot's anchor keeps a plaintext password):
# SCHEME=yescrypt measures with quail-passwd's default (25 ms).
# env: N SIZE RUNS (3) SCHEME (sha512) PORT (2112) DOVECOT (1) COOLDOWN (10)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
. "$here/lib.sh"
shared=${SHARED_BENCH:-$src/../shared/bench}
n=${N:-10000} size=${SIZE:-4096} runs=${RUNS:-3} scheme=${SCHEME:-sha512} port=${PORT:-2112}
out=$(mktemp -d "${TMPDIR:-/tmp}/quail-pop3-bench.XXXXXX")
inst=$out/quail
POP3_PORT=$port "$src/bin/mkinstance" "$inst" quail.test >/dev/null

full=0
if [ "$(id -u)" = 0 ] && id bench >/dev/null 2>&1 && [ -x "$shared/pop3-retr.sh" ]; then full=1; fi

# quail's POP3 service for pop3-retr.sh: START and STOP are shell commands;
# the instance's own run script (tcp.pop3 allows plaintext from loopback)
start="sh $inst/service/pop3d/run >>$out/pop3.log 2>&1 & echo \$! > $out/tcpserver.pid"
stop="if [ -s $out/tcpserver.pid ]; then kill \$(cat $out/tcpserver.pid) 2>/dev/null; rm -f $out/tcpserver.pid; sleep 0.3; fi; true"

summary() { # FILE KEY METRIC: a figure from pop3-retr.sh's summary lines
  local line
  if [ "$2" = retr ]; then line=$(grep '^summary (median' "$1" || true); else line=$(grep "^summary $2:" "$1" || true); fi
  echo "$line" | tr ' ' '\n' | sed -n "s/^$3=//p" | head -1
}

if [ $full = 1 ]; then
  printf 'bench\n' | QUAIL_HOME=$inst "$src/bin/quail-passwd" add -s "$scheme" bench "$(id -u bench)" "$(id -g bench)" /home/bench
  echo "bench: quail on 127.0.0.1:$port, /home/bench/Maildir, hash $scheme" >&2
  MAILDIR=/home/bench/Maildir POP_USER=bench POP_PASS=bench START=$start STOP=$stop N=$n SIZE=$size RUNS=$runs \
    "$shared/pop3-retr.sh" "127.0.0.1:$port" | tee "$out/quail.txt" >&2
  dovecot=0
  if [ "${DOVECOT:-1}" = 1 ] && [ -x "$shared/dovecot-anchor.sh" ]; then
    [ -f /etc/dovecot/quail-anchor.conf ] || "$shared/dovecot-anchor.sh" setup >&2
    echo "bench: Dovecot on 127.0.0.1:2111, the same Maildir" >&2
    N=$n SIZE=$size RUNS=$runs "$shared/pop3-retr.sh" 127.0.0.1:2111 | tee "$out/dovecot.txt" >&2
    dovecot=1
  fi
  row() { # LABEL KEY METRIC BETTER(high|low)
    local q d=- ratio=-
    q=$(summary "$out/quail.txt" "$2" "$3")
    if [ $dovecot = 1 ]; then
      d=$(summary "$out/dovecot.txt" "$2" "$3")
      case "$q$d" in *-*|'') ;; *) if [ "$4" = high ]; then ratio=$(calc "$q / $d" 2); else ratio=$(calc "$d / $q" 2); fi;; esac
    fi
    echo "| $1 | $3 | $q | $d | $ratio |"
  }
  echo
  echo "| POP3, $n x $size B | metric | quail | dovecot | quail's advantage |"
  echo "|---|---|---|---|---|"
  row "login, STAT, LIST, UIDL, RETR all, QUIT" retr session_s low
  row "login, STAT, LIST, UIDL, RETR all, QUIT" retr mb_per_s high
  row "login, STAT, LIST, UIDL, RETR all, QUIT" retr server_cpu_s low
  row "fresh login + STAT, server warm" stat_warm session_s low
  row "fresh login + STAT, server restarted" stat_warmr session_s low
  row "fresh login + STAT, index deleted" stat_cold session_s low
  row "fresh login + STAT, page cache dropped" stat_colddc session_s low
  echo "(medians of $runs; quail's bench password hash: $scheme; raw output in $out)"
  exit 0
fi

# quail alone: the instance's own Maildir, the same sessions with pop3-client.c
echo "bench: not root or no user bench: quail alone, no Dovecot" >&2
[ -f "$shared/pop3-client.c" ] || die "no $shared/pop3-client.c"
cc -O2 -o "$out/pop3-client" "$shared/pop3-client.c"
md=$inst/mail/test/Maildir
printf 'bench\n' | QUAIL_HOME=$inst "$src/bin/quail-passwd" passwd -s "$scheme" test
python3 - "$md/new" "$n" "$size" <<'EOF'
import sys, time
d, n, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
t = int(time.time())
for i in range(n):
    h = "From: bench@quail.test\nTo: test@quail.test\nSubject: pop3 bench %d\n\n" % i
    body = size - len(h)
    lines = ("x" * 75 + "\n") * (body // 76)
    lines += "y" * (body - len(lines) - 1) + "\n" if body - len(lines) > 0 else ""
    with open("%s/%d.V801I%xM%d.quail.test" % (d, t, i, i), "w") as f:
        f.write(h + lines)
EOF
settle
sh -c "$start"
sleep 0.5
one() { # NAME MODE
  local c0 c1 line cl
  c0=$(cpu_busy)
  line=$("$out/pop3-client" 127.0.0.1 "$port" test bench "$2")
  c1=$(cpu_busy)
  cl=$(echo "$line" | sed -n 's/.*client_cpu_s=\([^ ]*\).*/\1/p')
  echo "$1 $line server_cpu_s=$(calc "$c1 - $c0 - $cl" 3)" | tee -a "$out/quail.txt" >&2
}
one first stat
one retr0 retr
for r in $(seq "$runs"); do one "retr$r" retr; done
for r in $(seq "$runs"); do one "stat_warm$r" stat; done
sh -c "$stop"
med() { grep "^$1[1-9][0-9]* " "$out/quail.txt" | sed -n "s/.* $2=\([^ ]*\).*/\1/p" | median; }
echo
echo "| POP3, $n x $size B, quail alone | metric | quail |"
echo "|---|---|---|"
for m in session_s mb_per_s server_cpu_s; do echo "| login, STAT, LIST, UIDL, RETR all, QUIT | $m | $(med retr $m) |"; done
echo "| fresh login + STAT | session_s | $(med stat_warm session_s) |"
echo "(medians of $runs; password hash: $scheme; raw output in $out)"
