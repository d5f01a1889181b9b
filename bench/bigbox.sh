#!/bin/bash
# bench/bigbox.sh: a big Maildir (issue 23, point 4).
#  1. POP3 on a Maildir of MESSAGES (100000) messages of SIZE (4096) bytes,
#     written directly into new/ (deliver-local's kind of names, no sizes in
#     them), the same files for quail and Dovecot (two copies, one each):
#       first      the first login + STAT on the new Maildir (quail reads each
#                  message once and renames it with ,S=,W=; Dovecot builds
#                  its index)
#       warm       fresh login + STAT, RUNS (3) times, server running
#       uidl       fresh login + STAT + a full UIDL
#       cold       Dovecot: stopped, its index files (dovecot*) deleted,
#                  started; quail has no index
#       cold+dc    the same, and the page cache dropped (echo 3 >
#                  /proc/sys/vm/drop_caches; only as root, DROP_CACHES=0 skips)
#     quail: its pop3d service from its run script (pop3-login,
#     checkpassword, pop3d under tcpserver); Dovecot: the shared anchor's
#     configuration (../shared/bench/dovecot-anchor.sh) included by a file
#     of our own with its own base_dir, port (DOVECOT_PORT, 2551) and user
#     (bench/lib.sh's dovecot_conf), when root; DOVECOT=0 skips it. Each session's time
#     (latency_s, stat_s, uidl_s) and the CPU the server's processes spent
#     on it (server_cpu_s, bench/memsum.py: 10 ms ticks), which another
#     load on the machine does not change as it does the times.
#  2. deliver-local's time per delivery into a Maildir that already holds
#     each of LEVELS ("0 10000 50000 100000") messages: DELIVERIES (200)
#     deliveries one after another, RUNS times; the median ms per delivery,
#     and its ratio to the empty Maildir's (flat = 1).
# env: MESSAGES SIZE LEVELS DELIVERIES RUNS SCHEME (sha512) PORT (2549) DOVECOT_PORT
#      DOVECOT DROP_CACHES TMPDIR (/tmp; the two Maildirs take 2 x
#      MESSAGES x 4 KB)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
. "$here/lib.sh"
shared=$(shared_bench "$src")
n=${MESSAGES:-100000} size=${SIZE:-4096} levels=${LEVELS:-0 10000 50000 100000}
deliveries=${DELIVERIES:-200} runs=${RUNS:-3} scheme=${SCHEME:-sha512} port=${PORT:-2549}
dport=${DOVECOT_PORT:-2551}
out=$(mktemp -d "${TMPDIR:-/tmp}/quail-bigbox.XXXXXX")
chmod 755 "$out"
raw=$out/raw.txt
cc -O2 -o "$out/hold" "$here/hold.c" || die "unable to build bench/hold.c"
inst=$out/quail
POP3_PORT=$port "$src/bin/mkinstance" "$inst" quail.test >/dev/null
export QUAIL_HOME=$inst
root=0; [ "$(id -u)" = 0 ] && root=1
drop=0; [ $root = 1 ] && [ "${DROP_CACHES:-1}" = 1 ] && drop=1
owner=$(id -un); [ $root = 1 ] && id bench >/dev/null 2>&1 && owner=bench
dovecot=0
if [ "${DOVECOT:-1}" = 1 ] && [ $root = 1 ] && [ $owner = bench ] && [ -x "$shared/dovecot-anchor.sh" ] &&
   command -v dovecot >/dev/null; then
  dovecot=1
fi
stop_all() {
  [ ! -s "$out/tcpserver.pid" ] || kill "$(cat "$out/tcpserver.pid")" 2>/dev/null || true
  rm -f "$out/tcpserver.pid"
  [ ! -f "$out/dovecot.conf" ] || dovecot -c "$out/dovecot.conf" stop 2>/dev/null || true
}
trap stop_all EXIT

