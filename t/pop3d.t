#!/bin/bash
# pop3d: RFC 1939 over a pipe, the Maildir it leaves behind, sizes, UIDLs,
# deletions only at QUIT, the lock, bad input, a mailbox of 10,000.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pop3d-lib.sh"
inst_new
H=$INST/mail/test
# p3 COMMAND...: one session, the commands sent at once; CRs dropped
p3() {
  local c= x
  for x in "$@"; do c+="$x"$'\r\n'; done
  (cd "$H" && printf '%s' "$c" | env -u MAILDIR USER=test "$BIN/pop3d" Maildir 2>>"$T/pop3d.err") | tr -d '\r'
}
# p3raw: the same with the CRs kept
p3raw() {
  local c= x
  for x in "$@"; do c+="$x"$'\r\n'; done
  (cd "$H" && printf '%s' "$c" | env -u MAILDIR USER=test "$BIN/pop3d" Maildir 2>>"$T/pop3d.err")
}
names() { ls "$MD/$1" | tr '\n' ' '; }

# --- an empty mailbox
is "$(p3 STAT QUIT)" "+OK maildrop has 0 messages (0 octets)
+OK 0 0
+OK bye" "an empty mailbox: greeting, STAT, QUIT"

# --- three messages in new/: arrival order, sizes with CRLF, stuffing
msg 1700000001.M5P1_0.t 'Subject: a\n\n.dot\n..two\n.\nend'
msg 1700000001.M40P1_0.t 'Subject: b\r\n\r\nbody\r\n'
msg 1700000000.M1P1_0.t 'Subject: c\n\nline1\nline2\n'
out=$(p3 STAT LIST UIDL QUIT)
is "$(echo "$out" | head -2)" "+OK maildrop has 3 messages (83 octets)
+OK 3 83" "three messages: 83 octets with CRLF line ends"
is "$(echo "$out" | sed -n '/^+OK 3 messages/,/^\.$/p')" "+OK 3 messages (83 octets)
1 28
2 35
3 20
." "LIST: oldest first (1700000001.M5 before .M40), CRLF sizes"
is "$(echo "$out" | sed -n '/^+OK unique-id/,/^\.$/p' | sed '1d;$d')" "1 1700000000.M1P1_0.t
2 1700000001.M5P1_0.t
3 1700000001.M40P1_0.t" "UIDL: the unique names"
is "$(names new)" "" "new/ is empty after the session"
is "$(names cur)" "1700000000.M1P1_0.t,S=24,W=28:2, 1700000001.M40P1_0.t,S=20,W=20:2, 1700000001.M5P1_0.t,S=28,W=35:2, " \
   "cur/: the names carry ,S=bytes,W=size and :2,"

is "$(p3raw 'RETR 2' QUIT | od -An -c | tr -s ' \n' ' ')" \
   "$(printf '+OK maildrop has 3 messages (83 octets)\r\n+OK 35 octets\r\nSubject: a\r\n\r\n..dot\r\n...two\r\n..\r\nend\r\n.\r\n+OK bye\r\n' | od -An -c | tr -s ' \n' ' ')" \
   "RETR: LF becomes CRLF, dots are stuffed, the last line ends"
got=$(p3raw 'RETR 2' QUIT | sed -n '/^+OK 35/,/^\.\r$/p' | sed '1d;$d' | sed 's/^\.//' | wc -c)
is "$got" 35 "RETR: the octets after unstuffing are LIST's size"
is "$(p3raw 'RETR 3' QUIT | sed -n 2,6p | od -An -c | tr -s ' \n' ' ')" \
   "$(printf '+OK 20 octets\r\nSubject: b\r\n\r\nbody\r\n.\r\n' | od -An -c | tr -s ' \n' ' ')" "RETR: CRLF lines are not doubled"
is "$(p3 'TOP 1 1' 'TOP 1 0' QUIT | sed 1d)" "+OK top of message follows
Subject: c

line1
.
+OK top of message follows
Subject: c

.
+OK bye" "TOP: header, empty line, N body lines"

# --- UIDLs stable and unique across sessions; sizes from the names only
u1=$(p3 UIDL QUIT | sed -n '/^+OK unique/,/^\.$/p')
u2=$(p3 UIDL QUIT | sed -n '/^+OK unique/,/^\.$/p')
is "$u2" "$u1" "UIDL: the same in the next session"
is "$(p3 'UIDL 3' QUIT | sed -n 2p)" "+OK 3 1700000001.M40P1_0.t" "UIDL n"
is "$(p3 'LIST 2' QUIT | sed -n 2p)" "+OK 2 35" "LIST n"
printf 'much longer than before\n%.0s' 1 2 3 4 5 > "$MD/cur/1700000001.M40P1_0.t,S=20,W=20:2,"
is "$(p3 STAT QUIT | sed -n 2p)" "+OK 3 83" "sizes come from the names: the file is not read to open the mailbox"
printf 'Subject: b\r\n\r\nbody\r\n' > "$MD/cur/1700000001.M40P1_0.t,S=20,W=20:2,"

