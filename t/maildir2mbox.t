#!/bin/bash
# maildir2mbox: every message of a Maildir appended to an mbox, oldest
# first, with From lines and quoting; removed only once the mbox holds
# them; the mbox taken back on any failure.
. "$(dirname "$0")/lib.sh"
M2M=$BIN/maildir2mbox
MD=$T/Maildir
MB=$T/mbox
export MAILDIR=$MD MAIL=$MB

fresh() { rm -rf "$MD" "$MB"; mkdir -p "$MD/tmp" "$MD/new" "$MD/cur"; }
# msg NAME WHEN CONTENT: a message file in new/ or cur/ with a given mtime
msg() { printf "$3" > "$MD/$1"; touch -d "$2" "$MD/$1"; }
left() { find "$MD/new" "$MD/cur" -type f | wc -l | tr -d ' '; }

out=$("$M2M" x 2>&1); rc=$?
is "$rc" 100 "an argument: usage, exit 100"
out=$(env -u MAILDIR "$M2M" 2>&1); rc=$?
is "$rc" 111 "MAILDIR unset: failure"
like "$out" 'MAILDIR is not set' "says so"
out=$(env -u MAIL "$M2M" 2>&1); rc=$?
is "$rc" 111 "MAIL unset: failure"
like "$out" 'MAIL is not set' "says so"
fresh
out=$(MAILDIR=$T/nowhere "$M2M" 2>&1); rc=$?
is "$rc" 111 "missing Maildir: failure"
like "$out" "unable to scan the Maildir $T/nowhere" "names it"

fresh
out=$("$M2M" 2>&1); rc=$?
is "$rc" 0 "empty Maildir: success"
ok "and no mbox made" test ! -e "$MB"

fresh
msg new/2.a '2001-02-03 04:05:06 UTC' 'Return-Path: <b@x.example>\nDelivered-To: u@x\nSubject: second\n\nFrom me\n>From you\n'
msg cur/1.b:2,S '2001-02-03 04:05:05 UTC' 'Return-Path: <a b@x.example>\nSubject: first\n\nno final newline'
msg new/3.c '2001-02-03 04:05:07 UTC' 'Return-Path: <>\nSubject: third, a bounce\n\nx\n'
msg new/4.d '2001-02-03 04:05:08 UTC' 'Subject: fourth, no Return-Path\n\nFrom y\n'
msg new/.hidden '2001-02-03 04:05:04 UTC' 'not a message\n'
printf 'From old Sat Jan  1 00:00:00 2000\nold\n\n' > "$MB"
out=$("$M2M" 2>&1); rc=$?
is "$rc" 0 "four messages moved"
is "$out" "" "silent on success"
cat > "$T/want" <<'EOF'
From old Sat Jan  1 00:00:00 2000
old

From a-b@x.example Sat Feb  3 04:05:05 2001
Return-Path: <a b@x.example>
Subject: first

no final newline

From b@x.example Sat Feb  3 04:05:06 2001
Return-Path: <b@x.example>
Delivered-To: u@x
Subject: second

>From me
>>From you

From MAILER-DAEMON Sat Feb  3 04:05:07 2001
Return-Path: <>
Subject: third, a bounce

x

From unknown Sat Feb  3 04:05:08 2001
Subject: fourth, no Return-Path

>From y

EOF
ok "mbox: old content kept, messages oldest first, From lines, quoting" cmp -s "$MB" "$T/want" || diag "$(diff "$MB" "$T/want")"
is "$(left)" 1 "the moved messages are gone from the Maildir"
ok "a name starting with a dot is left alone" test -e "$MD/new/.hidden"
is "$(stat -c %a "$MB")" 644 "the mbox keeps its mode"
"$M2M"
ok "a second run with nothing new changes nothing" cmp -s "$MB" "$T/want"

fresh
msg new/1 '2001-02-03 04:05:06 UTC' 'Return-Path: <c@x.example>\n\nhi\n'
out=$("$M2M" 2>&1); rc=$?
is "$rc" 0 "a missing mbox is made"
is "$(stat -c %a "$MB")" 600 "with mode 600"

# a lock holder finishes first
fresh
msg new/1 '2001-02-03 04:05:06 UTC' 'Return-Path: <c@x.example>\n\nhi\n'
printf 'old\n' > "$MB"
flock "$MB" sh -c "touch '$T/locked'; sleep 1; echo HOLDER >> '$MB'" &
holder=$!
wait_for 5 test -e "$T/locked"
"$M2M"; rc=$?
wait $holder
is "$rc" 0 "locked mbox: moved once the lock is free"
is "$(sed -n 2p "$MB")" HOLDER "waited for the lock holder"

# a message that cannot be read: the mbox is taken back, nothing removed
fresh
# (the first message is larger than any buffer: it reaches the file first)
{ printf 'Return-Path: <c@x.example>\n\n'; head -c 300000 /dev/zero | tr '\0' x | fold -w 70; } > "$MD/new/1"
touch -d '2001-02-03 04:05:06 UTC' "$MD/new/1"
msg new/2 '2001-02-03 04:05:07 UTC' 'Return-Path: <d@x.example>\n\nunreadable\n'
msg new/3 '2001-02-03 04:05:08 UTC' 'Return-Path: <e@x.example>\n\nthird\n'
printf 'old\n' > "$MB"
chmod 000 "$MD/new/2"
if [ "$(id -u)" = 0 ]; then
  chown -R 65534:65534 "$MD" "$MB"
  chmod 755 "$T"
  out=$(MAILDIR="$MD" MAIL="$MB" as_nobody "$M2M" 2>&1); rc=$?
else
  out=$("$M2M" 2>&1); rc=$?
fi
is "$rc" 111 "an unreadable message: failure"
like "$out" "unable to read $MD/new/2: Permission denied" "names the message"
is "$(cat "$MB")" old "the mbox is truncated back"
is "$(left)" 3 "no message removed"

# a full disk (root: a small tmpfs)
if [ "$(id -u)" = 0 ] && mkdir -p "$T/full" && mount -t tmpfs -o size=256k tmpfs "$T/full" 2>/dev/null; then
  fresh
  { printf 'Return-Path: <a@x.example>\n\n'; head -c 400000 /dev/zero | tr '\0' x | fold -w 70; } > "$MD/new/1"
  printf 'old\n' > "$T/full/mbox"
  out=$(MAIL=$T/full/mbox "$M2M" 2>&1); rc=$?
  is "$rc" 111 "disk full: failure"
  like "$out" 'No space left on device' "says so"
  is "$(cat "$T/full/mbox")" old "disk full: the mbox is truncated back"
  is "$(left)" 1 "disk full: the message stays in the Maildir"
  umount "$T/full"
else
  for i in 1 2 3 4; do skip "full disk tests need root and tmpfs"; done
fi
done_testing