# fill DIR FROM TO: messages FROM..TO-1 into DIR/new, SIZE bytes each, the
# names and contents a function of the number alone (the same in every copy)
fill() {
  python3 - "$1/new" "$2" "$3" "$size" <<'EOF'
import os, sys
d, a, b, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
t = 1700000000
for i in range(a, b):
    h = ("Return-Path: <bench@quail.test>\nDelivered-To: big@quail.test\n"
         "From: bench@quail.test\nTo: big@quail.test\n"
         "Subject: big mailbox %d\nMessage-Id: <%d.%d@quail.test>\n\n" % (i, t, i))
    body = size - len(h)
    lines = ("x" * 75 + "\n") * (body // 76)
    lines += "y" * (body - len(lines) - 1) + "\n" if body - len(lines) > 0 else ""
    fd = os.open("%s/%d.M%dP%d_%d.quail.test" % (d, t + i // 1000, i % 1000, 4242, i),
                 os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, (h + lines).encode())
    os.close(fd)
EOF
}
maildir() { install -d -m 700 "$1" "$1/Maildir" "$1/Maildir/new" "$1/Maildir/cur" "$1/Maildir/tmp"; }
dropcaches() { [ $drop = 0 ] || { sync; echo 3 >/proc/sys/vm/drop_caches; }; }

# ---- 1. POP3 ----
maildir "$out/qhome"
t0=$(now); fill "$out/qhome/Maildir" 0 "$n"; t1=$(now)
echo "bench: $n messages of $size B written in $(calc "$t1 - $t0" 1) s" >&2
uid=$(id -u "$owner") gid=$(id -g "$owner")
printf 'big\n' | "$src/bin/quail-passwd" add -s "$scheme" big "$uid" "$gid" "$out/qhome"
if [ $dovecot = 1 ]; then
  maildir "$out/dhome"
  fill "$out/dhome/Maildir" 0 "$n"
  [ -f /etc/dovecot/quail-anchor.conf ] || "$shared/dovecot-anchor.sh" setup >&2
  dovecot_user "$out" big big "$out/dhome"
  dovecot_conf "$out" "$dport"
fi
chown -R "$uid:$gid" "$out/qhome"
[ $dovecot = 0 ] || chown -R "$uid:$gid" "$out/dhome"

q_start() { sh "$inst/service/pop3d/run" >>"$out/pop3.log" 2>&1 & echo $! >"$out/tcpserver.pid"; sleep 0.5; }
q_stop() { kill "$(cat "$out/tcpserver.pid")"; rm -f "$out/tcpserver.pid"; sleep 0.3; }
d_start() { dovecot -c "$out/dovecot.conf"; sleep 1; }
d_stop() { dovecot -c "$out/dovecot.conf" stop; sleep 0.5; }
d_cold() { d_stop; rm -f "$out/dhome/Maildir/"dovecot*; d_start; }
# the CPU seconds of the server's processes, ended ones included (memsum.py)
cpu() { python3 "$here/memsum.py" $("$1_root") | tr ' ' '\n' | sed -n 's/^cpu_s=//p'; }
quail_root() { cat "$out/tcpserver.pid"; }
dovecot_root() { cat "$out/dovecot-run/master.pid"; }
one() { # NAME TARGET PORT MODE
  local line c0 c1
  c0=$(cpu "$2")
  line=$("$out/hold" "$4" 127.0.0.1 "$3" big big) || die "$1 $2: $line"
  sleep 0.3
  c1=$(cpu "$2")
  echo "name=$2 kind=$1 $line server_cpu_s=$(calc "$c1 - $c0" 2)" | tee -a "$raw" >&2
}
pop3() { # TARGET PORT START STOP COLD
  local r
  "$3"
  one first "$1" "$2" pop3-one
  for r in $(seq "$runs"); do one warm "$1" "$2" pop3-one; done
  for r in $(seq "$runs"); do one uidl "$1" "$2" pop3-uidl; done
  if [ -n "$5" ]; then for r in $(seq "$runs"); do "$5"; one cold "$1" "$2" pop3-one; done; fi
  if [ $drop = 1 ]; then for r in $(seq "$runs"); do [ -z "$5" ] || "$5"; dropcaches; one colddc "$1" "$2" pop3-one; done; fi
  "$4"
}
pop3 quail "$port" q_start q_stop ""
[ $dovecot = 0 ] || pop3 dovecot "$dport" d_start d_stop d_cold

# ---- 2. deliver-local into a growing Maildir ----
message bench@quail.test big@quail.test 2048 >"$out/msg"
maildir "$out/dl"
have=0
for level in $levels; do
  [ "$level" -le "$have" ] || fill "$out/dl/Maildir" "$have" "$level"
  have=$level
  sync
  for r in $(seq "$runs"); do
    t0=$(now)
    for i in $(seq "$deliveries"); do
      "$src/bin/deliver-local" big "$out/dl" big '' '' quail.test bench@quail.test ./Maildir/ <"$out/msg" >/dev/null ||
        die "deliver-local failed"
    done
    t1=$(now)
    echo "name=quail kind=deliver-$level ms_per_delivery=$(calc "($t1 - $t0) * 1000 / $deliveries" 3)" | tee -a "$raw" >&2
  done
done

# ---- the table ----
med() { grep "^name=$1 kind=$2 " "$raw" | tr ' ' '\n' | sed -n "s/^$3=//p" | median; }
ratio() { case "$1$2" in *-*|'') echo -;; *) awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0) printf "%.2f", a / b; else print "-" }';; esac; }
echo
echo "| POP3, $n x $size B | metric | quail | dovecot | dovecot/quail |"
echo "|---|---|---|---|---|"
for k in first:latency_s first:server_cpu_s warm:latency_s warm:server_cpu_s uidl:stat_s uidl:uidl_s \
         uidl:server_cpu_s cold:latency_s cold:server_cpu_s colddc:latency_s colddc:server_cpu_s; do
  q=$(med quail "${k%%:*}" "${k#*:}"); d=-
  [ $dovecot = 0 ] || d=$(med dovecot "${k%%:*}" "${k#*:}")
  case $k in
  first:*) label="first login + STAT (no index, no sizes in the names)";;
  warm:*) label="fresh login + STAT, warm";;
  uidl:stat_s) label="fresh login + STAT, before UIDL";;
  uidl:uidl_s) label="full UIDL";;
  uidl:*) label="fresh login + STAT + full UIDL";;
  cold:*) label="fresh login + STAT, Dovecot's index deleted (quail: warm, it has none)";;
  colddc:*) label="fresh login + STAT, index deleted and page cache dropped";;
  esac
  [ "${k%%:*}" != cold ] || q=-
  echo "| $label | ${k#*:} | $q | $d | $(ratio "$d" "$q") |"
done
echo
echo "| deliver-local into a Maildir of | ms per delivery | ratio to the empty Maildir |"
echo "|---|---|---|"
base=$(med quail "deliver-$(echo $levels | cut -d' ' -f1)" ms_per_delivery)
for level in $levels; do
  m=$(med quail "deliver-$level" ms_per_delivery)
  echo "| $level messages | $m | $(ratio "$m" "$base") |"
done
echo "(medians of $runs; page cache dropped: $([ $drop = 1 ] && echo yes || echo no);" \
  "quail's password hash $scheme, Dovecot's plaintext; raw lines in $raw)"