# --- deletions: only at QUIT
p3 'DELE 1' >/dev/null
is "$(ls "$MD/cur" | wc -l)" 3 "DELE, then the client leaves without QUIT: nothing deleted"
p3 'DELE 1' RSET QUIT >/dev/null
is "$(ls "$MD/cur" | wc -l)" 3 "DELE, RSET, QUIT: nothing deleted"
out=$(p3 'DELE 1' 'DELE 1' 'RETR 1' 'LIST 1' 'TOP 1 0' 'UIDL 1' STAT LIST QUIT)
is "$(echo "$out" | sed -n '2,8p')" "+OK message 1 deleted
-ERR message 1 is deleted
-ERR message 1 is deleted
-ERR message 1 is deleted
-ERR message 1 is deleted
-ERR message 1 is deleted
+OK 2 55" "a deleted message: every command refuses it; STAT leaves it out"
is "$(echo "$out" | sed -n '/^+OK 2 messages/,/^\.$/p')" "+OK 2 messages (55 octets)
2 35
3 20
." "LIST leaves a deleted message out"
is "$(echo "$out" | tail -1)" "+OK bye" "QUIT after DELE: +OK"
is "$(names cur)" "1700000001.M40P1_0.t,S=20,W=20:2, 1700000001.M5P1_0.t,S=28,W=35:2, " "QUIT: the deleted message is gone, the rest kept"
like "$(tail -1 "$T/pop3d.err")" '^pop3d: pid [0-9]+ user test: quit retrieved=0 deleted=1 failed=0 left=2$' "the session is logged"

# --- bad input
out=$(p3 FOO 'USER x' 'PASS y' 'RETR' 'RETR 0' 'RETR 3' 'RETR 99999999999999999999999' 'RETR 1 2' 'RETR x' \
        'LIST abc' 'TOP 1' 'TOP 1 x' 'NOOP x' 'STAT 1' NOOP 'DELE -1' QUIT)
is "$(echo "$out" | sed 1d)" "-ERR unknown command
-ERR already logged in
-ERR already logged in
-ERR a message number is needed
-ERR no such message
-ERR no such message
-ERR no such message
-ERR syntax: one message number
-ERR a message number is needed
-ERR a message number is needed
-ERR syntax: TOP message lines
-ERR syntax: TOP message lines
-ERR this command takes no argument
-ERR this command takes no argument
+OK
-ERR a message number is needed
+OK bye" "unknown commands, commands of the other state, bad and huge message numbers"
long=$(head -c 2000 /dev/zero | tr '\0' A)
out=$(p3 'DELE 1' "NOOP $long" QUIT)
is "$(echo "$out" | sed 1d)" "+OK message 1 deleted
-ERR line too long; closing connection" "an over-long line: -ERR and the connection closes"
is "$(ls "$MD/cur" | wc -l)" 2 "an over-long line: the DELE before it is not carried out"
bad=(); for i in $(seq 25); do bad+=(FOO); done
out=$(p3 "${bad[@]}" QUIT)
is "$(echo "$out" | tail -1)" "-ERR too many bad commands; closing connection" "too many bad commands: hang up"
unlike "$out" '\+OK bye' "too many bad commands: QUIT is never read"
is "$(p3 $'NO\x01OP' | sed -n 2p)" "-ERR unknown command" "control characters: unknown command"
is "$(p3 CAPA QUIT | sed -n '/^+OK capa/,/^\.$/p' | tr '\n' ' ')" \
   "+OK capability list follows TOP UIDL RESP-CODES PIPELINING EXPIRE NEVER IMPLEMENTATION quail . " "CAPA"
is "$(p3 LAST 'RETR 2' LAST RSET LAST QUIT | grep -E '^\+OK [0-9]+$' | tr '\n' ' ')" "+OK 0 +OK 2 +OK 0 " "LAST: the highest message retrieved, 0 after RSET"

# a message pop3d cannot read is left out, not the whole mailbox
mkdir "$T/adir"
ln -s "$T/adir" "$MD/new/1700000009.M1P1_0.t"
is "$(p3 STAT QUIT | sed -n 2p)" "+OK 2 55" "an unreadable message (a directory): left out, the rest served"
like "$(cat "$T/pop3d.err")" "unable to read new/1700000009.M1P1_0.t: left out: Is a directory" "and said so in the log"
ok "it stays in new/" test -L "$MD/new/1700000009.M1P1_0.t"
rm "$MD/new/1700000009.M1P1_0.t"

