#!/bin/bash
# queue-writer: the qmail-queue protocol, crash-safe files, clean failures.
. "$(dirname "$0")/lib.sh"
inst_new
Q=$INST/queue

printf 'Subject: one\n\nbody\n' | qw a@example.org test@localhost
is "$?" 0 "a good message is queued"
ids=$(ls "$Q/mess" | grep -v env)
is "$(echo "$ids" | wc -w)" 1 "one message file"
id=$ids
like "$(head -1 "$Q/mess/$id")" '^Received: \(quail [0-9]+ invoked by uid [0-9]+\); ' "Received line first"
like "$(cat "$Q/mess/$id")" 'Subject: one' "message copied"
is "$(q_env "$Q" "$id" | od -An -c | tr -d ' \n')" 'Fa@example.org\0Ttest@localhost\0\0' "envelope stored as sent"
if xattr_ok "$Q"; then
  is "$(q_where "$Q" "$id")" attr "a short envelope rides on the message file (attribute user.quail.env)"
  nok "no envelope file" test -e "$Q/mess/$id.env"
else
  is "$(q_where "$Q" "$id")" file "no user attributes on this file system: the envelope is a file"
  skip "attribute envelopes need a file system with user attributes"
fi
is "$(ls -A "$Q/tmp")" "" "nothing left in tmp/"

