#!/bin/bash
# qlist, qmail's simple list manager, as qlist(1) of qmail describes it,
# through the real queue: .qmail-qlist-request runs it, SUBSCRIBE and
# UNSUBSCRIBE (a body line or the Subject) edit the &address lines of
# .qmail-qlist, and the request comes back with what was done and the
# help text, to the address and to the owner.
. "$(dirname "$0")/lib.sh"
inst_new
qm_start
H=$INST/mail/test
dot() { printf "$2" > "$H/.qmail-$1"; chmod 644 "$H/.qmail-$1"; }   # dot EXT CONTENT
has() { md_grep "$@" >/dev/null; }
for b in s1 s2 ownerbox; do maildirmake "$H/$b"; done
dot s1 './s1/\n'
dot s2 './s2/\n'
dot owner './ownerbox/\n'
dot qlist-request "|qlist test-qlist@localhost test-qlist-request@localhost .qmail-qlist .qmail-qlist-request .qtemp-qlist test-owner@localhost 'Archives: none.'\n"
dot qlist '# the members of test-qlist\n&test-manual@localhost\n'
chmod 644 "$H/.qmail-qlist"
dot manual './ownerbox/\n'

# SUBSCRIBE in the Subject, the address from From
printf 'From: Someone <test-s1@localhost>\nSubject: subscribe\n\nplease\n' | inject test-qlist-request@localhost
ok "the request answered to the subscriber" wait_for 15 has "$H/s1" 'I have added the address'
is "$(grep -c '^&test-s1@localhost$' "$H/.qmail-qlist")" 1 "&test-s1@localhost added to .qmail-qlist"
ok "the lines that were there stay" grep -q '^&test-manual@localhost$' "$H/.qmail-qlist"
ok ".qmail-qlist has its execute bit (forwards only)" test -x "$H/.qmail-qlist"
ok "the temporary file is gone" test ! -e "$H/.qtemp-qlist"
r=$(cat "$(md_grep "$H/s1" 'I have added the address')")
like "$r" "test-qlist@localhost" "the help names the list"
like "$r" "test-qlist-request@localhost" "  and the request address"
like "$r" "Archives: none\\." "  and moreinfo"
like "$r" "The owner of the list is test-owner@localhost" "  and the owner"
like "$r" "please" "the request itself follows"
ok "the owner gets a copy" wait_for 15 has "$H/ownerbox" 'I have added the address'

# a post reaches the members
printf 'Subject: first post\n\nhello list\n' | inject -f test-s2@localhost test-qlist@localhost
ok "a post to the list reaches the new member" wait_for 15 has "$H/s1" 'Subject: first post'

# SUBSCRIBE twice: one line; a body line, the address from Reply-To
printf 'From: test-s2@localhost\nReply-To: test-s1@localhost\nSubject: again\n\nSubscribe\n' | inject test-qlist-request@localhost
ok "subscribing again is answered" wait_for 15 has "$H/s1" 'was on the mailing list already'
is "$(grep -c '^&test-s1@localhost$' "$H/.qmail-qlist")" 1 "  and the address is there once"

# UNSUBSCRIBE in the body (case aside)
printf 'From: test-s1@localhost\nSubject: bye\n\nunsubscribe me\n' | inject test-qlist-request@localhost
ok "unsubscribing is answered" wait_for 15 has "$H/s1" 'I have removed the address'
ok "  and the address is gone" eval '! grep -q "^&test-s1@localhost$" "$H/.qmail-qlist"'
ok "  the other lines stay" grep -q '^&test-manual@localhost$' "$H/.qmail-qlist"

# no command: told so; a bounce: ignored
printf 'From: test-s2@localhost\nSubject: hello\n\nwhat is this\n' | inject test-qlist-request@localhost
ok "a request without a command gets the help" wait_for 15 has "$H/s2" 'no SUBSCRIBE or UNSUBSCRIBE command'
before=$(cat "$H/.qmail-qlist")
printf 'From: MAILER-DAEMON@localhost\nSubject: subscribe\n\nsubscribe\n' | inject -f '' test-qlist-request@localhost
ok "queue drains" wait_for 15 queue_empty
is "$(cat "$H/.qmail-qlist")" "$before" "a bounce (null sender) changes nothing"
is "$(md_count "$INST/mail/test/Maildir")" 0 "and nothing bounced anywhere"

# a usable address only: one without @ or with a space is not taken
printf 'From: "a b"@localhost\nSubject: subscribe\n\n' | inject -f test-s2@localhost test-qlist-request@localhost
ok "an address with a space is not taken; the envelope sender (SENDER) is" wait_for 15 has "$H/s2" 'I have added the address'
ok "  the sender was subscribed instead" grep -q '^&test-s2@localhost$' "$H/.qmail-qlist"
ok "  never the address with a space" eval '! grep -q "a b" "$H/.qmail-qlist"'

# usage
"$BIN/qlist" a b c 2>/dev/null
is "$?" 100 "bad usage: exit 100"
done_testing
