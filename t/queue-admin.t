#!/bin/bash
# queue-admin: hold, release, delete, requeue and bounce while
# queue-manager runs. far.test is routed by smtproutes to a closed
# loopback port, so its deliveries defer until smtp-sink listens there.
. "$(dirname "$0")/lib.sh"
[ -x /usr/sbin/smtp-sink ] || skip_all "no /usr/sbin/smtp-sink (postfix)"
inst_new
P=$(free_port)
printf 'far.test:[127.0.0.1]:%s\n' "$P" > "$INST/control/smtproutes"
Q=$INST/queue
msg() { printf 'Subject: %s\n\n%s\n' "$1" "$1"; }
# queue SENDER RCPT SUBJECT: queue one message, print its ID
queue() { msg "$3" | qw "$1" "$2" >/dev/null; ls -t "$Q/mess" | grep -v env | head -1; }
log_has() { grep -qE -- "$1" "$INST/qm.log"; }
# a local message delivered after the admin's action proves the trigger was read
local_round() { msg "$1" | qw test@localhost test@localhost; wait_for 10 md_grep "$MD" "Subject: $1" >/dev/null; }

ok "queue/hold made by mkinstance" test -d "$Q/hold"
nok "usage without a selection" queue-admin delete
nok "usage with an unknown operation" queue-admin frobnicate 1
queue-admin hold 999999999 2>"$T/err"; is "$?" 100 "an ID not in the queue: exit 100"
like "$(cat "$T/err")" 'no message #999999999' "and it says so"

qm_start
id=$(queue a@example.org joe@far.test first)
wait_for 10 log_has "deferral.*" ; ok "the remote delivery defers (peer down)" log_has 'deferral'
out=$(queue-admin hold "#$id"); is "$out" "held #$id" "hold prints the ID"
ok "the envelope is in hold/" test -f "$Q/hold/$id.env"
is "$(q_where "$Q" "$id")" none "and not in mess/"
ok "the message stays in mess/" test -f "$Q/mess/$id"
like "$(queue-reader)" "#$id .*<a@example.org>  held" "queue-reader lists it as held"
like "$(queue-reader)" "remote	joe@far.test" "with its recipient"
like "$(queue-stat)" 'messages held: 1' "queue-stat counts it"
like "$(queue-reader -e "$id")" "held" "queue-reader -e shows it held"
like "$(queue-reader "$id")" "Subject: first" "queue-reader ID prints the held message"

# restart queue-manager, start the peer, flush: a held message is not tried
qm_stop; : > "$INST/qm.log"; qm_start
/usr/sbin/smtp-sink -u nobody "127.0.0.1:$P" 10 >/dev/null 2>&1 &
SINK=$!; kill_on_exit $SINK
wait_for 5 $PY -c 'import socket,sys; socket.create_connection(("127.0.0.1",int(sys.argv[1])),1)' "$P"
queue-admin requeue >/dev/null
local_round r1
ok "a local message went through after the restart" md_grep "$MD" 'Subject: r1'
nok "the held message was not started" log_has "msg $id to remote"
nok "nor bounced" log_has "bounce msg $id"
ok "still held" test -f "$Q/hold/$id.env"
queue-admin hold "$id" >/dev/null; ok "hold of a held message is fine" test -f "$Q/hold/$id.env"

out=$(queue-admin release "$id"); is "$out" "released #$id" "release prints the ID"
ok "released: the delivery succeeds" wait_for 15 log_has "success: .*127.0.0.1"
ok "the message file is removed" wait_for 15 test ! -e "$Q/mess/$id"
ok "and the message leaves the queue" wait_for 10 log_has "end msg $id"
kill $SINK; wait $SINK 2>/dev/null

# delete by recipient pattern: exactly the matching messages
x1=$(queue a@example.org x1@far.test del1)
x2=$(queue b@example.org X2@far.test del2)
y=$(queue test@localhost y@far.test keep)
out=$(queue-admin delete -r 'x*@far.test' | sort)
is "$out" "$(printf 'deleted #%s\ndeleted #%s\n' "$x1" "$x2" | sort)" "delete -r deletes the two matching messages (any case)"
nok "x1's files are gone" test -e "$Q/mess/$x1"
is "$(q_where "$Q" "$x2")" none "x2's envelope is gone"
ok "y is still queued" test -n "$(q_env "$Q" "$y")"
unlike "$(queue-reader)" 'x1@far.test|X2@far.test' "queue-reader no longer lists them"
out=$(queue-admin hold -s 'nobody@*'); is "$out" "" "a pattern that matches nothing does nothing"

# bounce: the sender (test@localhost) gets the report
out=$(queue-admin bounce -s 'test@localhost'); is "$out" "bounced #$y" "bounce by sender pattern"
ok "the bounce reaches the sender" wait_for 15 md_grep "$MD" 'deleted by the administrator'
ok "it names the recipient" md_grep "$MD" '^<y@far\.test>:$' 
ok "the bounced message leaves the queue" wait_for 10 test ! -e "$Q/mess/$y"

# bounce while queue-manager is stopped, of a held message
qm_stop
z=$(queue test@localhost z@far.test offline)
if xattr_ok "$Q"; then kind=attr; else kind=file; fi
is "$(q_where "$Q" "$z")" $kind "a message never tried has its envelope in its attribute ($kind here)"
queue-admin hold "$z" >/dev/null
ok "held all the same: the envelope is in hold/" test -f "$Q/hold/$z.env"
is "$(q_where "$Q" "$z")" none "and the attribute is gone from mess/$z"
out=$(queue-admin bounce "$z"); is "$out" "bounced #$z" "bounce of a held message without queue-manager"
ok "the envelope is back in mess/ with its recipient done" grep -q 'Dz@far.test' "$Q/mess/$z.env"
ok "the failure is recorded in bounce/" grep -q 'administrator' "$Q/bounce/$z"
qm_start
ok "queue-manager sends that bounce" wait_for 15 log_has "bounce msg $z"

# held while its last delivery runs: when that delivery ends the message
# is done, and its held envelope goes with it (else a release would put it
# on the next message that gets the recycled file, and so the inode number)
printf '|sleep 4\n./Maildir/\n' > "$INST/mail/test/.qmail-slow"
chmod 644 "$INST/mail/test/.qmail-slow"
s=$(queue a@example.org test-slow@localhost slowheld)
ok "a slow delivery starts" wait_for 10 log_has "starting delivery [0-9]+: msg $s "
out=$(queue-admin hold "$s"); is "$out" "held #$s" "held while it runs"
ok "the delivery ends the message" wait_for 10 log_has "end msg $s\$"
ok "its held envelope is gone with it" wait_for 5 test ! -e "$Q/hold/$s.env"
out=$(queue-admin release "$s" 2>&1); unlike "$out" "released #$s" "so there is nothing to release"
done_testing
