#!/bin/bash
# End to end on one machine: sendmail -> queue-writer -> queue-manager ->
# deliver-local, with forwards, programs, extensions and bounces.
. "$(dirname "$0")/lib.sh"
inst_new
qm_start
H=$INST/mail/test

printf 'Subject: plain\n\nhello\n' | sendmail -f sender@example.org test@localhost
is "$?" 0 "sendmail queues"
ok "delivered" wait_for 10 md_has "$MD" 1
m=$(md_cat "$MD")
like "$m" "Subject: plain" "the message"
like "$m" "Return-Path: <sender@example.org>" "envelope sender kept"
like "$m" "Date: " "Date added by sendmail"
like "$m" "Message-ID: <" "Message-ID added by sendmail"

# -t reads recipients from the header, Bcc disappears
printf 'To: test@localhost\nBcc: test-bcc@localhost\nSubject: tee\n\nx\n' > "$T/m"
printf './Maildir/\n' > "$H/.qmail-bcc"; chmod 644 "$H/.qmail-bcc"
sendmail -t -f a@b < "$T/m"
ok "both copies delivered" wait_for 10 md_has "$MD" 3
unlike "$(md_cat "$MD")" "Bcc:" "no Bcc header delivered"
like "$(md_cat "$MD")" "Delivered-To: test-bcc@localhost" "the Bcc recipient got it"

# an extension address with a program and a forward
printf '|echo "$SENDER $RECIPIENT $EXT" > "$HOME/prog.out"\n&test-fwd@localhost\n' > "$H/.qmail-prog"
printf './Maildir/\n' > "$H/.qmail-fwd"
chmod 644 "$H"/.qmail-*
n=$(md_count "$MD")
printf 'Subject: prog\n\ny\n' | sendmail -f 'x;rm -rf /@example.org' test-prog@localhost
ok "forwarded copy delivered" wait_for 10 md_has "$MD" $((n + 1))
is "$(cat "$H/prog.out")" 'x;rm -rf /@example.org test-prog@localhost prog' "program saw the environment, no shell interpretation"
like "$(md_cat "$MD")" "Delivered-To: test-fwd@localhost" "forward reached test-fwd"
like "$(cat "$(md_grep "$MD" 'Subject: prog')")" "Delivered-To: test-prog@localhost" "forward carries the first Delivered-To"

# .qmail-default catches any extension
printf './Maildir/\n' > "$H/.qmail-default"; chmod 644 "$H/.qmail-default"
n=$(md_count "$MD")
printf 'Subject: anyext\n\nz\n' | sendmail -f a@b test-whatever@localhost
ok ".qmail-default delivers test-whatever" wait_for 10 md_has "$MD" $((n + 1))
rm "$H/.qmail-default"

# unknown user: a bounce comes back to the local sender
n=$(md_count "$MD")
printf 'Subject: lost\n\nz\n' | sendmail -f test@localhost nobody-here@localhost
ok "bounce returned" wait_for 10 md_has "$MD" $((n + 1))
b=$(cat "$(md_grep "$MD" 'failure notice')")
like "$b" "<nobody-here@localhost>:" "bounce names the address"
like "$b" "Subject: lost" "bounce quotes the message"

# a forwarding loop ends in a bounce, not forever
printf '&test-loopb@localhost\n' > "$H/.qmail-loopa"
printf '&test-loopa@localhost\n' > "$H/.qmail-loopb"
chmod 644 "$H"/.qmail-loop*
n=$(md_count "$MD")
printf 'Subject: loop\n\nz\n' | sendmail -f test@localhost test-loopa@localhost
ok "loop bounced" wait_for 15 md_grep "$MD" "looping"
ok "queue drains" wait_for 10 queue_empty

# the aliases reach test
n=$(md_count "$MD")
printf 'Subject: to postmaster\n\nz\n' | sendmail -f a@b postmaster@localhost
ok "postmaster alias delivered" wait_for 10 md_grep "$MD" "Subject: to postmaster"

# the DSN part's Status: is the failure's status field: a refusal that
# gives no code is 5.0.0, even when its prose holds something that looks
# like one (an address); the text part quotes the refusal as it was
printf '|echo "Sorry, mail relayed by 10.4.5.6 is not wanted here."; exit 100\n' > "$H/.qmail-picky"
chmod 644 "$H/.qmail-picky"
printf 'Subject: picky\n\nz\n' | sendmail -f test@localhost test-picky@localhost
ok "the refusal bounced" wait_for 15 md_grep "$MD" "is not wanted here"
b=$(cat "$(md_grep "$MD" "is not wanted here")")
like "$b" "^Sorry, mail relayed by 10\.4\.5\.6 is not wanted here\.$" "the QSBMF paragraph quotes the program"
like "$b" "^Status: 5\.0\.0$" "Status: 5.0.0, not the 4.5.6 of the prose"
unlike "$b" "^Status: 4" "no temporary class in a permanent failure's status"
done_testing