bad() { # NAME ENVELOPE-PRINTF-FORMAT EXPECTED-CODE
  rm -f "$Q"/mess/*
  printf 'x\n' | "$BIN/queue-writer" 1< <(printf "$2")
  is "$?" "$3" "$1: exit $3"
  is "$(ls -A "$Q/mess" "$Q/tmp" | grep -v : | tr -d '\n')" "" "$1: nothing left behind"
}
# qmail-queue's "nothing to deliver": accepted, and nothing lingers
bad "no recipients (accepted as qmail-queue does)" 'Fa@b\0\0' 0
bad "null sender, no recipients" 'F\0\0' 0
bad "not F first" 'Ta@b\0\0' 91
bad "truncated envelope (a read error, as qmail-queue)" 'Fa@b\0Tc@d\0' 54
bad "empty envelope (a read error, as qmail-queue)" '' 54
bad "junk instead of T" 'Fa@b\0Xc@d\0\0' 91
bad "empty recipient" 'Fa@b\0T\0\0' 91
bad "newline in address" 'Fa@b\0Tc\n@d\0\0' 91
long=$(head -c 1200 /dev/zero | tr '\0' a)
bad "address too long" "Fa@b\0T$long@d\0\0" 11

# the null sender and many recipients
rm -f "$Q"/mess/*
printf 'x\n' | qw "" r1@x r2@x r3@x
is "$?" 0 "null sender and three recipients"

# an envelope longer than the attribute takes (2048 bytes): its own file
rm -f "$Q"/mess/*
many=$(for i in $(seq 60); do printf 'recipient-number-%03d@a-rather-long-domain.example ' "$i"; done)
printf 'x\n' | qw a@b $many
is "$?" 0 "60 recipients (3 KB of envelope) queued"
id=$(ls "$Q/mess" | grep -v env)
is "$(q_where "$Q" "$id")" file "a long envelope goes to mess/ID.env"
is "$(q_env "$Q" "$id" | tr '\0' '\n' | grep -c '^Trecipient-number')" 60 "with every recipient"
ok "and the message file has no attribute" $PY -c 'import os,sys; sys.exit(os.listxattr(sys.argv[1]) != [])' "$Q/mess/$id"

# a message larger than any buffer streams through
rm -f "$Q"/mess/*
head -c 30000000 /dev/zero | tr '\0' 'a' | fold -w 998 | qw a@b test@localhost
is "$?" 0 "30 MB message queued"
id=$(ls "$Q/mess" | grep -v env)
ok "30 MB stored whole" test "$(stat -c %s "$Q/mess/$id")" -gt 30000000

# recycled files: a file in queue/free becomes the next message, emptied
# first (queue-manager leaves finished files there), and the ID is its inode
rm -f "$Q"/mess/* "$Q"/free/*
head -c 50000 /dev/zero | tr '\0' z > "$Q/free/900"
printf 'old envelope\0' > "$Q/free/900.env"
ino=$(stat -c %i "$Q/free/900") ino2=$(stat -c %i "$Q/free/900.env")
printf 'Subject: short\n\nnew\n' | qw a@b test@localhost
is "$?" 0 "queued into recycled files"
is "$(ls -A "$Q/free" | wc -l)" 1 "one file taken from free/ (the envelope rides on it)"
id=$(ls "$Q/mess" | grep -v env)
ok "the ID is a recycled inode" test "$id" = "$ino" -o "$id" = "$ino2"
unlike "$(cat "$Q/mess/$id" "$Q/mess/$id.env" 2>/dev/null | tr -d '\0')" 'zzz|old envelope' "nothing of the old contents left"
like "$(cat "$Q/mess/$id")" 'Subject: short' "the new message stored"
is "$(q_env "$Q" "$id" | od -An -c | tr -d ' \n')" 'Fa@b\0Ttest@localhost\0\0' "the new envelope stored"
# a hidden file in free/ (.NAME: queue-manager has not yet synced mess/
# since it left there) is never taken
rm -f "$Q"/mess/* "$Q"/free/*
printf 'hidden old\n' > "$Q/free/.910"
hid=$(stat -c %i "$Q/free/.910")
printf 'Subject: fresh\n\nnew\n' | qw a@b test@localhost
is "$?" 0 "queued with only a hidden file in free/"
id=$(ls "$Q/mess" | grep -v env)
ok "in a new file, not the hidden one" test "$id" != "$hid"
is "$(cat "$Q/free/.910")" "hidden old" "the hidden file untouched"
rm -f "$Q/free/.910"
# a held envelope left by an old message whose inode a new one gets (after
# a crash, say) is removed before the new message is queued: a release
# would otherwise send the new message to the old recipients
rm -f "$Q"/mess/* "$Q"/free/*
mkdir -p "$Q/hold"
printf 'old\n' > "$Q/free/915"
ino=$(stat -c %i "$Q/free/915")
printf 'Fold@x\0Tvictim@x\0\0' > "$Q/hold/$ino.env"
printf 'Subject: reuse\n\nnew\n' | qw a@b test@localhost
is "$?" 0 "queued into a file whose inode has a held envelope"
ok "the new message got that inode" test -f "$Q/mess/$ino"
ok "the stale held envelope is gone" test ! -e "$Q/hold/$ino.env"
is "$(q_env "$Q" "$ino" | od -An -c | tr -d ' \n')" 'Fa@b\0Ttest@localhost\0\0' "the new envelope is the message's"
rm -f "$Q"/mess/*
if xattr_ok "$Q"; then
# a recycled message file carries its old attribute: a long envelope
# (its own file) takes it off; a short one replaces it; and an envelope
# file left with the recycled inode's number is removed
rm -f "$Q"/mess/* "$Q"/free/*
printf 'old\n' > "$Q/free/905"
$PY -c 'import os,sys; os.setxattr(sys.argv[1], "user.quail.env", b"Fold@x\0Tvictim@x\0\0")' "$Q/free/905"
printf 'x\n' | qw a@b $many
id=$(ls "$Q/mess" | grep -v env)
is "$id" "$(stat -c %i "$Q/mess/$id")" "a recycled file with an old attribute"
ok "loses the attribute when the envelope is a file" $PY -c 'import os,sys; sys.exit(os.listxattr(sys.argv[1]) != [])' "$Q/mess/$id"
unlike "$(q_cat "$Q" | tr '\0' '|')" 'victim' "the old envelope is nowhere"
rm -f "$Q"/mess/* "$Q"/free/*
printf 'old\n' > "$Q/free/906"
$PY -c 'import os,sys; os.setxattr(sys.argv[1], "user.quail.env", b"Fold@x\0Tvictim@x\0\0")' "$Q/free/906"
printf 'Fold@x\0Tvictim@x\0\0' > "$Q/mess/$(stat -c %i "$Q/free/906").env"
printf 'x\n' | qw a@b test@localhost
id=$(ls "$Q/mess" | grep -v env)
is "$(q_env "$Q" "$id" | tr '\0' '|')" 'Fa@b|Ttest@localhost||' "a short envelope replaces the old attribute"
nok "and the old envelope file of that inode is gone" test -e "$Q/mess/$id.env"
else
  for i in 1 2 3 4 5; do skip "attribute envelopes need a file system with user attributes"; done
fi
# what is not a plain file of our own is never written through
rm -f "$Q"/mess/*
echo secret > "$T/victim"
ln -s "$T/victim" "$Q/free/901"
ln "$T/victim" "$Q/free/902" 2>/dev/null || cp "$T/victim" "$Q/free/902"
printf 'x\n' | qw a@b test@localhost
is "$?" 0 "queued past a symlink and a hard link in free/"
is "$(cat "$T/victim")" "secret" "the linked file is untouched"
is "$(q_ids "$Q" | wc -l)" 1 "one message queued"
# a sender that gives up before the first byte costs the queue nothing
rm -f "$Q"/mess/* "$Q"/free/*
: > "$Q/free/903"; : > "$Q/free/904"
"$BIN/queue-writer" </dev/null 1</dev/null
is "$?" 54 "no message and no envelope: 54 (qmail-queue reads end of file as a read error)"
is "$(ls "$Q/free" | wc -l)" 2 "nothing taken from free/"
is "$(ls -A "$Q/tmp" "$Q/mess" | grep -v : | tr -d '\n')" "" "nothing written"
printf '' | qw a@b test@localhost
is "$?" 0 "an empty message with an envelope is queued"
is "$(q_ids "$Q" | wc -l)" 1 "as a message with its envelope"
# no free/ at all (a queue made before it existed): new files as before
rm -f "$Q"/mess/* "$Q"/free/*; rmdir "$Q/free"
printf 'x\n' | qw a@b test@localhost
is "$?" 0 "queued without queue/free"
mkdir -m 700 "$Q/free"

# unreadable home: temporary failure
QUAIL_HOME=$T/nonexistent qw a@b c@d </dev/null
is "$?" 61 "missing home is a temporary failure (61)"
mkdir -p "$T/noq"
QUAIL_HOME=$T/noq qw a@b c@d </dev/null
is "$?" 62 "missing queue is a temporary failure (62)"

# the trigger carries the message id
rm -f "$Q"/mess/*
exec 7<>"$Q/lock/trigger"
printf 'x\n' | qw a@b test@localhost
read -t 2 -r trig <&7
id=$(ls "$Q/mess" | grep -v env)
is "$trig" "$id" "trigger FIFO receives the new id"
exec 7<&-

# the envelope over a socket pair (as lib/qq.c gives it): the report line
# comes once the message is safe, and never for a refused envelope
report() { # ENVELOPE-PRINTF-FORMAT: prints "EXIT|WHAT-CAME-BACK"
  printf 'Subject: r\n\nbody\n' | QW="$BIN/queue-writer" ENV="$1" python3 -c '
import os, socket, subprocess, sys
a, b = socket.socketpair()
p = subprocess.Popen([os.environ["QW"]], stdin=sys.stdin, stdout=b.fileno())
b.close()
a.sendall(os.environ["ENV"].encode().decode("unicode_escape").encode("latin-1"))
a.shutdown(socket.SHUT_WR)
got = b""
while True:
    r = a.recv(100)
    if not r: break
    got += r
print("%d|%s" % (p.wait(), got.decode().strip()))'
}
rm -f "$Q"/mess/*
is "$(report 'Fa@b\0Ttest@localhost\0\0')" "0|quail-queue-writer: queued" "over a socket: the report line, then exit 0"
is "$(q_ids "$Q" | wc -l)" 1 "and the message is in mess/"
is "$(report 'Ta@b\0\0')" "91|" "a refused envelope: no report line, exit 91"
is "$(report 'Fa@b\0\0')" "0|" "no recipients: exit 0, no report line (nothing was queued)"

# a file system without user attributes (ramfs, root only): every
# envelope gets its file
if [ "$(id -u)" = 0 ] && mkdir -p "$T/ram" && mount -t ramfs ramfs "$T/ram" 2>/dev/null; then
  cp -a "$INST/." "$T/ram/" 2>/dev/null
  rm -rf "$T/ram/queue/mess"/* "$T/ram/queue/free"/*
  printf 'Subject: ram\n\nbody\n' | QUAIL_HOME=$T/ram "$BIN/queue-writer" 1< <(envelope a@b test@localhost)
  is "$?" 0 "no attributes: queued"
  id=$(ls "$T/ram/queue/mess" | grep -v env)
  is "$(q_where "$T/ram/queue" "$id")" file "no attributes: the envelope is mess/ID.env"
  is "$(q_env "$T/ram/queue" "$id" | tr '\0' '|')" 'Fa@b|Ttest@localhost||' "no attributes: the envelope as sent"
  umount "$T/ram"
else
  for i in 1 2 3; do skip "the test without attributes needs root and ramfs"; done
fi

# a full disk: a small tmpfs as the queue (root only)
if [ "$(id -u)" = 0 ] && mkdir -p "$T/full" && mount -t tmpfs -o size=256k tmpfs "$T/full" 2>/dev/null; then
  cp -a "$INST/." "$T/full/" 2>/dev/null
  rm -rf "$T/full/queue/mess"/* 
  head -c 2000000 /dev/zero | QUAIL_HOME=$T/full "$BIN/queue-writer" 1< <(envelope a@b test@localhost)
  is "$?" 53 "disk full: write error 53"
  is "$(ls -A "$T/full/queue/mess" "$T/full/queue/tmp" | grep -v : | tr -d '\n')" "" "disk full: nothing half-written left"
  umount "$T/full"
else
  skip "full disk test needs root and tmpfs"; skip "full disk test needs root"
fi
done_testing
