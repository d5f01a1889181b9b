#!/bin/bash
# queue-reader: qmail-qread's listing, one message, its envelope, bad input.
. "$(dirname "$0")/lib.sh"
inst_new
Q=$INST/queue
C=$INST/control
TAB=$'\t'

# newest_id: the id of the message queue-writer just wrote
newest_id() { ls -t "$Q/mess" | grep -v env | head -1; }
size_of() { stat -c %s "$Q/mess/$1"; }
# mark_done ID N: what queue-manager does: recipient N's 'T' becomes 'D' in place
mark_done() {
  local off
  # an envelope still in the attribute gets its file first, as queue-manager does
  [ -f "$Q/mess/$1.env" ] || { q_env "$Q" "$1" > "$T/env.tmp" && mv "$T/env.tmp" "$Q/mess/$1.env"; }
  off=$($PY -c 'import sys; f=open(sys.argv[1],"rb").read().split(b"\0"); print(sum(len(x)+1 for x in f[:int(sys.argv[2])]))' \
        "$Q/mess/$1.env" "$2")
  printf D | dd of="$Q/mess/$1.env" bs=1 seek="$off" conv=notrunc status=none
}

# --- a queue of two messages made by queue-writer
printf 'Subject: one\n\nbody\n' | qw a@example.org test@localhost bob@remote.example
is "$?" 0 "first message queued"
id1=$(newest_id)
touch -d '2026-01-01 00:00:00 UTC' "$Q/mess/$id1"   # older than the next one
printf 'two\n' | qw "" x@localhost
is "$?" 0 "second message queued"
id2=$(newest_id)
# arrival times: the second one is the older, so it must come first
touch -d '2026-11-26 12:09:10 UTC' "$Q/mess/$id1"
touch -d '2026-01-05 03:04:05 UTC' "$Q/mess/$id2"
s1=$(size_of "$id1") s2=$(size_of "$id2")

want="5 Jan 2026 03:04:05 GMT  #$id2  $s2  <>
${TAB}local${TAB}x@localhost
26 Nov 2026 12:09:10 GMT  #$id1  $s1  <a@example.org>
${TAB}local${TAB}test@localhost
${TAB}remote${TAB}bob@remote.example"
got=$(queue-reader 2>"$T/err")
is "$?" 0 "listing exits 0"
is "$got" "$want" "listing: qmail-qread's format, oldest first by arrival"
is "$(cat "$T/err")" "" "listing: nothing on stderr"

# --- done recipients and a pending bounce
mark_done "$id1" 2
printf 'bob@remote.example\0No such user.\0' > "$Q/bounce/$id1"
want1="26 Nov 2026 12:09:10 GMT  #$id1  $s1  <a@example.org>  bouncing
${TAB}local${TAB}test@localhost
  done${TAB}remote${TAB}bob@remote.example"
is "$(queue-reader -e "$id1")" "$want1" "-e: done recipient and bouncing shown"
is "$(queue-reader | tail -3)" "$want1" "listing shows them too"
is "$(queue-reader -e "#$id1")" "$want1" "-e accepts the id as listed, with #"
mark_done "$id1" 1
like "$(queue-reader -e "$id1")" "  done${TAB}local${TAB}test@localhost" "first recipient done"
rm -f "$Q/bounce/$id1"
like "$(queue-reader -e "$id1" | head -1)" '<a@example.org>$' "no bounce file, no 'bouncing'"

# --- one message as stored
queue-reader "$id1" > "$T/out1"
is "$?" 0 "queue-reader ID exits 0"
ok "queue-reader ID writes the message file byte for byte" cmp -s "$T/out1" "$Q/mess/$id1"
queue-reader "$id2" > "$T/out2"
is "$?" 0 "queue-reader ID of a message whose envelope is $(q_where "$Q" "$id2") exits 0"
ok "and writes it" cmp -s "$T/out2" "$Q/mess/$id2"
like "$(head -1 "$T/out1")" '^Received: \(quail ' "it starts with queue-writer's Received line"

# --- unknown and bad ids
out=$(queue-reader 999999999 2>"$T/err"); rc=$?
is "$rc" 100 "unknown id: exit 100"
is "$out" "" "unknown id: nothing on stdout"
is "$(cat "$T/err")" "queue-reader: fatal: no message #999999999 in the queue" "unknown id: clear message"
queue-reader -e 999999999 >/dev/null 2>&1
is "$?" 100 "unknown id with -e: exit 100"
# a message file without its envelope is not (yet) queued
printf 'x\n' > "$Q/mess/424242"
queue-reader 424242 >/dev/null 2>&1
is "$?" 100 "message without envelope: not in the queue"
rm -f "$Q/mess/424242"
for bad in ../../etc/passwd 12a '' -1 123456789012345678901; do
  out=$(queue-reader "$bad" 2>&1); rc=$?
  is "$rc" 100 "bad id '$bad': exit 100"
  like "$out" 'usage: queue-reader' "bad id '$bad': usage"