# --- the lock: a second session is refused, the first unharmed
if command -v flock >/dev/null; then
  msg 1700000005.M1P1_0.t 'Subject: e\n\nx\n'
  out=$(flock "$MD" bash -c "cd '$H' && printf 'STAT\r\nQUIT\r\n' | env -u MAILDIR USER=test '$BIN/pop3d' Maildir 2>/dev/null; echo rc=\$?")
  like "$out" '^-ERR \[IN-USE\] ' "locked mailbox: -ERR [IN-USE]"
  like "$out" 'rc=0' "locked mailbox: pop3d exits 0 (it told the client)"
  unlike "$out" '\+OK' "locked mailbox: no session"
  is "$(ls "$MD/new")" "1700000005.M1P1_0.t" "locked mailbox: new/ is left alone"
  rm -f "$MD/new/1700000005.M1P1_0.t"
else
  for i in 1 2 3 4; do skip "flock(1) is not installed"; done
fi
# two sessions at once over pipes: the second is refused while the first waits
mkfifo "$T/fifo"
(cd "$H" && env -u MAILDIR USER=test "$BIN/pop3d" Maildir < "$T/fifo" > "$T/first.out" 2>/dev/null) &
first=$!
exec 8> "$T/fifo"
wait_for 5 grep -q '^+OK' "$T/first.out"
like "$(p3 STAT)" 'IN-USE' "a second session while the first is open: refused"
printf 'STAT\r\nQUIT\r\n' >&8
exec 8>&-
wait $first
like "$(tr -d '\r' < "$T/first.out")" '\+OK 2 55' "the first session goes on"

# --- MAILDIR and usage
mkdir -p "$H/Other/new" "$H/Other/cur" "$H/Other/tmp"
printf 'x\n' > "$H/Other/new/1.M1P1.t"
is "$(cd "$H" && printf 'STAT\r\nQUIT\r\n' | MAILDIR=./Other/ USER=test "$BIN/pop3d" Maildir 2>/dev/null | tr -d '\r' | sed -n 2p)" "+OK 1 3" \
   "\$MAILDIR takes the place of the argument"
(cd "$H" && env -u MAILDIR "$BIN/pop3d" </dev/null >"$T/out" 2>"$T/err"); rc=$?
is "$rc" 100 "no Maildir: usage, exit 100"
like "$(cat "$T/err")" 'usage: pop3d maildir' "no Maildir: says the usage"
(cd "$H" && env -u MAILDIR "$BIN/pop3d" ./Nowhere/ </dev/null >"$T/out" 2>"$T/err"); rc=$?
is "$rc" 111 "a missing Maildir: exit 111"
is "$(cat "$T/out")" "" "a missing Maildir: nothing said to the client (pop3-login speaks)"
like "$(cat "$T/err")" 'pop3d: fatal: unable to enter the Maildir ./Nowhere/' "a missing Maildir: the log names it"
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
  (cd "$H" && printf 'STAT\r\n' | (unset MAILDIR; as_nobody "$BIN/pop3d" "$MD") >"$T/out" 2>"$T/err"); rc=$?
  is "$rc" 111 "a Maildir the user may not read: exit 111"
  is "$(cat "$T/out")" "" "an unreadable Maildir: nothing said"
else
  skip "not root: no unreadable-Maildir test"; skip "not root"
fi

# --- 10,000 messages
pop3_clear
$PY - "$MD/new" <<'EOF'
import sys
d = sys.argv[1]
for i in range(10000):
    with open("%s/1700000000.V801I%xM%d.quail.test" % (d, i, i), "w") as f:
        f.write("Subject: %d\n\n%s\n" % (i, "x" * 75))
EOF
out=$(p3 STAT QUIT)
is "$(echo "$out" | sed -n 2p | cut -d' ' -f1,2)" "+OK 10000" "10,000 messages in new/: STAT counts them"
is "$(ls "$MD/new" | wc -l) $(ls "$MD/cur" | grep -c ',W=[0-9]*:2,$')" "0 10000" "10,000 messages: all in cur/ with their sizes in the names"
out=$(p3 STAT LIST UIDL 'RETR 10000' QUIT)
like "$(echo "$out" | sed -n 2p)" '^\+OK 10000 [0-9]+$' "the next session: STAT"
is "$(echo "$out" | sed -n '/^+OK 10000 messages/,/^\.$/p' | grep -c '^[0-9]* [0-9]*$')" 10000 "LIST: 10,000 lines"
is "$(echo "$out" | sed -n '/^+OK unique/,/^\.$/p' | sed '1d;$d' | cut -d' ' -f2 | sort -u | wc -l)" 10000 "UIDL: 10,000 distinct"
is "$(echo "$out" | grep -A1 '^+OK [0-9]* octets' | tail -1)" "Subject: 9999" "RETR 10000: the newest (M9999)"
ok "UIDL: all 10,000 in order of arrival (M0 to M9999)" cmp -s \
  <(echo "$out" | sed -n '/^+OK unique/,/^\.$/p' | sed '1d;$d' | sed 's/.*M\([0-9]*\)\.quail.*/\1/') <(seq 0 9999)
done_testing