done
queue-reader -e >/dev/null 2>&1; is "$?" 100 "-e without id: usage"
queue-reader 1 2 >/dev/null 2>&1; is "$?" 100 "two ids: usage"
out=$(queue-reader -x 2>&1); rc=$?
is "$rc" 100 "unknown option: exit 100"
is "$out" "queue-reader: fatal: usage: queue-reader [ -e ] [ ID ]" "unknown option: usage only"

# --- local or remote: locals, virtualdomains, envnoathost, as queue-manager
rm -f "$Q"/mess/*
printf 'virtual.example:alice\nu@special.example:bob\n.sub.example:carl\nno.virtual.example:\n.virtual.example:dan\n' \
  > "$C/virtualdomains"
printf 'x\n' | qw s@x a@virtual.example u@special.example v@special.example w@deep.sub.example \
  y@sub.example z@LOCALHOST noat q@no.virtual.example r@yes.virtual.example
id=$(newest_id)
want="${TAB}local${TAB}a@virtual.example
${TAB}local${TAB}u@special.example
${TAB}remote${TAB}v@special.example
${TAB}local${TAB}w@deep.sub.example
${TAB}remote${TAB}y@sub.example
${TAB}local${TAB}z@LOCALHOST
${TAB}local${TAB}noat
${TAB}remote${TAB}q@no.virtual.example
${TAB}local${TAB}r@yes.virtual.example"
is "$(queue-reader -e "$id" | tail -n +2)" "$want" "locals and virtualdomains decide local or remote"
printf 'elsewhere.example\n' > "$C/envnoathost"
like "$(queue-reader -e "$id")" "${TAB}remote${TAB}noat" "no @: the domain is envnoathost"
rm -f "$C/envnoathost" "$C/locals"
printf 'other.example\n' > "$C/me"
got=$(queue-reader -e "$id")
like "$got" "${TAB}remote${TAB}z@LOCALHOST" "no locals: localhost is no longer local"
like "$got" "${TAB}local${TAB}noat" "no locals: me is the local domain (and envnoathost)"
printf ':catchall\n' > "$C/virtualdomains"
like "$(queue-reader -e "$id")" "${TAB}local${TAB}v@special.example" "empty key in virtualdomains takes every domain"
printf 'localhost\n' > "$C/me"; printf 'localhost\n' > "$C/locals"; rm -f "$C/virtualdomains"

# --- what reaches the terminal: printable ASCII only
rm -f "$Q"/mess/*
printf 'x\n' | qw "$(printf 'jos\303\251@x')" "$(printf 'e\033[31mvil@x\tz')"
id=$(newest_id)
got=$(queue-reader -e "$id")
like "$got" '<jos__@x>$' "8-bit bytes in the sender shown as _"
like "$got" "${TAB}remote${TAB}e_\[31mvil@x_z\$" "escape and tab in a recipient shown as _"
unlike "$got" $'\033' "no escape byte reaches the terminal"

# --- broken queue entries: a warning, the rest is listed, exit 111
printf 'x\n' > "$Q/mess/5"; printf 'Xjunk\0\0' > "$Q/mess/5.env"
printf 'x\n' > "$Q/mess/6"; printf 'Fa@b\0Tc@d\0' > "$Q/mess/6.env"     # no final NUL
printf 'x\n' > "$Q/mess/7"; { printf 'Fa@b\0T'; head -c 5000 /dev/zero | tr '\0' a; printf '\0\0'; } > "$Q/mess/7.env"
printf 'x\n' > "$Q/mess/8"; printf 'Fa@b\0Tc@d\0Qe@f\0\0' > "$Q/mess/8.env"
got=$(queue-reader 2>"$T/err"); rc=$?
is "$rc" 111 "broken envelopes: exit 111"
like "$got" "#$id " "the good message is still listed"
for n in 5 6 7 8; do
  like "$(cat "$T/err")" "queue-reader: warning: trouble with #$n: malformed envelope" "envelope $n: named as malformed"
done
queue-reader -e 7 >/dev/null 2>"$T/err"
is "$?" 111 "-e of a malformed envelope: exit 111"
like "$(cat "$T/err")" "malformed envelope" "-e of a malformed envelope: says so"
unlike "$got" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" "an over-long address is not printed"
rm -f "$Q"/mess/[5-8] "$Q"/mess/[5-8].env
# an envelope without its message (a half-finished removal) is skipped quietly
printf 'Fa@b\0Tc@d\0\0' > "$Q/mess/9.env"
queue-reader > "$T/out" 2>"$T/err"
is "$?" 0 "envelope without message: still exit 0"
unlike "$(cat "$T/out")" "#9 " "envelope without message: not listed"
rm -f "$Q/mess/9.env"
# an empty queue
rm -f "$Q"/mess/*
is "$(queue-reader; echo "rc=$?")" "rc=0" "empty queue: no output, exit 0"

# --- missing and unreadable queue and control files
QUAIL_HOME=$T/nonexistent queue-reader >/dev/null 2>"$T/err"
is "$?" 111 "missing home: exit 111"
like "$(cat "$T/err")" "unable to enter the quail home directory $T/nonexistent" "missing home: named"
mkdir -p "$T/noqueue/control"
QUAIL_HOME=$T/noqueue queue-reader >/dev/null 2>"$T/err"
is "$?" 111 "missing queue: exit 111"
like "$(cat "$T/err")" "unable to read the queue: queue: No such file" "missing queue: named"
if [ "$(id -u)" = 0 ]; then
  chmod 711 "$T"
  printf 'x\n' | qw a@b test@localhost
  chmod 000 "$C/virtualdomains" 2>/dev/null || { touch "$C/virtualdomains"; chmod 000 "$C/virtualdomains"; }
  out=$(as_nobody "$BIN/queue-reader" 2>&1); rc=$?
  is "$rc" 111 "unreadable control/virtualdomains: exit 111"
  like "$out" "queue-reader: fatal: unable to read control/virtualdomains: Permission denied" "unreadable control file: named"
  rm -f "$C/virtualdomains"
  out=$(as_nobody "$BIN/queue-reader" 2>&1); rc=$?
  is "$rc" 111 "unreadable queue/mess: exit 111"
  like "$out" "unable to read the queue: mess: Permission denied" "unreadable queue: named"
  id=$(newest_id)
  out=$(as_nobody "$BIN/queue-reader" "$id" 2>&1); rc=$?
  is "$rc" 111 "unreadable message: exit 111, not 'unknown'"
  like "$out" "unable to read message #$id: Permission denied" "unreadable message: named"
  chmod 700 "$T"
else
  for i in 1 2 3 4 5 6; do skip "unreadable files need root to switch to uid 65534"; done
fi

# --- 10,000 messages list in order, with bounded memory. queue-writer made
# the first; the rest are copies under new ids with shuffled arrival times.
rm -f "$Q"/mess/*
printf 'x\n' | qw s@example.org test@localhost
seed=$(newest_id)
xattr_ok "$Q" || export NOXATTR=1
$PY - "$Q/mess" "$seed" <<'EOF'
import os, random, sys
d, seed = sys.argv[1], sys.argv[2]
msg = open(os.path.join(d, seed), "rb").read()
if os.path.exists(os.path.join(d, seed + ".env")):
    env = open(os.path.join(d, seed + ".env"), "rb").read()
    os.remove(os.path.join(d, seed + ".env"))
else:
    env = os.getxattr(os.path.join(d, seed), "user.quail.env")
os.remove(os.path.join(d, seed))
ids = list(range(1000001, 1010001))
random.shuffle(ids)
for age, i in enumerate(ids):       # ids[0] is the oldest
    open(os.path.join(d, "%d" % i), "wb").write(msg)
    if i % 2 or os.environ.get("NOXATTR"):   # half with an envelope file, half with the attribute
        open(os.path.join(d, "%d.env" % i), "wb").write(env)
    else:
        os.setxattr(os.path.join(d, "%d" % i), "user.quail.env", env)
    os.utime(os.path.join(d, "%d" % i), (1700000000 + age, 1700000000 + age))
open(os.path.join(d, "..", "order"), "w").write("".join("%d\n" % i for i in ids))
EOF
# max_rss CMD...: run CMD, its peak memory in kB in $T/rss (0 without GNU time)
max_rss() {
  if [ -x /usr/bin/time ]; then /usr/bin/time -f '%M' -o "$T/rss" "$@"; else echo 0 > "$T/rss"; "$@"; fi
}
max_rss "$BIN/queue-reader" > "$T/big" 2>"$T/err"
is "$?" 0 "10,000 messages: exit 0"
is "$(grep -c '^[0-9]' "$T/big")" 10000 "10,000 messages: 10,000 paragraphs"
is "$(grep -c "^${TAB}local${TAB}test@localhost\$" "$T/big")" 10000 "10,000 messages: 10,000 recipients"
ok "10,000 messages: oldest first" cmp -s <(sed -n 's/.*  #\([0-9]*\)  .*/\1/p' "$T/big") "$Q/order"
if [ -x /usr/bin/time ] && ! sanitized; then
  ok "10,000 messages: under 16 MB of memory (got $(cat "$T/rss") kB)" test "$(cat "$T/rss")" -lt 16384
else skip "memory check needs GNU time (/usr/bin/time) and no ASan"; fi

# one envelope of 50,000 recipients (20 MB) streams through in bounded memory
rm -f "$Q"/mess/* "$Q/order"
printf 'x\n' > "$Q/mess/77"
$PY -c 'import sys
r = b"r" * 390
sys.stdout.buffer.write(b"Fs@x\0" + b"".join(b"T%s%05d@remote.example\0" % (r, i) for i in range(50000)) + b"\0")' > "$Q/mess/77.env"
max_rss "$BIN/queue-reader" -e 77 > "$T/big" 2>"$T/err"
is "$?" 0 "20 MB envelope: exit 0"
is "$(grep -c "^${TAB}remote${TAB}r*[0-9]*@remote.example\$" "$T/big")" 50000 "20 MB envelope: every recipient listed"
if [ -x /usr/bin/time ] && ! sanitized; then
  ok "20 MB envelope: under 8 MB of memory (got $(cat "$T/rss") kB)" test "$(cat "$T/rss")" -lt 8192
else skip "memory check needs GNU time (/usr/bin/time) and no ASan"; fi
done_testing
